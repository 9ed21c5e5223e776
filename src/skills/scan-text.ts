// Pure text checks of one skill file: secrets, hidden Unicode, dangerous commands, prompt injection, role-tag
// spoofing and (in SKILL.md) HTML comments. Never throws; at most MAX_PER_CODE findings of a code per file.
import { posix } from "node:path";
import { DANGEROUS_RULES, INJECTION_RULES, isPlaceholderSecret, MAX_LINE_CHARS, SECRET_RULES, WINDOW_OVERLAP, type LineRule, type SecretRule } from "./scan-rules.ts";
import type { FindingSeverity, ScanFinding } from "./skill-types.ts";

/** How a file is read: SKILL.md is the prompt itself; prose (Markdown, text, data the model reads) is checked for
 * prompt injection too; code is not (a script may well hold such phrases as data). */
export type TextRole = "manifest" | "prose" | "code";

const PROSE_EXTENSIONS = new Set([".md", ".markdown", ".mdx", ".txt", ".rst", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".csv", ".tsv", ".html", ".htm"]);
/** Findings of one code kept per file; the last one kept says how many more there were. */
export const MAX_PER_CODE = 5;
const EXCERPT_CHARS = 60;
// oxlint-disable-next-line no-control-regex -- control characters are replaced before text is shown
const CONTROL_CHAR = /[\u0000-\u001f\u007f]/g;

export function roleOfFile(rel: string, text: string): TextRole {
  if (rel === "SKILL.md") return "manifest";
  const ext = posix.extname(rel).toLowerCase();
  if (PROSE_EXTENSIONS.has(ext)) return "prose";
  return ext === "" && !text.startsWith("#!") ? "prose" : "code";
}

const SEVERITY_RANK: Record<FindingSeverity, number> = { info: 0, warn: 1, block: 2 };

/** All findings of one text file. `rel` is the file's `/`-separated path in the skill folder. */
export function scanText(rel: string, text: string, role: TextRole): ScanFinding[] {
  const findings: ScanFinding[] = [];
  // Only the rules whose hints occur somewhere in the file run line by line: most files skip most rules.
  const present = findHints(text.toLowerCase());
  const hinted = <T extends { hints: readonly string[] }>(rules: readonly T[]): T[] => rules.filter((r) => r.hints.some((h) => present.has(h)));
  const lineRules = hinted(role === "code" ? DANGEROUS_RULES : [...DANGEROUS_RULES, ...INJECTION_RULES]);
  const secretRules = hinted(SECRET_RULES);
  const hidden = HIDDEN_CHAR_ANYWHERE.test(text);
  let start = 0;
  for (let lineNo = 1; start <= text.length; lineNo++) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end);
    if (line.length > 0) {
      if (hidden) findings.push(...findHiddenChars(rel, line, lineNo, { manifest: role === "manifest", fileStart: start === 0 }));
      if (secretRules.length > 0) findings.push(...findSecrets(rel, line, lineNo, secretRules));
      if (lineRules.length > 0) findings.push(...matchLineRules(rel, line, lineNo, lineRules));
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  if (role === "manifest") findings.push(...findHtmlComments(rel, text));
  return capPerCode(findings);
}

const ALL_HINTS = [...new Set([...DANGEROUS_RULES, ...INJECTION_RULES, ...SECRET_RULES].flatMap((r) => r.hints))].sort((a, b) => b.length - a.length);
const HINT_PATTERN = new RegExp(ALL_HINTS.map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
/** For each hint, the hints it contains (itself included): a match of the longer one is a match of each. */
const CONTAINED_HINTS = new Map(ALL_HINTS.map((h) => [h, ALL_HINTS.filter((other) => h.includes(other))]));

/**
 * The hints occurring in a lower-cased text, in one pass of one regex: after each match the search resumes one
 * character later (not after the match), so a hint starting inside another is still found.
 */
export function findHints(lower: string): Set<string> {
  const found = new Set<string>();
  const pattern = new RegExp(HINT_PATTERN);
  for (let match = pattern.exec(lower); match !== null; match = pattern.exec(lower)) {
    for (const hint of CONTAINED_HINTS.get(match[0]) ?? []) found.add(hint);
    pattern.lastIndex = match.index + 1;
  }
  return found;
}

/** The line in windows of MAX_LINE_CHARS overlapping by WINDOW_OVERLAP: every pattern's span fits in the overlap. */
function windowsOf(line: string): string[] {
  if (line.length <= MAX_LINE_CHARS) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += MAX_LINE_CHARS - WINDOW_OVERLAP) {
    out.push(line.slice(i, i + MAX_LINE_CHARS));
    if (i + MAX_LINE_CHARS >= line.length) break;
  }
  return out;
}

