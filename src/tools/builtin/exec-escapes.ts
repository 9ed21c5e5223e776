// Known escape hatches of ordinary programs: options that run other programs, delete or write arbitrary
// files (find -exec/-delete, sed e/w, awk system(), git -c alias.x='!…', sort --compress-program).
// A tripwire that keeps policy.exec.blocked_bins meaningful for these programs, not a boundary: the sandbox is.
import { basename } from "node:path";

/** Programs that can run other programs through their options (besides interpreters and wrappers). */
export const RUNS_PROGRAMS = new Set(["find", "sed", "gsed", "git"]);

/** Programs with escape hatches this file knows. */
export const ESCAPE_PROGRAMS = new Set(["find", "sed", "gsed", "awk", "gawk", "mawk", "nawk", "busybox-awk", "git", "sort"]);

/** Why argv uses a known escape hatch of its program, or undefined. Pure. */
export function findEscape(argv: string[]): string | undefined {
  const name = basename(argv[0] ?? "");
  const args = argv.slice(1);
  if (name === "find") return findFindEscape(args);
  if (name === "sed" || name === "gsed") return findSedEscape(args);
  if (AWKS.has(name)) return findAwkEscape(args);
  if (name === "git") return findGitEscape(args);
  if (name === "sort" && args.some((a) => a.startsWith("--compress-prog"))) return "sort --compress-program runs another program";
  return undefined;
}

export const AWKS = new Set(["awk", "gawk", "mawk", "nawk", "busybox-awk"]);

/** find actions that run programs, delete, or write files named in the command. */
const FIND_ESCAPES = new Set(["-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"]);

function findFindEscape(args: string[]): string | undefined {
  const hit = args.find((a) => FIND_ESCAPES.has(a));
  return hit ? `find ${hit} ${hit === "-delete" ? "deletes files" : hit.startsWith("-f") ? "writes a file" : "runs other programs"}` : undefined;
}

/**
 * sed: every script must be plain editing — addresses and the commands below, `s` with flags other than
 * `e` and `w`. Refused: the `e` command and `s///e` (run the pattern space as a shell command), `w`/`W` and
 * `s///w` (write any file), and scripts from a file (-f), which cannot be checked.
 */
function findSedEscape(args: string[]): string | undefined {
  const scripts: string[] = [];
  let explicit = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-e" || a === "--expression") {
      scripts.push(args[++i] ?? "");
      explicit = true;
    } else if (a.startsWith("--expression=")) {
      scripts.push(a.slice("--expression=".length));
      explicit = true;
    } else if (/^-[a-zA-Z]*e/.test(a) && !a.startsWith("-i")) {
      const inline = a.slice(a.indexOf("e") + 1); // -ne'p', or -ne followed by the script
      scripts.push(inline || (args[++i] ?? ""));
      explicit = true;
    } else if (a === "-f" || a.startsWith("--file") || /^-[a-zA-Z]*f/.test(a)) {
      return "sed -f runs a script from a file, which cannot be checked";
    } else if (/^-[a-zA-Z]*l$/.test(a) && !a.startsWith("-i")) {
      i++; // -l N: the line length, not a script
    } else if (!a.startsWith("-") && !explicit && scripts.length === 0) {
      scripts.push(a); // the first operand is the script when no -e was given
    }
  }
  for (const script of scripts) {
    const problem = checkSedScript(script);
    if (problem) return `sed ${problem}`;
  }
  return undefined;
}

/** sed commands without an escape hatch (r/R only read files, which the sandbox confines). */
const SED_PLAIN = new Set([..."pdDnNPhHgGxlqQ=z{}!#", "F", ":", "b", "t", "T", "a", "i", "c", "r", "R", "v", "y", "s"]);

function checkSedScript(script: string): string | undefined {
  let i = 0;
  const n = script.length;
  const skipDelimited = (delim: string, parts: number): boolean => {
    for (let part = 0; part < parts; part++) {
      while (i < n && script[i] !== delim) i += script[i] === "\\" ? 2 : 1;
      if (i >= n) return false;
      i++;
    }
    return true;
  };
  while (i < n) {
    const ch = script[i] as string;
    if (/[\s;]/.test(ch)) {
      i++;
    } else if (/[0-9$,~+]/.test(ch)) {
      i++; // line addresses, ranges and steps
    } else if (ch === "/" || ch === "\\") {
      // a regex address: /re/ or \cREc, then optional I/M modifiers
      const delim = ch === "/" ? "/" : (script[i + 1] ?? "");
      i += ch === "/" ? 1 : 2;
      if (!skipDelimited(delim, 1)) return "script has an unterminated address";
      while (script[i] === "I" || script[i] === "M") i++;
    } else if (ch === "s" || ch === "y") {
      const delim = script[i + 1] ?? "";
      i += 2;
      if (!delim || !skipDelimited(delim, 2)) return `script has an unterminated ${ch} command`;
      if (ch === "s") {
        const flags = /^[0-9gGpPiImMew]*/.exec(script.slice(i))?.[0] ?? "";
        if (flags.includes("e")) return "s///e runs the pattern space as a shell command";
        if (flags.includes("w")) return "s///w writes a file";
        i += flags.length;
      }
    } else if (ch === "e") {
      return "e runs a shell command";
    } else if (ch === "w" || ch === "W") {
      return `${ch} writes a file`;
    } else if ("btT:v".includes(ch)) {
      // a label (or version): ends at ; or a newline, as in GNU sed
      while (i < n && script[i] !== ";" && script[i] !== "\n") i++;
    } else if ("#aicrR".includes(ch)) {
      // a comment, text or a file to read: runs to the end of the line
      const end = script.indexOf("\n", i);
      i = end < 0 ? n : end + 1;
    } else if (SED_PLAIN.has(ch)) {
      i++;
    } else {
      return `script uses "${ch}", which is not a plain editing command`;
    }
  }
  return undefined;
}

