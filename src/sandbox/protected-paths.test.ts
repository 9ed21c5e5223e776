// Protected workspace paths: the matcher the file tools use, and read-only mounts of them under bubblewrap.
import { chown, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBubblewrapSandbox } from "./bubblewrap-sandbox.ts";
import { detectBubblewrap } from "./detect.ts";
import { compileProtectedPaths } from "./protected-paths.ts";

const detection = await detectBubblewrap();

describe("compileProtectedPaths", () => {
  const match = compileProtectedPaths([".vscode", "tools/*.sh", "**/Makefile", "bad{"]);
  it.each([
    [".git/config", ".git"],
    ["sub/.GIT/hooks/pre-commit", "sub/.GIT"],
    [".git. /x", ".git. "],
    [".vscode/tasks.json", ".vscode"],
    ["tools/build.sh", "tools/build.sh"],
    ["a/b/MAKEFILE", "a/b/MAKEFILE"],
    ["bad{", "bad{"],
  ])("protects %s (as %s)", (path, hit) => {
    expect(match(path.split("/"))).toBe(hit);
  });
  it.each([["src/git/config"], ["x.git/config"], ["tools/sub/build.sh"], ["vscode/x"]])("leaves %s alone", (path) => {
    expect(match(path.split("/"))).toBeUndefined();
  });
});

describe.skipIf(!detection.available)("bubblewrap: protected paths are read-only", () => {
  let ws: string;
  const sandbox = createBubblewrapSandbox({ bwrapPath: detection.path ?? "" });
  // Under root, commands run as the workspace's owner, never root: hand the test's files to nobody first.
  const sh = async (script: string, protectedPaths: string[] = []) => {
    if (process.getuid?.() === 0) for (const path of [ws, ...(await readdir(ws, { recursive: true })).map((p) => join(ws, p))]) await chown(path, 65534, 65534);
    return sandbox.exec({ argv: ["sh", "-c", script], cwd: ws, workspace: ws, timeoutMs: 10_000, outputCapBytes: 64 * 1024, network: false, protectedPaths });
  };

  beforeEach(async () => {
    ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-protect-")));
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  it("cannot change .git at the root or in a subfolder, nor a policy path, but writes elsewhere", async () => {
    await mkdir(join(ws, ".git"));
    await writeFile(join(ws, ".git", "config"), "[core]\n");
    await mkdir(join(ws, "sub", ".git"), { recursive: true });
    await writeFile(join(ws, "sub", ".git", "config"), "[core]\n");
    await writeFile(join(ws, "Makefile"), "all:\n");
    const r = await sh("echo x > .git/config; echo x > sub/.git/config; mkdir .git/hooks; echo x > Makefile; echo ok > free.txt", ["Makefile"]);
    expect(r.stderr).toContain("Read-only file system");
    expect(await readFile(join(ws, ".git", "config"), "utf8")).toBe("[core]\n");
    expect(await readFile(join(ws, "sub", ".git", "config"), "utf8")).toBe("[core]\n");
    expect(await readFile(join(ws, "Makefile"), "utf8")).toBe("all:\n");
    expect(await readdir(join(ws, ".git"))).toEqual(["config"]);
    expect(await readFile(join(ws, "free.txt"), "utf8")).toBe("ok\n");
  });

  it("cannot create .git at the workspace root", async () => {
    const r = await sh("mkdir -p .git/hooks && echo x > .git/config");
    expect(r.exitCode).not.toBe(0);
    expect(await readdir(join(ws, ".git"))).toEqual([]); // the empty mount point bwrap leaves behind
  });
});
