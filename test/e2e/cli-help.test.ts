// The command line's conventions through the real binary: every command's --help (found by walking the help output
// itself) exits 0 and shows an example; usage errors exit 2; completion scripts complete in real bash, zsh and fish.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./harness.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-help-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cli = (args: string[]): Promise<CliResult> => runCli(args, { PINCER_HOME: join(dir, "home") });

/** The subcommand names in the "Commands:" section of a help text (commander's own `help` left out). */
function subcommandsIn(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? "";
  return section.split("\n").flatMap((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1] ?? []).filter((name) => name !== "help");
}

describe("help", () => {
  it("every command's --help exits 0 and shows at least one example", async () => {
    const seen: string[] = [];
    const missing: string[] = [];
    let level: string[][] = [[]];
    while (level.length > 0) {
      const results = await Promise.all(level.map(async (path) => ({ path, result: await cli([...path, "--help"]) })));
      const next: string[][] = [];
      for (const { path, result } of results) {
        const name = ["pincer", ...path].join(" ");
        seen.push(name);
        if (result.code !== 0 || !/\nExamples?:\n {2}\S/.test(result.stdout)) missing.push(`${name} (exit ${result.code})`);
        for (const sub of subcommandsIn(result.stdout)) next.push([...path, sub]);
      }
      level = next;
    }
    expect(missing).toEqual([]);
    expect(seen.length).toBeGreaterThan(40);
    expect(seen).toEqual(expect.arrayContaining(["pincer status", "pincer dashboard", "pincer models set", "pincer agents remove", "pincer message send", "pincer completion", "pincer gateway token"]));
  }, 120_000);

  it("shows defaults one way and lists the exit codes", async () => {
    const { stdout } = await cli(["--help"]);
    expect(stdout).toContain("Exit codes (every command):\n  0   success\n  1   the run or operation failed");
    expect(stdout).toContain("  78  configuration problem");
    const sessions = await cli(["sessions", "list", "--help"]);
    expect(sessions.stdout).toContain("how many (default: 50)");
    expect((await cli(["gateway", "--help"])).stdout).toMatch(/in this process \(default: 4\)/);
  });
});

describe("exit codes", () => {
  it("usage errors exit 2 with the problem on stderr; --version exits 0", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["bogus"], /unknown command 'bogus'/],
      [["status", "--bogus"], /unknown option '--bogus'/],
      [["models", "set", "default"], /missing required argument/],
      [["completion", "tcsh"], /Allowed choices are bash, zsh, fish/],
      [["message", "send", "hi"], /required option '--channel <channel>' not specified/],
      [["sessions"], /Usage: pincer sessions/],
      [["usage", "--since", "soon"], /--since: expected a duration/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(args);
      expect([args.join(" "), code]).toEqual([args.join(" "), 2]);
      expect(stderr).toMatch(message);
    }
    expect((await cli(["--version"])).code).toBe(0);
  });
});

describe("completion", () => {
  const shellOk = (shell: string): boolean => spawnSync(shell, ["-c", "true"]).status === 0;
  const script = async (shell: string): Promise<string> => {
    const { code, stdout } = await cli(["completion", shell]);
    expect(code).toBe(0);
    const file = join(dir, `completion.${shell}`);
    await writeFile(file, stdout);
    return file;
  };

  it("bash completes commands, subcommands, options and choices at any depth", async () => {
    const file = await script("bash");
    const complete = (line: string): string[] => {
      const words = line.split(" ");
      const program = `source "${file}"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _pincer_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = spawnSync("bash", ["-c", program], { encoding: "utf8" });
      expect(out.stderr).toBe("");
      return out.stdout.split("\n").filter(Boolean).sort();
    };
    expect(complete("pincer sta")).toEqual(["status"]);
    expect(complete("pincer gateway ")).toEqual(["install", "status", "token", "uninstall"]);
    expect(complete("pincer gateway token --r")).toEqual(["--rotate"]);
    expect(complete("pincer completion ")).toEqual(["bash", "fish", "zsh"]);
    expect(complete("pincer message send --channel ")).toEqual(["discord", "slack", "telegram", "whatsapp"]);
    expect(complete("pincer -c my.yaml channels ")).toEqual(["add", "list", "login", "remove", "status"]);
    expect(complete("pincer models list --")).toEqual(["--help", "--json", "--no-remote"]);
  });

  it.skipIf(!shellOk("zsh") && !process.env.CI)("zsh loads it under compinit and completes commands, options and choices", async () => {
    const file = await script("zsh");
    const out = spawnSync("zsh", ["-f", "-c", `autoload -U compinit && compinit -u -d "${join(dir, "zcompdump")}" && source "${file}" && whence -w _pincer && print -r -- $_comps[pincer]`], { encoding: "utf8" });
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe("_pincer: function\n_pincer\n");
    // The function's walk over the typed words, with zsh's completion builtins replaced by printers (running the real
    // completion system needs a terminal).
    const complete = (words: string[]): string[] => {
      const stubs = `_describe() { print -l -- "\${(@P)\${@[-1]}}"; }; compadd() { print -l -- "\${(@P)\${@[-1]}}"; }; _files() { print FILES; }`;
      const program = `compdef() { :; }; source "${file}"; ${stubs}; words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; _pincer`;
      const out = spawnSync("zsh", ["-f", "-c", program], { encoding: "utf8" });
      expect(out.stderr).toBe("");
      return out.stdout.split("\n").filter(Boolean).map((l) => l.split(":")[0]!).sort();
    };
    expect(complete(["pincer", "gateway", ""])).toEqual(["install", "status", "token", "uninstall"]);
    expect(complete(["pincer", "-c", "x.yaml", "models", "list", "--"])).toEqual(["--help", "--json", "--no-remote"]);
    expect(complete(["pincer", "message", "send", "--channel", ""])).toEqual(["discord", "slack", "telegram", "whatsapp"]);
    expect(complete(["pincer", "-c", ""])).toEqual(["FILES"]);
  });

  it.skipIf(!shellOk("fish") && !process.env.CI)("fish completes commands, subcommands, options and choices", async () => {
    const file = await script("fish");
    const complete = (line: string): string[] => {
      const out = spawnSync("fish", ["--no-config", "-c", `source "${file}"; complete -C "${line}"`], { encoding: "utf8" });
      expect(out.stderr).toBe("");
      return out.stdout.split("\n").filter(Boolean).map((l) => l.split("\t")[0]!).sort();
    };
    expect(complete("pincer gateway ")).toEqual(["install", "status", "token", "uninstall"]);
    expect(complete("pincer agents add x --")).toEqual(["--help", "--json", "--model", "--workspace"]);
    expect(complete("pincer completion ")).toEqual(["bash", "fish", "zsh"]);
    expect(complete("pincer message send --channel ")).toEqual(["discord", "slack", "telegram", "whatsapp"]);
  });
});
