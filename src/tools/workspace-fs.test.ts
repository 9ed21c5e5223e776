// The workspace opener: lexical, absolute and symlink escapes are refused; symlinks inside are followed;
// writes replace files atomically and never reach another name through a hard link.
import { execFileSync } from "node:child_process";
import { chown, link, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolError } from "../core/errors.ts";
import { listWorkspaceDir, locateWorkspaceDir, readWorkspaceFile, writeWorkspaceFile } from "./workspace-fs.ts";

let ws: string;
let outside: string;

beforeAll(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-ws-")));
  outside = await realpath(await mkdtemp(join(tmpdir(), "pincer-out-")));
  await mkdir(join(ws, "sub"));
  await writeFile(join(ws, "sub", "a.txt"), "a");
  await writeFile(join(outside, "secret"), "s");
  await symlink(outside, join(ws, "out-link"));
  await symlink(join(outside, "missing", "file"), join(ws, "dangling-out"));
  await symlink(join(ws, "sub"), join(ws, "in-link"));
  await symlink("../sub/a.txt", join(ws, "sub", "rel-link"));
});
afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof ToolError ? err.code : `not a ToolError: ${String(err)}`;
  }
}
const text = async (p: string) => (await readWorkspaceFile(ws, p, 1024)).bytes.toString();

describe("workspace paths", () => {
  it("names the path and the rule in the refusal", async () => {
    await expect(readWorkspaceFile(ws, "../x", 1024)).rejects.toThrow(
      "../x: refused, paths must stay inside the workspace (no absolute paths elsewhere, no .., no symlinks out)",
    );
  });

  it.each([["../x"], ["sub/../../x"], ["/etc/passwd"], ["out-link/secret"], ["out-link"], ["dangling-out"]])("refuses to read %s", async (p) => {
    expect(await codeOf(readWorkspaceFile(ws, p, 1024))).toBe("path_escape");
  });

  it.each([["out-link/new/dir/file.txt"], ["dangling-out"], ["in-link/../../x"]])("refuses to write %s and creates nothing", async (p) => {
    expect(await codeOf(writeWorkspaceFile(ws, p, "x"))).toBe("path_escape");
    await expect(stat(join(outside, "new"))).rejects.toThrow("ENOENT");
    await expect(stat(join(outside, "missing"))).rejects.toThrow("ENOENT");
  });

  it("follows symlinks that stay inside, and absolute paths inside", async () => {
    expect(await text("in-link/a.txt")).toBe("a");
    expect(await text("sub/rel-link")).toBe("a");
    expect(await text(join(ws, "sub", "a.txt"))).toBe("a");
    expect(await locateWorkspaceDir(ws, "in-link")).toBe(join(ws, "sub"));
  });

  it("lists a directory and stats a file", async () => {
    const dir = await listWorkspaceDir(ws, "in-link");
    expect(dir.kind === "dir" && dir.entries.map((e) => e.name).sort()).toEqual(["a.txt", "rel-link"]);
    expect(await listWorkspaceDir(ws, "sub/a.txt")).toMatchObject({ kind: "file", rel: "sub/a.txt" });
    expect(await codeOf(listWorkspaceDir(ws, "nope"))).toBe("not_found");
  });
});

describe("writeWorkspaceFile", () => {
  it("creates parents and writes through a symlink inside to its target", async () => {
    expect(await writeWorkspaceFile(ws, "new/deep/f.txt", "n")).toEqual({ rel: "new/deep/f.txt" });
    expect(await readFile(join(ws, "new", "deep", "f.txt"), "utf8")).toBe("n");
    await writeWorkspaceFile(ws, "sub/rel-link", "via link");
    expect(await readFile(join(ws, "sub", "a.txt"), "utf8")).toBe("via link");
  });

  it("replaces a hard-linked file instead of writing into the shared inode", async () => {
    await writeFile(join(outside, "linked"), "original");
    await link(join(outside, "linked"), join(ws, "hard"));
    await writeWorkspaceFile(ws, "hard", "changed");
    expect(await readFile(join(outside, "linked"), "utf8")).toBe("original");
    expect(await readFile(join(ws, "hard"), "utf8")).toBe("changed");
  });
});

describe("readWorkspaceFile", () => {
  it("refuses a FIFO without blocking, and files over the limit", async () => {
    execFileSync("mkfifo", [join(ws, "fifo")]);
    expect(await codeOf(readWorkspaceFile(ws, "fifo", 1024))).toBe("invalid_args");
    await writeFile(join(ws, "big"), "x".repeat(2048));
    expect(await codeOf(readWorkspaceFile(ws, "big", 1024))).toBe("too_large");
  });
});

// A root gateway's commands run as the workspace's owner, so what the tools create must belong to that owner too.
const asRoot = process.geteuid?.() === 0;
describe("ownership when the gateway is root", () => {
  it.runIf(asRoot)("new files and directories belong to the owner of the directory they are created in (runs as root only)", async () => {
    const given = await realpath(await mkdtemp(join(tmpdir(), "pincer-own-")));
    try {
      await chown(given, 65534, 65534);
      await writeWorkspaceFile(given, "deep/er/new.txt", "n");
      await writeFile(join(given, "root-owned.txt"), "r");
      await writeWorkspaceFile(given, "root-owned.txt", "replaced");
      const owners = await Promise.all(["deep", "deep/er", "deep/er/new.txt", "root-owned.txt"].map(async (p) => (await stat(join(given, p))).uid));
      expect(owners).toEqual([65534, 65534, 65534, 0]); // a replaced file keeps its owner
    } finally {
      await rm(given, { recursive: true, force: true });
    }
  });
});
