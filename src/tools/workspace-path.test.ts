// resolveInWorkspace: lexical, absolute and symlink escapes are refused; paths inside resolve to real paths.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolError } from "../core/errors.ts";
import { resolveInWorkspace } from "./workspace-path.ts";

let ws: string;
let outside: string;

beforeAll(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-ws-")));
  outside = await realpath(await mkdtemp(join(tmpdir(), "pincer-out-")));
  await mkdir(join(ws, "sub"));
  await writeFile(join(ws, "sub", "a.txt"), "a");
  await symlink(outside, join(ws, "out-link"));
  await symlink(join(outside, "missing", "file"), join(ws, "dangling-out"));
  await symlink(join(ws, "sub"), join(ws, "in-link"));
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

describe("resolveInWorkspace", () => {
  it("names the path and the rule in the refusal", async () => {
    await expect(resolveInWorkspace(ws, "../x")).rejects.toThrow(
      "../x: refused, paths must stay inside the workspace (no absolute paths elsewhere, no .., no symlinks out)",
    );
  });

  it.each([
    ["../x"],
    ["sub/../../x"],
    ["/etc/passwd"],
    ["out-link/secret.txt"],
    ["out-link"],
    ["dangling-out"],
    ["out-link/new/dir/file.txt"],
  ])("refuses %s", async (p) => {
    expect(await codeOf(resolveInWorkspace(ws, p))).toBe("path_escape");
  });

  it("resolves relative, absolute-inside and symlink-inside paths to real paths", async () => {
    expect(await resolveInWorkspace(ws, "sub/a.txt", { mustExist: true })).toBe(join(ws, "sub", "a.txt"));
    expect(await resolveInWorkspace(ws, join(ws, "sub", "a.txt"))).toBe(join(ws, "sub", "a.txt"));
    expect(await resolveInWorkspace(ws, "in-link/a.txt")).toBe(join(ws, "sub", "a.txt"));
    expect(await resolveInWorkspace(ws, ".")).toBe(ws);
  });

  it("allows paths that do not exist yet, unless mustExist", async () => {
    expect(await resolveInWorkspace(ws, "new/deep/file.txt")).toBe(join(ws, "new", "deep", "file.txt"));
    expect(await codeOf(resolveInWorkspace(ws, "nope.txt", { mustExist: true }))).toBe("not_found");
  });
});
