// `/skills/<name>/…` through the file tools and exec: readable, never writable, confined to the skill's folder, and
// only the run's skills resolve.
import { chmod, chown, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../core/config-schema.ts";
import { ToolError } from "../core/errors.ts";
import { createBubblewrapSandbox } from "../sandbox/bubblewrap-sandbox.ts";
import { detectBubblewrap } from "../sandbox/detect.ts";
import { createHostSandbox } from "../sandbox/host-sandbox.ts";
import { createExecTool } from "./builtin/exec-tool.ts";
import { editTool, lsTool, readTool, writeTool } from "./builtin/fs-tools.ts";
import { globTool, grepTool } from "./builtin/search-tools.ts";
import type { Tool, ToolContext } from "./tool.ts";

let base: string;
let ws: string;
let gh: string;
let ctx: ToolContext;
const used: string[] = [];

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "pincer-skillpaths-")));
  ws = join(base, "workspace");
  gh = join(base, "managed", "gh");
  await mkdir(ws, { recursive: true });
  await mkdir(join(gh, "scripts"), { recursive: true });
  await writeFile(join(gh, "SKILL.md"), "---\nname: gh\ndescription: GitHub.\n---\n# gh\nRun scripts/hello.sh\n");
  await writeFile(join(gh, "scripts", "hello.sh"), "echo hello from $0\n");
  await writeFile(join(base, "secret.txt"), "SECRET");
  await symlink(join(base, "secret.txt"), join(gh, "leak.txt"));
  await writeFile(join(base, "blocked.md"), "blocked");
  // Commands of a root gateway run as nobody: the folders must be readable by others, as installed skills are.
  await chmod(base, 0o755);
  if (process.getuid?.() === 0) await chown(ws, 65534, 65534);
  used.length = 0;
  ctx = {
    workspace: ws, policy: policySchema.parse({}), signal: new AbortController().signal, runId: "r1", sessionKey: "s1",
    skills: { dirs: new Map([["gh", gh]]), tools: [], noteUse: (name) => void used.push(name) },
  };
});
afterEach(() => rm(base, { recursive: true, force: true }));

const run = (tool: Tool, args: Record<string, unknown>) => tool.execute(args, ctx);
async function errorOf(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ToolError)) throw new Error(`expected a ToolError, got ${String(err)}`);
  return err;
}

describe("/skills paths in the file tools", () => {
  it("reads a skill's files and counts reading SKILL.md as using the skill", async () => {
    expect((await run(readTool, { path: "/skills/gh/SKILL.md" })).text).toContain("Run scripts/hello.sh");
    expect(used).toEqual(["gh"]);
    expect((await run(readTool, { path: "/skills/gh/scripts/hello.sh" })).text).toContain("echo hello");
    expect(used).toEqual(["gh"]);
  });

  it("lists /skills and a skill folder, globs and greps inside it with /skills paths", async () => {
    expect((await run(lsTool, { path: "/skills" })).text).toBe("gh/");
    expect((await run(lsTool, { path: "/skills/gh" })).text).toBe("leak.txt@\nscripts/\nSKILL.md");
    expect((await run(globTool, { pattern: "/skills/gh/**/*.sh" })).text).toBe("/skills/gh/scripts/hello.sh");
    expect((await run(grepTool, { pattern: "hello", path: "/skills/gh" })).text).toBe("/skills/gh/SKILL.md:6: Run scripts/hello.sh\n/skills/gh/scripts/hello.sh:1: echo hello from $0");
  });

  it("refuses to write or edit under /skills, leaving the file unchanged", async () => {
    const write = await errorOf(run(writeTool, { path: "/skills/gh/SKILL.md", content: "pwned" }));
    expect(write.code).toBe("denied");
    expect(write.message).toMatch(/skills are read-only to the agent/);
    expect((await errorOf(run(editTool, { path: "/skills/gh/SKILL.md", old_text: "gh", new_text: "x" }))).code).toBe("denied");
    expect((await errorOf(run(writeTool, { path: "/skills/new/SKILL.md", content: "x" }))).code).toBe("denied");
    expect(await readFile(join(gh, "SKILL.md"), "utf8")).toContain("# gh");
  });

  it("refuses a symlink inside a skill that points out of it, and .. out of the skill", async () => {
    const leak = await errorOf(run(readTool, { path: "/skills/gh/leak.txt" }));
    expect(leak.code).toBe("path_escape");
    expect(leak.message).toMatch(/^\/skills\/gh\/leak.txt: refused/);
    expect((await errorOf(run(readTool, { path: "/skills/gh/../../secret.txt" }))).code).toBe("path_escape");
  });

  it("does not resolve a skill the run does not have (blocked, unavailable, unknown)", async () => {
    const err = await errorOf(run(readTool, { path: "/skills/blocked/SKILL.md" }));
    expect(err.code).toBe("not_found");
    expect(err.message).toMatch(/no skill of that name is available to this agent/);
    const noSkills = { ...ctx, skills: undefined };
    expect((await errorOf(readTool.execute({ path: "/skills/gh/SKILL.md" }, noSkills))).code).toBe("path_escape");
  });
});

const detection = await detectBubblewrap();
if (process.env.CI && !detection.available) throw new Error(`bubblewrap is required in CI: ${detection.reason}`);

describe("/skills in exec", () => {
  it.skipIf(!detection.available)("bubblewrap mounts each skill read-only at /skills/<name>", async () => {
    const exec = createExecTool(createBubblewrapSandbox({ bwrapPath: detection.path! }));
    ctx.policy = policySchema.parse({ exec: { level: "full" } });
    const r = await run(exec, { command: "sh /skills/gh/scripts/hello.sh" });
    expect(r.text).toBe("exit code 0\nstdout:\nhello from /skills/gh/scripts/hello.sh");
    const write = await run(exec, { command: "touch /skills/gh/new-file" });
    expect(write.isError).toBe(true);
    expect(write.text).toMatch(/Read-only file system/);
  });

  it("the host sandbox rewrites a leading /skills/<name>/ in arguments to the skill's folder", async () => {
    const exec = createExecTool(createHostSandbox());
    ctx.policy = policySchema.parse({ exec: { level: "full" } });
    const r = await run(exec, { command: "sh /skills/gh/scripts/hello.sh" });
    expect(r.text).toBe(`exit code 0\nstdout:\nhello from ${gh}/scripts/hello.sh`);
  });
});
