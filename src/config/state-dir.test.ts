// Tests for the state dir's setup errors: which failures become a ConfigError, and how each reads.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { prepareStateDir, toSetupError } from "./state-dir.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pincer-state-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code });

describe("prepareStateDir", () => {
  it("creates a missing state dir and accepts an existing one", async () => {
    await prepareStateDir(join(root, "a", "b"));
    await prepareStateDir(join(root, "a", "b"));
  });

  it("turns a file in the way into a ConfigError naming the path and the fix", async () => {
    await writeFile(join(root, "file"), "x");
    const err = await prepareStateDir(join(root, "file", "state")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `${join(root, "file", "state")}: the state dir cannot be created: part of ${join(root, "file", "state")} is a file, not a folder. Fix: move that file out of the way, or set PINCER_HOME to a folder this user can write`,
    );
  });
});

describe("toSetupError", () => {
  it("names the user for permission errors, and the setting that moves a workspace", () => {
    const user = userInfo().username;
    expect(toSetupError(errno("EACCES"), { dir: "/srv/pincer" })?.message).toBe(
      `/srv/pincer: this user (${user}) may not write the state dir (permission denied). Fix: give it the folder ('sudo chown -R ${user} /srv/pincer'), or set PINCER_HOME to a folder this user can write`,
    );
    expect(toSetupError(errno("EROFS"), { dir: "/w", what: `the workspace of agent "a"`, setting: "agents.a.workspace" })?.message).toBe(
      `/w: the workspace of agent "a" is on a read-only file system. Fix: set agents.a.workspace to a writable folder (in a container: mount a volume at /w)`,
    );
    expect(toSetupError(errno("ENOSPC"), { dir: "/s", path: "/s/pincer.db" })?.problem).toBe("the disk holding the state dir is full");
  });

  it("recognises SQLite's cannot-open and read-only results, and leaves other errors alone", () => {
    const sqlite = (errcode: number): Error => Object.assign(new Error("unable to open database file"), { code: "ERR_SQLITE_ERROR", errcode });
    expect(toSetupError(sqlite(14), { dir: "/s", path: "/s/pincer.db" })?.file).toBe("/s/pincer.db");
    expect(toSetupError(sqlite(8), { dir: "/s" })).toBeInstanceOf(ConfigError);
    expect(toSetupError(sqlite(5), { dir: "/s" })).toBeUndefined(); // SQLITE_BUSY: not the user's folder
    expect(toSetupError(errno("EMFILE"), { dir: "/s" })).toBeUndefined();
    expect(toSetupError(new Error("plain"), { dir: "/s" })).toBeUndefined();
  });
});
