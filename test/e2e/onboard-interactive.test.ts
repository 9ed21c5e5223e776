// Interactive `pincer onboard` on a real pseudo-terminal against the loopback model fake: a failed test call keeps
// every answer (change them, try again, save anyway, quit), the base URL default is never glued to typed text, the
// model comes from the provider's /models list, a hung server times out with a clear message, and nothing is written
// (no pincer.yaml, no auth.json) before the user saves.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "./harness.ts";
import { HAS_SCRIPT, KEY, startPty } from "./pty.ts";

const fx = useCliFixture();

describe.skipIf(!HAS_SCRIPT)("pincer onboard at a terminal", () => {
  it("keeps the answers through a failed test, offers the provider's models, and writes only when saved", async () => {
    const home = await fx.home();
    const tty = startPty(home, ["onboard", "--provider", "openai-compatible"]);
    try {
      let at = await tty.waitFor("Model provider");
      tty.write(KEY.enter);
      at = await tty.waitFor("Base URL", at);
      await tty.waitFor("http://127.0.0.1:8080/v1", at);
      tty.write(fx.fake.baseURL + KEY.enter);
      at = await tty.waitFor("Empty: none.", at);
      at = await tty.waitFor("API key (optional for a local server)", at); // the prompt itself: it reads keys from now on
      tty.write("wrong-key" + KEY.enter);
      at = await tty.waitFor("no model list from this provider", at);
      at = await tty.waitFor("Model", at);
      tty.write("gpt-4o-mini" + KEY.enter);
      at = await tty.waitFor("What now?", at);
      expect(tty.screen().slice(0, at)).toMatch(/Incorrect API key provided/);
      expect(existsSync(join(home.dir, "pincer.yaml"))).toBe(false);
      expect(existsSync(join(home.dir, "auth.json"))).toBe(false);
      tty.write(KEY.down + KEY.enter); // Change the answers

      at = await tty.waitFor("Model provider", at);
      tty.write(KEY.enter);
      at = await tty.waitFor("Base URL", at);
      await tty.waitFor(fx.fake.baseURL, at); // the URL typed before is the default now
      tty.write(KEY.enter);
      at = await tty.waitFor("Empty: the key typed before.", at);
      at = await tty.waitFor("API key (optional for a local server)", at);
      tty.write("test-key" + KEY.enter);
      at = await tty.waitFor("2 model(s) available", at);
      at = await tty.waitFor("gpt-4.1", at);
      tty.write(KEY.enter); // the model chosen before (gpt-4o-mini) is focused
      at = await tty.waitFor("custom/gpt-4o-mini answered", at);
      await tty.waitFor("default tier → custom/gpt-4o-mini (test call ok)", at);
      expect(await tty.exited).toBe(0);
    } finally {
      tty.kill();
    }
    const yaml = await readFile(join(home.dir, "pincer.yaml"), "utf8");
    expect(yaml).toContain(`base_url: ${fx.fake.baseURL}\n`);
    expect(yaml).not.toContain("test-key");
    expect(JSON.parse(await readFile(join(home.dir, "auth.json"), "utf8"))).toMatchObject({ custom: { api_key: "test-key" } });
    fx.fake.enqueue({ text: "onboarded" });
    expect((await home.cli(["run", "hi"])).stdout).toBe("onboarded\n");
  });

  it("says a hung server timed out, and quitting then writes nothing", async () => {
    const home = await fx.home();
    fx.fake.enqueue({ hang: true });
    const tty = startPty(home, ["onboard", "--provider", "openai-compatible", "--test-timeout", "1"]);
    try {
      let at = await tty.waitFor("Model provider");
      tty.write(KEY.enter);
      at = await tty.waitFor("Base URL", at);
      tty.write(fx.fake.baseURL + KEY.enter);
      at = await tty.waitFor("API key (optional for a local server)", at);
      tty.write("test-key" + KEY.enter);
      at = await tty.waitFor("gpt-4o-mini", at);
      tty.write("gpt-4.1" + KEY.enter);
      at = await tty.waitFor("Test call to custom/gpt-4.1 (up to 1 s)", at);
      at = await tty.waitFor("no answer from custom/gpt-4.1: timed out after 1 s (timeout)", at);
      at = await tty.waitFor("What now?", at);
      tty.write(KEY.down + KEY.down + KEY.down + KEY.enter); // Quit
      await tty.waitFor("onboarding stopped; nothing was written", at);
      expect(await tty.exited).toBe(1);
      expect(tty.screen()).not.toMatch(/cancel/i);
    } finally {
      tty.kill();
    }
    expect(existsSync(join(home.dir, "pincer.yaml"))).toBe(false);
    expect(existsSync(join(home.dir, "auth.json"))).toBe(false);
  });
});
