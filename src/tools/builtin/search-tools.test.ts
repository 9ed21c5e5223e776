// grep and glob stay bounded: linear-time patterns, the run's signal stops a search, pattern blow-ups are cheap.
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import type { ToolContext } from "../tool.ts";
import { globTool, grepTool } from "./search-tools.ts";

let ws: string;
const ctxWith = (signal: AbortSignal): ToolContext => ({ workspace: ws, policy: policySchema.parse({}), signal, runId: "r1", sessionKey: "s1" });

beforeEach(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-search-")));
});
afterEach(() => rm(ws, { recursive: true, force: true }));

describe("grep", () => {
  it("runs a catastrophic-backtracking pattern in linear time", async () => {
    // A backtracking engine needs about 2^30 steps here (tens of seconds of a frozen event loop).
    await writeFile(join(ws, "a.txt"), `${"a".repeat(30)}b\naaa\n`);
    const r = await grepTool.execute({ pattern: "(a+)+$" }, ctxWith(new AbortController().signal));
    expect(r.text).toBe("a.txt:2: aaa");
  });

  it("stops when the run's signal is aborted and says so", async () => {
    await writeFile(join(ws, "a.txt"), "needle\n");
    const ac = new AbortController();
    ac.abort();
    const r = await grepTool.execute({ pattern: "needle" }, ctxWith(ac.signal));
    expect(r.text).toBe("no matches\n[search stopped: the run was stopped]");
  });

  it("stops within a big file when the signal aborts meanwhile", async () => {
    await writeFile(join(ws, "big.txt"), `${"x".repeat(99)}\n`.repeat(9_000) + "needle\n");
    const ac = new AbortController();
    setImmediate(() => ac.abort()); // fires while grep reads or scans the file
    const r = await grepTool.execute({ pattern: "needle", path: "big.txt" }, ctxWith(ac.signal));
    expect(r.text).toBe("no matches\n[search stopped: the run was stopped]");
  });

  it("searches a single file and filters a tree by a glob relative to the path", async () => {
    await mkdir(join(ws, "src", "deep"), { recursive: true });
    await writeFile(join(ws, "src", "deep", "x.ts"), "needle\n");
    await writeFile(join(ws, "src", "y.md"), "needle\n");
    const ctx = ctxWith(new AbortController().signal);
    expect((await grepTool.execute({ pattern: "needle", path: "src", glob: "**/*.ts" }, ctx)).text).toBe("src/deep/x.ts:1: needle");
    expect((await grepTool.execute({ pattern: "needle", path: "src/y.md" }, ctx)).text).toBe("src/y.md:1: needle");
  });
});

describe("glob", () => {
  it("answers brace and globstar blow-ups at once", async () => {
    await writeFile(join(ws, "ab.txt"), "");
    const ctx = ctxWith(new AbortController().signal);
    expect((await globTool.execute({ pattern: `${"{a,b}".repeat(40)}.txt` }, ctx)).text).toBe("no matches");
    expect((await globTool.execute({ pattern: `${"**/".repeat(200)}*.txt` }, ctx)).text).toBe("ab.txt");
  });

  it("refuses a pattern over the length limit with the field named", async () => {
    const err = await globTool.execute({ pattern: "a".repeat(1_001) }, ctxWith(new AbortController().signal)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "invalid_args", message: 'glob: argument "pattern": longer than 1000 characters' });
  });
});
