// `pincer chat` as a person uses it: a paste is one message (bracketed paste, or lines read together), "thinking…"
// until the answer starts, the chat channels' slash commands, and an unknown /command is an error, not a prompt.
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, useCliFixture } from "./harness.ts";
import { HAS_SCRIPT, KEY, startPty } from "./pty.ts";

const fx = useCliFixture();

const userMessages = (from: number): unknown[] =>
  fx.fake.requests.slice(from).filter((r) => r.path.endsWith("/chat/completions")).map((r) => {
    const messages = (r.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    return messages.filter((m) => m.role === "user").at(-1)?.content;
  });

describe.skipIf(!HAS_SCRIPT)("pincer chat at a terminal", () => {
  it("sends a paste as one message and shows thinking… until the answer starts", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const before = fx.fake.requests.length;
    fx.fake.enqueue({ text: "pasted ok" }, { text: "together ok" });
    const tty = startPty(home, ["chat"]);
    try {
      let at = await tty.waitFor("›");
      // A bracketed paste that ends mid-line waits for Enter, then goes as one message.
      tty.write("\x1b[200~line one\nline two\nline three\x1b[201~");
      tty.write(KEY.enter);
      at = await tty.waitFor("pasted ok", at);
      at = await tty.waitFor("›", at);
      // A terminal without bracketed paste: lines that arrive in one read are one message too.
      tty.write("alpha\nbeta\n");
      at = await tty.waitFor("together ok", at);
      await tty.waitFor("›", at);
      expect(userMessages(before)).toEqual(["line one\nline two\nline three", "alpha\nbeta"]);
      // "thinking…" was shown for each turn and erased before the answer was written.
      const raw = tty.raw();
      for (const answer of ["pasted ok", "together ok"]) {
        const shown = raw.lastIndexOf("thinking…", raw.indexOf(answer));
        expect(shown).toBeGreaterThan(-1);
        expect(raw.slice(shown, raw.indexOf(answer))).toContain("\r\x1b[K");
      }
      tty.write("/exit" + KEY.enter);
      expect(await tty.exited).toBe(0);
    } finally {
      tty.kill();
    }
  });
});

describe("pincer chat commands", () => {
  it("answers the channels' slash commands without a model call and refuses an unknown one", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const before = fx.fake.requests.length;
    fx.fake.enqueue({ text: "first answer" }, { text: "after new" });
    const r = await home.cli(["chat"], { input: "hello\n/status\n/foo bar\n/help\n/model\n/new\n//etc is a folder\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("first answer");
    expect(r.stdout).toContain("Agent: default\nModel: default\nSession: agent:default:cli:dm:local\nTokens: 10 in, 5 out");
    expect(r.stderr).toContain("error: unknown command /foo; /help lists the commands (start with // to send text beginning with /)\n");
    expect(r.stdout).toContain("/status: agent, model, session, tokens used, context use, queue");
    expect(r.stdout).toContain("/session: show the session key");
    expect(r.stdout).toContain("Models (use /model <name>):\n• default\n• fake/gpt-4o-mini");
    expect(r.stdout).toContain("New conversation started.");
    expect(userMessages(before)).toEqual(["hello", "/etc is a folder"]);
    // /new cleared the conversation: the last call carries only its own message.
    const last = fx.fake.requests.at(-1)!.body as { messages: Array<{ role: string }> };
    expect(last.messages.filter((m) => m.role === "user")).toHaveLength(1);
  });
});