/** One finding per code per line, at the highest severity any rule of that code gives it. */
export function matchLineRules(rel: string, line: string, lineNo: number, rules: readonly LineRule[]): ScanFinding[] {
  const byCode = new Map<string, ScanFinding>();
  for (const window of windowsOf(line)) {
    const lower = window.toLowerCase();
    for (const rule of rules) {
      if (!rule.hints.some((hint) => lower.includes(hint))) continue;
      const match = rule.pattern.exec(window);
      if (!match) continue;
      const severity = rule.also === undefined || rule.also.test(window) ? rule.severity : rule.otherwise;
      if (severity === undefined) continue;
      const seen = byCode.get(rule.code);
      if (seen && SEVERITY_RANK[seen.severity] >= SEVERITY_RANK[severity]) continue;
      byCode.set(rule.code, { code: rule.code, severity, file: rel, line: lineNo, message: `${rule.message} (${excerpt(match[0])})` });
    }
  }
  return [...byCode.values()];
}

/** A matched text shown safely: shortened, secrets masked, invisible and control characters replaced. */
function excerpt(text: string): string {
  let shown = text.trim();
  for (const rule of SECRET_RULES) shown = shown.replace(rule.pattern, (value) => maskSecret(value, rule.shown));
  shown = shown.replace(HIDDEN_CHAR, "?").replace(CONTROL_CHAR, " ");
  return `\`${shown.length > EXCERPT_CHARS ? `${shown.slice(0, EXCERPT_CHARS)}…` : shown}\``;
}

function maskSecret(value: string, shown: number): string {
  return shown < 0 ? value : `${value.slice(0, shown)}…`;
}

export function findSecrets(rel: string, line: string, lineNo: number, rules: readonly SecretRule[] = SECRET_RULES): ScanFinding[] {
  const lower = line.toLowerCase();
  const out: ScanFinding[] = [];
  for (const rule of rules) {
    if (!rule.hints.some((hint) => lower.includes(hint))) continue;
    for (const match of line.matchAll(rule.pattern)) {
      if (rule.shown >= 0 && isPlaceholderSecret(match[0])) continue;
      const shown = rule.shown < 0 ? "" : ` (${maskSecret(match[0], rule.shown)}, ${match[0].length} characters)`;
      out.push({
        code: "secret",
        severity: "block",
        file: rel,
        line: lineNo,
        message: `looks like a ${rule.kind}${shown}: a published skill must never carry a credential; remove it, revoke it, and read it from the environment instead`,
      });
      break;
    }
  }
  return out;
}

/** Invisible or direction-changing characters: what a reviewer sees is not what the model or the shell reads. */
// oxlint-disable-next-line no-misleading-character-class -- the lone combining and variation characters are what is searched for
const HIDDEN_CHAR = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0D\uFEFF\uFFA0\uFFF9-\uFFFB\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
const HIDDEN_CHAR_ANYWHERE = new RegExp(HIDDEN_CHAR.source, "u");
const EMOJI_PART = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)$/u;

type HiddenKind = "bidi_control" | "unicode_tags" | "zero_width" | "invisible_format";

const HIDDEN_WHY: Record<HiddenKind, string> = {
  bidi_control: "bidirectional control characters reorder how text is displayed (Trojan Source)",
  unicode_tags: "Unicode tag characters are invisible text that models read (ASCII smuggling)",
  zero_width: "zero-width characters hide text or split words so filters miss them",
  invisible_format: "invisible format characters hide text or split words so filters miss them",
};

