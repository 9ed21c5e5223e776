// Pincer's Node flags: PINCER_NODE_OPTIONS, and the copies on the command lines users start Pincer with.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_MALLOC_ENV, DEFAULT_NODE_FLAGS, mallocEnvFor, nodeFlagsFor } from "./node-flags.ts";

const BIN = fileURLToPath(new URL("../../bin/pincer.js", import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));
// Prints the flags Node started with, and its malloc environment, before the command runs.
const PRINT_EXEC_ARGV =
  "--import=data:text/javascript,process.stderr.write(JSON.stringify([process.execArgv,process.env.MALLOC_ARENA_MAX,process.env.MALLOC_MMAP_THRESHOLD_])+'\\n')";

/** Runs bin/pincer.js as the installed command is run: as a program, found node on PATH. */
function runBin(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; execArgv: string[]; malloc: Record<string, string> }> {
  const child = spawn(BIN, args, {
    env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`, NODE_OPTIONS: PRINT_EXEC_ARGV, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const [execArgv, arenas, mmapThreshold] = JSON.parse(stderr.split("\n")[0] ?? "null") as [string[], string, string];
      resolve({ code, execArgv, malloc: { MALLOC_ARENA_MAX: arenas, MALLOC_MMAP_THRESHOLD_: mmapThreshold } });
    });
  });
}

describe("nodeFlagsFor", () => {
  it("gives the defaults, or PINCER_NODE_OPTIONS split on spaces instead (empty: none at all)", () => {
    expect(nodeFlagsFor({})).toEqual(["--max-semi-space-size=8"]);
    expect(nodeFlagsFor({ PINCER_NODE_OPTIONS: " --max-semi-space-size=16  --max-old-space-size=512 " })).toEqual(["--max-semi-space-size=16", "--max-old-space-size=512"]);
    expect(nodeFlagsFor({ PINCER_NODE_OPTIONS: "" })).toEqual([]);
  });
});

describe("mallocEnvFor", () => {
  it("gives glibc's settings for a bounded, returnable malloc heap, keeping any the environment sets to a value", () => {
    expect(mallocEnvFor({})).toEqual({ MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "32768" });
    expect(mallocEnvFor({ MALLOC_ARENA_MAX: "8", PATH: "/bin" })).toEqual({ MALLOC_ARENA_MAX: "8", MALLOC_MMAP_THRESHOLD_: "32768" });
    expect(mallocEnvFor({ MALLOC_MMAP_THRESHOLD_: "" })).toEqual(DEFAULT_MALLOC_ENV);
  });
});

describe("the command lines users start Pincer with", () => {
  it.skipIf(process.platform === "win32")("bin/pincer.js starts Node with the default flags, or with PINCER_NODE_OPTIONS", async () => {
    expect(await runBin(["--version"])).toMatchObject({ code: 0, execArgv: [...DEFAULT_NODE_FLAGS] });
    expect(await runBin(["--version"], { PINCER_NODE_OPTIONS: "--max-semi-space-size=16 --max-old-space-size=512" })).toMatchObject({
      code: 0,
      execArgv: ["--max-semi-space-size=16", "--max-old-space-size=512"],
    });
    expect(await runBin(["--version"], { PINCER_NODE_OPTIONS: "" })).toMatchObject({ code: 0, execArgv: [] });
  });

  it.skipIf(process.platform === "win32")("bin/pincer.js starts Node with the default malloc settings, or with those already set to a value", async () => {
    expect((await runBin(["--version"])).malloc).toEqual(DEFAULT_MALLOC_ENV);
    expect((await runBin(["--version"], { MALLOC_ARENA_MAX: "4", PINCER_NODE_OPTIONS: "" })).malloc).toEqual({ ...DEFAULT_MALLOC_ENV, MALLOC_ARENA_MAX: "4" });
    expect((await runBin(["--version"], { MALLOC_MMAP_THRESHOLD_: "" })).malloc).toEqual(DEFAULT_MALLOC_ENV);
  });

  it("npm start goes through bin/pincer.js; npm run pincer passes the default flags", async () => {
    const { scripts } = JSON.parse(await readFile(PACKAGE_JSON, "utf8")) as { scripts: Record<string, string> };
    expect(scripts["start"]).toMatch(/(^|&& )bin\/pincer\.js gateway$/);
    expect(scripts["pincer"]).toBe(`node ${DEFAULT_NODE_FLAGS.join(" ")} src/cli/main.ts`);
  });
});
