// When `pincer dashboard` starts a browser: only where one can show up, never in CI.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserCommand } from "./dashboard-command.ts";

let bin: string;
beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), "pincer-xdg-"));
  await writeFile(join(bin, "xdg-open"), "#!/bin/sh\n", { mode: 0o755 });
});
afterAll(() => rm(bin, { recursive: true, force: true }));

describe("browserCommand", () => {
  it("uses xdg-open on Linux with a display, and nothing without one, in CI or without xdg-open", () => {
    expect(browserCommand("linux", { DISPLAY: ":0", PATH: bin })).toEqual(["xdg-open"]);
    expect(browserCommand("linux", { WAYLAND_DISPLAY: "wayland-0", PATH: bin })).toEqual(["xdg-open"]);
    expect(browserCommand("linux", { PATH: bin })).toBeUndefined();
    expect(browserCommand("linux", { DISPLAY: ":0", PATH: bin, CI: "true" })).toBeUndefined();
    expect(browserCommand("linux", { DISPLAY: ":0", PATH: "/nonexistent" })).toBeUndefined();
  });

  it("uses open on macOS unless logged in over SSH", () => {
    expect(browserCommand("darwin", {})).toEqual(["open"]);
    expect(browserCommand("darwin", { SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22" })).toBeUndefined();
    expect(browserCommand("darwin", { CI: "1" })).toBeUndefined();
  });
});
