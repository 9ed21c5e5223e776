// Pincer's Node flags: PINCER_NODE_OPTIONS, and the copies on the command lines users start Pincer with.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_NODE_FLAGS, nodeFlagsFor } from "./node-flags.ts";

const BIN = fileURLToPath(new URL("../../bin/pincer.js", import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));
// Prints the flags Node started with before the command runs.
const PRINT_EXEC_ARGV = "--import=data:text/javascript,process.stderr.write(JSON.stringify(process.execArgv)+'\\n')";

/** Runs bin/pincer.js as the installed command is run: as a program, found node on PATH. */
function runBin(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; execArgv: string[] }> {
  const child = spawn(BIN, args, {
    env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`, NODE_OPTIONS: PRINT_EXEC_ARGV, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, execArgv: JSON.parse(stderr.split("\n")[0] ?? "null") as string[] }));
  });
}

describe("nodeFlagsFor", () => {
  it("gives the defaults, or PINCER_NODE_OPTIONS split on spaces instead (empty: none at all)", () => {
    expect(nodeFlagsFor({})).toEqual(["--max-semi-space-size=8"]);
    expect(nodeFlagsFor({ PINCER_NODE_OPTIONS: " --max-semi-space-size=16  --max-old-space-size=512 " })).toEqual(["--max-semi-space-size=16", "--max-old-space-size=512"]);
    expect(nodeFlagsFor({ PINCER_NODE_OPTIONS: "" })).toEqual([]);
  });
});

describe("the command lines users start Pincer with", () => {
  it.skipIf(process.platform === "win32")("bin/pincer.js starts Node with the default flags, or with PINCER_NODE_OPTIONS", async () => {
    expect(await runBin(["--version"])).toEqual({ code: 0, execArgv: [...DEFAULT_NODE_FLAGS] });
    expect(await runBin(["--version"], { PINCER_NODE_OPTIONS: "--max-semi-space-size=16 --max-old-space-size=512" })).toEqual({
      code: 0,
      execArgv: ["--max-semi-space-size=16", "--max-old-space-size=512"],
    });
    expect(await runBin(["--version"], { PINCER_NODE_OPTIONS: "" })).toEqual({ code: 0, execArgv: [] });
  });

  it("npm start goes through bin/pincer.js; npm run pincer passes the default flags", async () => {
    const { scripts } = JSON.parse(await readFile(PACKAGE_JSON, "utf8")) as { scripts: Record<string, string> };
    expect(scripts["start"]).toMatch(/(^|&& )bin\/pincer\.js gateway$/);
    expect(scripts["pincer"]).toBe(`node ${DEFAULT_NODE_FLAGS.join(" ")} src/cli/main.ts`);
  });
});
