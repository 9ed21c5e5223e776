// The file tools under a racing swapper: a child process swaps a workspace directory for a symlink to a
// directory outside in a tight loop while read and write run through that directory. Nothing may leak.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import type { ToolContext } from "../tool.ts";
import { lsTool, readTool, writeTool } from "./fs-tools.ts";
import { grepTool } from "./search-tools.ts";

const SWAPPER = `
const { renameSync, rmSync } = require("node:fs");
const [dir, link, tmp] = process.argv.slice(1);
const attempt = (f) => { try { f(); return true; } catch { return false; } };
for (let n = 1; ; n++) {
  attempt(() => renameSync(dir, tmp));
  // dir is now the symlink out; a write may have created dir meanwhile: clear it and retry (a write landing during
  // the removal makes it fail; the next round tries again)
  if (!attempt(() => renameSync(link, dir))) { attempt(() => rmSync(dir, { recursive: true, force: true })); attempt(() => renameSync(link, dir)); }
  attempt(() => renameSync(dir, link));
  attempt(() => renameSync(tmp, dir)); // dir is the real directory again
  if (n === 1) process.stdout.write("ready\\n");
}`;

let ws: string;
let outside: string;
let swapper: ChildProcess | undefined;

beforeEach(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-race-")));
  outside = await realpath(await mkdtemp(join(tmpdir(), "pincer-race-out-")));
  await mkdir(join(ws, "dir"));
  await writeFile(join(ws, "dir", "secret"), "inside\n");
  await writeFile(join(outside, "secret"), "OUTSIDE-SECRET\n");
  await writeFile(join(outside, "outside-only"), "");
  await symlink(outside, join(ws, "link"));
});
afterEach(async () => {
  swapper?.kill("SIGKILL");
  if (swapper && swapper.exitCode === null) await once(swapper, "exit");
  await rm(ws, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function startSwapper(): Promise<void> {
  swapper = spawn(process.execPath, ["-e", SWAPPER, join(ws, "dir"), join(ws, "link"), join(ws, "tmp")], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(swapper.stdout!, "data")) as [Buffer];
  expect(chunk.toString()).toBe("ready\n");
}

it("never reads, lists or writes outside the workspace while a directory is swapped for a symlink out", async () => {
  const ctx: ToolContext = { workspace: ws, policy: policySchema.parse({}), signal: new AbortController().signal, runId: "r1", sessionKey: "s1" };
  await startSwapper();
  const leaked: string[] = [];
  let refused = 0;
  for (let i = 0; i < 600 && leaked.length === 0; i++) {
    const read = await readTool.execute({ path: "dir/secret" }, ctx).catch(() => undefined);
    if (read === undefined) refused++;
    else if (read.text.includes("OUTSIDE")) leaked.push(`read ${i}`);
    const grep = await grepTool.execute({ pattern: "SECRET", path: "dir" }, ctx).catch(() => undefined);
    if (grep?.text.includes("OUTSIDE")) leaked.push(`grep ${i}`);
    const ls = await lsTool.execute({ path: "dir" }, ctx).catch(() => undefined);
    if (ls?.text.includes("outside-only")) leaked.push(`ls ${i}`);
    await writeTool.execute({ path: `dir/x${i % 10}`, content: "x" }, ctx).catch(() => undefined);
    if ((await readdir(outside)).length > 2) leaked.push(`write ${i}`);
  }
  expect(leaked).toEqual([]);
  expect(refused).toBeGreaterThan(0); // the swapper really raced the tools
});
