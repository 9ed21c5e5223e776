// Happy paths and refusals of the workspace file tools: read, write, edit, ls, glob, grep.
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import { ToolError } from "../../core/errors.ts";
import type { Tool, ToolContext } from "../tool.ts";
import { editTool, lsTool, readTool, writeTool } from "./fs-tools.ts";
import { globTool, grepTool } from "./search-tools.ts";

let ws: string;
let outside: string;
let ctx: ToolContext;

beforeEach(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-fs-")));
  outside = await realpath(await mkdtemp(join(tmpdir(), "pincer-out-")));
  ctx = { workspace: ws, policy: policySchema.parse({}), signal: new AbortController().signal, runId: "r1", sessionKey: "s1" };
  await mkdir(join(ws, "src", "lib"), { recursive: true });
  await writeFile(join(ws, "src", "main.ts"), "const a = 1;\nconst b = 2;\nexport { a, b };\n");
  await writeFile(join(ws, "src", "lib", "util.ts"), "export const TODO = 'x';\n");
  await writeFile(join(ws, "notes.md"), "todo: write tests\n");
  await writeFile(join(outside, "secret.ts"), "const TODO = 'secret';\n");
  await symlink(outside, join(ws, "escape"));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const run = (tool: Tool, args: Record<string, unknown>) => tool.execute(args, ctx);
async function errorOf(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ToolError)) throw new Error(`expected a ToolError, got ${String(err)}`);
  return err;
}

describe("read", () => {
  it("returns the file with a line count", async () => {
    expect((await run(readTool, { path: "src/main.ts" })).text).toBe("const a = 1;\nconst b = 2;\nexport { a, b };\n[3 lines]");
  });

  it("selects lines with offset/limit and says where to continue", async () => {
    expect((await run(readTool, { path: "src/main.ts", offset: 2, limit: 1 })).text).toBe("const b = 2;\n[lines 2-2 of 3; next offset=3]");
  });

  it("refuses escapes, missing files and bad args", async () => {
    expect((await errorOf(run(readTool, { path: "/etc/passwd" }))).code).toBe("path_escape");
    expect((await errorOf(run(readTool, { path: "escape/secret.ts" }))).code).toBe("path_escape");
    expect((await errorOf(run(readTool, { path: "nope.txt" }))).code).toBe("not_found");
    const bad = await errorOf(run(readTool, { path: "src/main.ts", limit: 0 }));
    expect(bad.code).toBe("invalid_args");
    expect(bad.message).toMatch(/^read: argument "limit": /);
  });
});

describe("write", () => {
  it("creates parent dirs inside the workspace", async () => {
    expect((await run(writeTool, { path: "out/deep/x.txt", content: "hé" })).text).toBe("wrote 3 bytes to out/deep/x.txt");
    expect(await readFile(join(ws, "out", "deep", "x.txt"), "utf8")).toBe("hé");
  });

  it("refuses to write through a symlink or .. out of the workspace", async () => {
    expect((await errorOf(run(writeTool, { path: "escape/new.txt", content: "x" }))).code).toBe("path_escape");
    expect((await errorOf(run(writeTool, { path: "../x.txt", content: "x" }))).code).toBe("path_escape");
  });
});

describe("edit", () => {
  it("replaces a unique exact match", async () => {
    expect((await run(editTool, { path: "src/main.ts", old_text: "b = 2", new_text: "b = $&3" })).text).toBe("edited src/main.ts: 1 replacement");
    expect(await readFile(join(ws, "src", "main.ts"), "utf8")).toContain("const b = $&3;");
  });

  it("reports no_match and ambiguous_match, and replaces all when asked", async () => {
    expect((await errorOf(run(editTool, { path: "src/main.ts", old_text: "nope", new_text: "" }))).code).toBe("no_match");
    const ambiguous = await errorOf(run(editTool, { path: "src/main.ts", old_text: "const", new_text: "let" }));
    expect(ambiguous.code).toBe("ambiguous_match");
    expect(ambiguous.message).toContain("occurs 2 times");
    expect((await run(editTool, { path: "src/main.ts", old_text: "const", new_text: "let", replace_all: true })).text).toContain("2 replacements");
  });
});

describe("ls", () => {
  it("lists a directory with / for dirs and @ for links", async () => {
    expect((await run(lsTool, {})).text).toBe("escape@\nnotes.md\nsrc/");
    expect((await errorOf(run(lsTool, { path: "escape" }))).code).toBe("path_escape");
  });
});

