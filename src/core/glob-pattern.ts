// Glob patterns (`*`, `**`, `?`, `[...]`, `{a,b}`) compiled to one linear-time RE2 regex, so no pattern can make
// matching blow up (`{a,b}{a,b}…` is an alternation, never an expansion). Matches `/`-separated relative paths only.
import { createRequire } from "node:module";
import type { RE2JS } from "re2js";

let re2: typeof RE2JS | undefined;
/** The RE2 engine (re2js, ~260 KB of JavaScript), loaded on first use so start-up does not pay for it. */
export function loadRE2(): typeof RE2JS {
  re2 ??= (createRequire(import.meta.url)("re2js") as typeof import("re2js")).RE2JS;
  return re2;
}

/** Longer patterns are refused: the compiled program grows with the pattern. */
export const MAX_GLOB_CHARS = 1_000;
const MAX_BRACE_DEPTH = 10;

export class GlobPatternError extends Error {
  override readonly name = "GlobPatternError";
}

export interface GlobMatcher {
  /** True when the whole relative path (`a/b.ts`, no leading `./`) matches. */
  test(path: string): boolean;
  /** The leading directory components without wildcards: no match lies outside them. */
  readonly base: string[];
}

const META = /[*?[\]{}\\]/;

function quote(ch: string): string {
  return /[A-Za-z0-9_/-]/.test(ch) ? ch : `\\x{${ch.codePointAt(0)!.toString(16)}}`;
}

/** Translates one pattern (or a brace alternative) from `i` until `stop` (`,` or `}` inside braces). */
function translate(p: string, start: number, depth: number): { re: string; end: number } {
  let re = "";
  let i = start;
  while (i < p.length) {
    const ch = p[i]!;
    if (depth > 0 && (ch === "," || ch === "}")) break;
    if (ch === "\\" && i + 1 < p.length) {
      re += quote(p[i + 1]!);
      i += 2;
    } else if (ch === "*") {
      const atSegmentStart = i === 0 || p[i - 1] === "/";
      if (p[i + 1] === "*" && atSegmentStart && (i + 2 === p.length || p[i + 2] === "/")) {
        // `**` as a whole segment: any number of directories (`**/` zero or more, trailing `**` anything).
        if (i + 2 < p.length) re += "(?:[^/]*/)*";
        else if (re.endsWith("/")) re = `${re.slice(0, -1)}(?:/.*)?`; // `dir/**` also matches dir itself
        else re += ".*";
        i += 3;
      } else {
        while (p[i] === "*") i++;
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
      i++;
    } else if (ch === "[") {
      const close = p.indexOf("]", i + 2);
      if (close === -1) {
        re += quote(ch);
        i++;
        continue;
      }
      let body = p.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      re += `[${negate ? "^/" : ""}${[...body].map((c) => (c === "-" ? "-" : quote(c))).join("")}]`;
      i = close + 1;
    } else if (ch === "{") {
      if (depth >= MAX_BRACE_DEPTH) throw new GlobPatternError(`braces nested deeper than ${MAX_BRACE_DEPTH}`);
      const alternatives: string[] = [];
      let j = i + 1;
      for (;;) {
        const part = translate(p, j, depth + 1);
        alternatives.push(part.re);
        if (part.end >= p.length) throw new GlobPatternError("unclosed {");
        j = part.end + 1;
        if (p[part.end] === "}") break;
      }
      re += `(?:${alternatives.join("|")})`;
      i = j;
    } else {
      re += quote(ch);
      i++;
    }
  }
  return { re, end: i };
}

/**
 * Compiles a glob for relative paths. `nocase` compares case-insensitively.
 * Throws GlobPatternError for a pattern that is too long, has unclosed braces or nests them too deep.
 */
export function compileGlob(pattern: string, opts: { nocase?: boolean } = {}): GlobMatcher {
  if (pattern.length > MAX_GLOB_CHARS) throw new GlobPatternError(`longer than ${MAX_GLOB_CHARS} characters`);
  const cleaned = pattern.replace(/^(\.\/)+/, "").replace(/\/+/g, "/");
  const { re } = translate(cleaned, 0, 0);
  const RE2 = loadRE2();
  let regex: RE2JS;
  try {
    regex = RE2.compile(`^${re}$`, opts.nocase ? RE2.CASE_INSENSITIVE | RE2.DOTALL : RE2.DOTALL);
  } catch (err) {
    throw new GlobPatternError((err as Error).message);
  }
  const segments = cleaned.split("/");
  const base: string[] = [];
  for (const seg of segments.slice(0, -1)) {
    if (META.test(seg) || seg === "" || seg === "." || seg === "..") break;
    base.push(seg);
  }
  return { test: (path) => regex.matches(path), base };
}
