// The Node version Pincer needs is stated in four places; they must agree: package.json's engines, bin/pincer.js
// (which refuses an older Node), `pincer doctor` and the README.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MIN_NODE } from "./doctor-command.ts";

const read = (path: string): Promise<string> => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

describe("the minimum Node version", () => {
  it("is the same in engines, bin/pincer.js, doctor and the README", async () => {
    const pkg = JSON.parse(await read("package.json")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE}`);
    expect(await read("bin/pincer.js")).toContain(`Node.js ${MIN_NODE} or newer`);
    expect(await read("README.md")).toContain(`must be ${MIN_NODE} or newer`);
  });
});