describe("glob", () => {
  it("finds files by pattern and never returns paths outside", async () => {
    expect((await run(globTool, { pattern: "**/*.ts" })).text).toBe("src/lib/util.ts\nsrc/main.ts");
    expect((await run(globTool, { pattern: "escape/*.ts" })).text).toBe("no matches");
  });

  it("refuses absolute and .. patterns", async () => {
    expect((await errorOf(run(globTool, { pattern: "/etc/*" }))).code).toBe("path_escape");
    expect((await errorOf(run(globTool, { pattern: "../**" }))).code).toBe("path_escape");
  });
});

describe("grep", () => {
  it("returns file:line: text, optionally case-insensitive and filtered by glob", async () => {
    expect((await run(grepTool, { pattern: "TODO" })).text).toBe("src/lib/util.ts:1: export const TODO = 'x';");
    expect((await run(grepTool, { pattern: "todo", ignore_case: true, glob: "**/*.md" })).text).toBe("notes.md:1: todo: write tests");
    expect((await run(grepTool, { pattern: "const b", path: "src/main.ts" })).text).toBe("src/main.ts:2: const b = 2;");
  });

  it("does not search through symlinks out of the workspace", async () => {
    expect((await run(grepTool, { pattern: "secret", glob: "escape/*" })).text).toBe("no matches");
    expect((await errorOf(run(grepTool, { pattern: "x", path: "escape" }))).code).toBe("path_escape");
  });

  it("names a bad regex and the unsupported construct", async () => {
    expect((await errorOf(run(grepTool, { pattern: "(" }))).message).toBe(
      'grep: argument "pattern": error parsing regexp: missing closing ): `(` (RE2 syntax: no backreferences or lookaround)',
    );
    expect((await errorOf(run(grepTool, { pattern: "(a)\\1" }))).message).toContain("invalid escape sequence: `\\1`");
    expect((await errorOf(run(grepTool, { pattern: "a(?=b)" }))).message).toContain("unsupported Perl syntax: `(?=`");
  });
});

describe("protected paths", () => {
  const protectedCtx = () => ({ ...ctx, policy: policySchema.parse({ fs: { protected: [".vscode", "**/Makefile"] } }) });

  beforeEach(async () => {
    await mkdir(join(ws, ".git", "hooks"), { recursive: true });
    await writeFile(join(ws, ".git", "config"), "[core]\n\tbare = false\n");
    await mkdir(join(ws, "sub", ".git"), { recursive: true });
    await writeFile(join(ws, "sub", ".git", "config"), "[core]\n");
  });

  it("refuses to write or edit .git at any depth, in any spelling, naming the path and the policy", async () => {
    const err = await errorOf(run(writeTool, { path: ".git/config", content: "[core]\n\tfsmonitor = touch /tmp/pwned\n" }));
    expect(err.code).toBe("protected_path");
    expect(err.message).toBe(
      ".git/config: refused, .git is protected because host tools (git, editors, build tools) execute what it contains; " +
        "the agent may read it but not change it. .git is always protected; other protected paths are listed in policy.fs.protected.",
    );
    for (const path of [".git/hooks/pre-commit", "sub/.git/config", ".GIT/config", "./.git//hooks/x", "src/../.git/config", ".g\u200cit/config", "new/.git/config"]) {
      expect((await errorOf(run(writeTool, { path, content: "x" }))).code, path).toBe("protected_path");
    }
    expect((await errorOf(run(editTool, { path: ".git/config", old_text: "bare = false", new_text: "bare = true" }))).code).toBe("protected_path");
    expect(await readFile(join(ws, ".git", "config"), "utf8")).toBe("[core]\n\tbare = false\n");
    await expect(readFile(join(ws, ".git", "hooks", "pre-commit"))).rejects.toThrow("ENOENT");
    await expect(readFile(join(ws, "new", ".git", "config"))).rejects.toThrow("ENOENT");
  });

  it("refuses a write routed into .git through a symlink inside the workspace", async () => {
    await symlink(".git", join(ws, "innocent"));
    expect((await errorOf(run(writeTool, { path: "innocent/config", content: "x" }))).code).toBe("protected_path");
  });

  it("refuses paths listed in policy.fs.protected, case-insensitively, and still reads them", async () => {
    const c = protectedCtx();
    expect((await errorOf(writeTool.execute({ path: ".VSCode/tasks.json", content: "{}" }, c))).code).toBe("protected_path");
    expect((await errorOf(writeTool.execute({ path: "src/lib/makefile", content: "all:" }, c))).code).toBe("protected_path");
    expect((await writeTool.execute({ path: "src/notes.md", content: "ok" }, c)).text).toBe("wrote 2 bytes to src/notes.md");
    expect((await readTool.execute({ path: ".git/config" }, c)).text).toContain("bare = false");
  });
});