/** awk is an interpreter: refuse the features that reach outside it (commands, pipes, extensions, program files). */
function findAwkEscape(args: string[]): string | undefined {
  if (args.some((a) => a === "-f" || a.startsWith("--file") || a === "-E" || a.startsWith("--exec"))) return "awk -f runs a program from a file, which cannot be checked";
  if (args.some((a) => a === "-l" || a.startsWith("--load"))) return "awk --load loads an extension";
  // Every argument, not just the program: -v/-F take values and gawk's --source= carries program text.
  const text = args.join("\n");
  if (/\bsystem\s*\(/.test(text)) return "awk system() runs a shell command";
  if (text.replaceAll("||", "").includes("|")) return "awk pipes (| getline, print |) run shell commands";
  if (/@load\b/.test(text)) return "awk @load loads an extension";
  return undefined;
}

/** git options that run a program or change configuration (aliases, hooks path, pager, fsmonitor…). */
const GIT_GLOBAL_OPTIONS = ["-c", "--config-env", "--exec-path", "--git-dir"];
const GIT_OPTIONS = ["--upload-pack", "--receive-pack", "--exec", "--config", "--extcmd", "--tool"];
/** git subcommands that run programs the agent names, or that rewrite history through a command. */
const GIT_SUBCOMMANDS = new Set(["filter-branch", "difftool", "mergetool", "send-email", "instaweb", "daemon", "credential", "upload-pack", "receive-pack", "shell", "fsmonitor--daemon"]);
const GIT_CONFIG_READS = new Set(["--get", "--get-all", "--get-regexp", "--list", "-l", "--show-origin", "--show-scope", "--name-only", "--null", "-z", "get", "list"]);

function findGitEscape(args: string[]): string | undefined {
  const sub = gitSubcommand(args);
  const at = sub === undefined ? args.length : args.indexOf(sub);
  const matches = (a: string, options: string[]): boolean => options.some((o) => a === o || a.startsWith(`${o}=`) || (o === "-c" && a.startsWith("-c")));
  const global = args.slice(0, at).find((a) => matches(a, GIT_GLOBAL_OPTIONS));
  if (global) return `git ${global.split("=")[0]} can run other programs or change git's configuration`;
  if (args.some((a) => a.startsWith("ext::") || a.startsWith("fd::"))) return "git ext:: URLs run shell commands";
  if (!sub) return undefined;
  const rest = args.slice(at + 1);
  const option = rest.find((a) => matches(a, GIT_OPTIONS));
  if (option) return `git ${sub} ${option.split("=")[0]} can run other programs or change git's configuration`;
  if (GIT_SUBCOMMANDS.has(sub)) return `git ${sub} runs other programs`;
  if (sub === "clone" && rest.some((a) => a === "-c" || /^-c./.test(a))) return "git clone -c can change git's configuration";
  if ((sub === "clone" || sub === "init") && rest.some((a) => a.startsWith("--template"))) return `git ${sub} --template installs hooks that git then runs`;
  if (sub === "grep" && rest.some((a) => a === "-O" || a.startsWith("-O") || a.startsWith("--open-files-in-pager"))) return "git grep -O runs a pager program";
  if (sub === "rebase" && rest.some((a) => a === "-x" || a.startsWith("--exec"))) return "git rebase --exec runs shell commands";
  if (sub === "submodule" && rest.includes("foreach")) return "git submodule foreach runs shell commands";
  if (sub === "bisect" && rest.includes("run")) return "git bisect run runs other programs";
  if (["clone", "fetch", "pull", "ls-remote", "archive"].includes(sub) && rest.includes("-u")) return `git ${sub} -u runs another program`;
  if (sub === "config" && !rest.some((a) => GIT_CONFIG_READS.has(a))) return "git config can change aliases, hooks and other programs git runs; only reading (--get, --list) is allowed";
  return undefined;
}

/** git's global options that take a value as the next argument. */
const GIT_GLOBAL_WITH_VALUE = new Set(["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"]);

function gitSubcommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (GIT_GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}