function kindOfHidden(cp: number): HiddenKind {
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x061c) return "bidi_control";
  if (cp >= 0xe0000 && cp <= 0xe007f) return "unicode_tags";
  if ((cp >= 0x200b && cp <= 0x200d) || cp === 0x2060 || cp === 0xfeff || cp === 0x180e) return "zero_width";
  return "invisible_format";
}

/** A zero-width joiner between two emoji parts builds one emoji (👩‍💻): not hidden text. */
function isEmojiJoiner(line: string, index: number): boolean {
  const before = line.codePointAt(index - 1);
  const prevIndex = before !== undefined && before >= 0xdc00 && before <= 0xdfff ? index - 2 : index - 1;
  const prev = prevIndex >= 0 ? String.fromCodePoint(line.codePointAt(prevIndex)!) : "";
  const nextCp = line.codePointAt(index + 1);
  const next = nextCp === undefined ? "" : String.fromCodePoint(nextCp);
  return EMOJI_PART.test(prev) && EMOJI_PART.test(next);
}

/** Bidi controls and tag characters block anywhere; other invisible characters block in SKILL.md and warn elsewhere. */
export function findHiddenChars(rel: string, line: string, lineNo: number, where: { manifest: boolean; fileStart: boolean }): ScanFinding[] {
  const found = new Map<HiddenKind, Set<string>>();
  for (const match of line.matchAll(HIDDEN_CHAR)) {
    const cp = match[0].codePointAt(0)!;
    if (cp === 0xfeff && where.fileStart && match.index === 0) continue; // a byte-order mark
    if (cp === 0x200d && isEmojiJoiner(line, match.index)) continue;
    const kind = kindOfHidden(cp);
    let codes = found.get(kind);
    if (!codes) found.set(kind, (codes = new Set()));
    codes.add(`U+${cp.toString(16).toUpperCase().padStart(4, "0")}`);
  }
  return [...found].map(([kind, codes]) => {
    const severity: FindingSeverity = kind === "bidi_control" || kind === "unicode_tags" || where.manifest ? "block" : "warn";
    const list = [...codes].slice(0, 4).join(", ") + (codes.size > 4 ? ", …" : "");
    return { code: kind, severity, file: rel, line: lineNo, message: `${list}: ${HIDDEN_WHY[kind]}; remove them` };
  });
}

const MIN_COMMENT_WORDS = 3;

/** HTML comments with text in SKILL.md: invisible once rendered, but the model reads them. */
export function findHtmlComments(rel: string, text: string): ScanFinding[] {
  const out: ScanFinding[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf("<!--", from);
    if (open === -1) break;
    const close = text.indexOf("-->", open + 4);
    const body = text.slice(open + 4, close === -1 ? text.length : close);
    if ((body.match(/[\p{L}\p{N}]+/gu) ?? []).length >= MIN_COMMENT_WORDS) {
      out.push({
        code: "html_comment",
        severity: "warn",
        file: rel,
        line: lineOf(text, open),
        message: "an HTML comment with text: hidden when the Markdown is rendered, yet the model reads it; check what it says",
      });
    }
    if (close === -1) break;
    from = close + 3;
  }
  return out;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Keeps the first MAX_PER_CODE findings of each code and severity; the last one kept counts the rest. */
export function capPerCode(findings: ScanFinding[]): ScanFinding[] {
  const keyOf = (f: ScanFinding): string => `${f.code} ${f.severity}`;
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(keyOf(f), (counts.get(keyOf(f)) ?? 0) + 1);
  const kept: ScanFinding[] = [];
  const seen = new Map<string, number>();
  for (const f of findings) {
    const n = (seen.get(keyOf(f)) ?? 0) + 1;
    seen.set(keyOf(f), n);
    if (n > MAX_PER_CODE) continue;
    const total = counts.get(keyOf(f))!;
    kept.push(n === MAX_PER_CODE && total > MAX_PER_CODE ? { ...f, message: `${f.message} (and ${total - MAX_PER_CODE} more like it in this file)` } : f);
  }
  return kept;
}
