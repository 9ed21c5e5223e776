// Pure helpers for the exec tool: split a command line into argv without a shell, and check it against
// policy.exec. The name checks are a tripwire, not the boundary: an interpreter in safe_bins (python3 -c,
// node -e, perl -e) can still run anything, so the sandbox (no network, read-only system, workspace-only
// writes, never root, resource limits) is what actually confines a command.
import { basename } from "node:path";
import type { Policy } from "../../core/config-schema.ts";
import { ToolError } from "../../core/errors.ts";
import { AWKS, ESCAPE_PROGRAMS, findEscape, RUNS_PROGRAMS } from "./exec-escapes.ts";

const META_CHARS = new Set(["|", ";", "&", "$", "`", ">", "<", "(", ")", "\n", "\r"]);
/** Programs that run another program named in their arguments, and interpreters that run code given to them. */
const WRAPPERS = new Set([
  "env", "nice", "nohup", "timeout", "xargs", "stdbuf", "time", "command", "exec", "busybox", "setsid", "ionice",
  "taskset", "flock", "watch", "strace", "chroot", "unshare", "sh", "bash", "dash", "zsh", "ksh", "fish",
  "perl", "ruby", "lua", "php", "node", "deno", "bun", "tclsh", "expect", ...AWKS,
]);

/** Whether `name` runs other programs or arbitrary code: a wrapper, a shell or an interpreter. */
export function isProgramRunner(name: string): boolean {
  return WRAPPERS.has(name) || /^(python|pypy|perl|ruby|lua|php|node)[0-9.]*$/.test(name);
}
/** find(1) options whose following argument is a program. */
const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);

function metaError(ch: string): ToolError {
  const shown = ch === "\n" || ch === "\r" ? "a newline" : `"${ch}"`;
  return new ToolError(
    "invalid_args",
    `exec: ${shown} is not supported: commands run without a shell, so pipes, redirects, ;, &&, $VAR and backticks do not work. ` +
      "Run one command at a time (quote the character if you mean it literally).",
  );
}

/**
 * Splits a command line like a POSIX shell would split words, without any expansion.
 * Single quotes are literal; in double quotes `\` escapes `"`, `\`, `$` and backtick.
 * Throws ToolError("invalid_args") for unquoted shell metacharacters, `$`/backtick in double quotes,
 * unterminated quotes and an empty command.
 */
export function splitCommand(command: string): string[] {
  const argv: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new ToolError("invalid_args", "exec: unterminated single quote");
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        const c = command[j] as string;
        if (c === "$" || c === "`") throw metaError(c);
        if (c === "\\" && j + 1 < command.length && '"\\$`'.includes(command[j + 1] as string)) word += command[++j];
        else word += c;
      }
      if (j >= command.length) throw new ToolError("invalid_args", "exec: unterminated double quote");
      inWord = true;
      i = j;
    } else if (ch === "\\") {
      if (i + 1 >= command.length) throw new ToolError("invalid_args", "exec: trailing backslash");
      word += command[++i];
      inWord = true;
    } else if (ch === " " || ch === "\t") {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else if (META_CHARS.has(ch)) {
      throw metaError(ch);
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) argv.push(word);
  if (argv.length === 0) throw new ToolError("invalid_args", 'exec: argument "command" is empty');
  return argv;
}

/** Program names a command will (or may) start: argv[0], `find -exec` targets, and words handed to wrappers. */
function commandNames(argv: string[]): { primary: string[]; wrapped: string[] } {
  const primary = [basename(argv[0] ?? "")];
  argv.forEach((arg, i) => {
    const next = argv[i + 1];
    if (FIND_EXEC.has(arg) && next) primary.push(basename(next));
  });
  const wrapped = isProgramRunner(primary[0] ?? "")
    ? argv.slice(1).flatMap((arg) => arg.split(/[\s;&|()`$<>"'{},=]+/)).filter(Boolean).map((w) => basename(w))
    : [];
  return { primary, wrapped };
}

/** The escape hatch argv uses, also behind wrappers (`env find . -delete`, `nice git -c …`). */
function findAnyEscape(argv: string[]): string | undefined {
  const direct = findEscape(argv);
  if (direct || !isProgramRunner(basename(argv[0] ?? ""))) return direct;
  for (let i = 1; i < argv.length; i++) {
    if (ESCAPE_PROGRAMS.has(basename(argv[i] ?? ""))) {
      const found = findEscape(argv.slice(i));
      if (found) return found;
    }
  }
  return undefined;
}

/** The entries of safe_bins that run other programs or arbitrary code (for `pincer doctor`). */
export function listProgramRunners(safeBins: string[]): string[] {
  return safeBins.filter((name) => isProgramRunner(name) || RUNS_PROGRAMS.has(name));
}

export type ExecDecision =
  | { allowed: true }
  /** `approvable`: refused only because level `ask` wants an owner's approval for `binary` (not in safe_bins); an
   * approved call (`opts.approved`) runs it. Blocked binaries and escapes are never approvable. */
  | { allowed: false; reason: string; approvable?: { binary: string } };

/** Decides whether policy.exec lets `argv` run. Pure; `reason` is short enough for an audit record. `approved`: an owner
 * approved this call (level `ask`), so a binary outside safe_bins may run. */
export function checkExecPolicy(argv: string[], exec: Policy["exec"], opts: { approved?: boolean | undefined } = {}): ExecDecision {
  if (exec.level === "deny") return { allowed: false, reason: "exec is disabled (policy.exec.level: deny)" };
  const { primary, wrapped } = commandNames(argv);
  const blocked = [...primary, ...wrapped].find((name) => exec.blocked_bins.includes(name));
  if (blocked) return { allowed: false, reason: `blocked binary: ${blocked} (policy.exec.blocked_bins)` };
  const escape = findAnyEscape(argv);
  if (escape) {
    return { allowed: false, reason: `${escape}, which would get around policy.exec.blocked_bins; refused at every level, even with the program in policy.exec.safe_bins` };
  }
  if (exec.level === "allowlist" || exec.level === "ask") {
    const unsafe = primary.find((name) => !exec.safe_bins.includes(name));
    if (unsafe && exec.level === "allowlist") return { allowed: false, reason: `not allowed: ${unsafe} is not in policy.exec.safe_bins (level allowlist)` };
    if (unsafe && !opts.approved) {
      return { allowed: false, reason: `${unsafe} is not in policy.exec.safe_bins: it needs an owner's approval (level ask)`, approvable: { binary: unsafe } };
    }
  }
  return { allowed: true };
}
