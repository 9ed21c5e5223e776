// Glob patterns compiled to RE2: the usual syntax, case folding, the fixed base, and blow-ups that stay cheap.
import { describe, expect, it } from "vitest";
import { compileGlob } from "./glob-pattern.ts";

describe("compileGlob", () => {
  it.each([
    ["**/*.ts", "a/b/c.ts", true],
    ["**/*.ts", "c.ts", true],
    ["*.ts", "a/c.ts", false],
    ["src/**", "src", true],
    ["src/**", "src/a/b", true],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["{a,b{c,d}}/x", "bd/x", true],
    ["[!a]?.md", "bc.md", true],
    ["[!a]?.md", "ac.md", false],
    ["a.b", "axb", false],
    ["./x//y", "x/y", true],
  ])("%s on %s → %s", (pattern, path, expected) => {
    expect(compileGlob(pattern).test(path)).toBe(expected);
  });

  it("folds case when asked and reports the fixed base directories", () => {
    expect(compileGlob(".git/**", { nocase: true }).test(".GIT/config")).toBe(true);
    expect(compileGlob("src/lib/*.ts").base).toEqual(["src", "lib"]);
  });

  it("refuses unclosed braces and over-long patterns", () => {
    expect(() => compileGlob("{a,b")).toThrow("unclosed {");
    expect(() => compileGlob("a".repeat(1_001))).toThrow("longer than 1000 characters");
  });

  it("matches brace and globstar blow-ups in linear time", () => {
    expect(compileGlob(`${"{a,b}".repeat(150)}c`).test(`${"ab".repeat(100)}x`)).toBe(false);
    expect(compileGlob(`${"**/".repeat(300)}x`).test(`${"a/".repeat(300)}y`)).toBe(false);
  });
});
