// splitCommand (shell words without a shell) and checkExecPolicy (deny / blocked / allowlist / full).
import { describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import { checkExecPolicy, splitCommand } from "./exec-command.ts";

const policy = (level: "deny" | "allowlist" | "full") => policySchema.parse({ exec: { level } }).exec;
/** The default policy with programs added back to safe_bins. */
const withSafe = (...bins: string[]) => {
  const exec = policy("allowlist");
  return { ...exec, safe_bins: [...exec.safe_bins, ...bins] };
};

describe("splitCommand", () => {
  it.each([
    ["echo hi", ["echo", "hi"]],
    ["  ls   -la  src ", ["ls", "-la", "src"]],
    [`grep 'a|b; $x' file`, ["grep", "a|b; $x", "file"]],
    [`echo "say \\"hi\\"" it\\'s`, ["echo", 'say "hi"', "it's"]],
    [`git commit -m "fix: a > b"`, ["git", "commit", "-m", "fix: a > b"]],
    [`echo ''`, ["echo", ""]],
    [`a"b"'c'`, ["abc"]],
  ])("splits %s", (command, argv) => {
    expect(splitCommand(command)).toEqual(argv);
  });

  it("tells the model to run one command at a time for shell syntax", () => {
    expect(() => splitCommand("ls | wc -l")).toThrow(
      'exec: "|" is not supported: commands run without a shell, so pipes, redirects, ;, &&, $VAR and backticks do not work. ' +
        "Run one command at a time (quote the character if you mean it literally).",
    );
  });

  it.each(["a; b", "a && b", "echo $HOME", "echo `id`", "cat < f", "ls > f", `echo "$HOME"`, "a\nb", "(ls)"])("refuses %s", (command) => {
    expect(() => splitCommand(command)).toThrow(/not supported/);
  });

  it.each([`echo 'x`, `echo "x`, "echo x\\", "   "])("refuses malformed %j", (command) => {
    expect(() => splitCommand(command)).toThrow(/^exec: /);
  });
});

describe("checkExecPolicy", () => {
  it("level deny refuses everything", () => {
    expect(checkExecPolicy(["echo"], policy("deny"))).toEqual({ allowed: false, reason: "exec is disabled (policy.exec.level: deny)" });
  });

  it("blocked bins are refused at every level, by basename and through wrappers", () => {
    for (const argv of [["rm", "-rf", "x"], ["/bin/rm", "x"], ["env", "rm", "x"], ["sh", "-c", "rm -rf x"], ["find", ".", "-exec", "rm", "{}", ";"]]) {
      expect(checkExecPolicy(argv, policy("full"))).toEqual({ allowed: false, reason: "blocked binary: rm (policy.exec.blocked_bins)" });
    }
  });

  it("allowlist needs argv[0] (and find -exec targets) in safe_bins", () => {
    expect(checkExecPolicy(["python3", "x.py"], withSafe("python3"))).toEqual({ allowed: true });
    expect(checkExecPolicy(["uname", "-a"], policy("allowlist"))).toEqual({
      allowed: false,
      reason: "not allowed: uname is not in policy.exec.safe_bins (level allowlist)",
    });
    expect(checkExecPolicy(["find", ".", "-exec", "uname", ";"], policy("allowlist")).allowed).toBe(false);
  });

  it("full allows anything not blocked", () => {
    expect(checkExecPolicy(["uname", "-a"], policy("full"))).toEqual({ allowed: true });
  });
});

describe("checkExecPolicy: programs that make blocked_bins decorative", () => {
  it.each([
    ["python3", "-c", "import shutil; shutil.rmtree('src')"],
    ["node", "-e", "require('fs').rmSync('src', { recursive: true })"],
    ["find", ".", "-delete"],
    ["find", ".", "-exec", "unlink", "{}", ";"],
    ["awk", 'BEGIN { system("unlink x") }'],
    ["sed", "e unlink x"],
    ["mv", "x", "/tmp/x"],
    ["git", "-c", "alias.x=!unlink x", "x"],
    ["perl", "-e", "unlink 'x'"],
    ["xargs", "unlink"],
  ])("the default policy refuses %s …", (...argv) => {
    expect(checkExecPolicy(argv, policy("allowlist")).allowed).toBe(false);
  });

  it.each([
    [["find", ".", "-delete"], "find -delete deletes files"],
    [["find", ".", "-execdir", "ls", ";"], "find -execdir runs other programs"],
    [["find", ".", "-ok", "ls", ";"], "find -ok runs other programs"],
    [["find", ".", "-fprint", "out"], "find -fprint writes a file"],
    [["find", ".", "-fls", "out"], "find -fls writes a file"],
    [["sed", "e id"], "sed e runs a shell command"],
    [["sed", "1e id", "f"], "sed e runs a shell command"],
    [["sed", ":a;e id"], "sed e runs a shell command"],
    [["sed", "-n", "-e", "p", "-e", "e id", "f"], "sed e runs a shell command"],
    [["sed", "-ne", "s/x/id/e", "f"], "sed s///e runs the pattern space as a shell command"],
    [["sed", "--expression=s/x/y/w out", "f"], "sed s///w writes a file"],
    [["sed", "-l", "5", "w out", "f"], "sed w writes a file"],
    [["sed", "/x/W out", "f"], "sed W writes a file"],
    [["sed", "-f", "script.sed", "f"], "sed -f runs a script from a file"],
    [["awk", 'BEGIN { system("id") }'], "awk system() runs a shell command"],
    [["awk", "-v", "x=1", 'BEGIN { "id" | getline v }'], "awk pipes"],
    [["awk", '{ print | "sh" }', "f"], "awk pipes"],
    [["awk", "-f", "prog.awk"], "awk -f runs a program from a file"],
    [["git", "-c", "core.pager=id", "log"], "git -c can run other programs"],
    [["git", "--config-env=core.pager=X", "log"], "git --config-env can run other programs"],
    [["git", "--exec-path=.", "log"], "git --exec-path can run other programs"],
    [["git", "--git-dir=evil", "status"], "git --git-dir can run other programs"],
    [["git", "fetch", "--upload-pack=id", "origin"], "git fetch --upload-pack can run other programs"],
    [["git", "clone", "-u", "id", "repo"], "git clone -u runs another program"],
    [["git", "clone", "ext::sh -c id", "x"], "git ext:: URLs run shell commands"],
    [["git", "init", "--template=tpl"], "git init --template installs hooks"],
    [["git", "submodule", "foreach", "id"], "git submodule foreach runs shell commands"],
    [["git", "bisect", "run", "id"], "git bisect run runs other programs"],
    [["git", "rebase", "-x", "id", "main"], "git rebase --exec runs shell commands"],
    [["git", "grep", "-Oid", "x"], "git grep -O runs a pager program"],
    [["git", "difftool", "-x", "id"], "git difftool runs other programs"],
    [["git", "filter-branch", "--tree-filter", "id"], "git filter-branch runs other programs"],
    [["git", "config", "alias.x", "!id"], "git config can change aliases"],
    [["sort", "-S", "1", "--compress-program=sh", "f"], "sort --compress-program runs another program"],
  ])("with the program back in safe_bins, still refuses %j", (argv, reason) => {
    const decision = checkExecPolicy(argv, withSafe("find", "sed", "awk", "git"));
    expect(decision.allowed).toBe(false);
    expect(decision.allowed === false && decision.reason).toContain(reason);
  });

  it("names the hatch and both policy keys in the refusal", () => {
    expect(checkExecPolicy(["find", ".", "-delete"], withSafe("find"))).toEqual({
      allowed: false,
      reason: "find -delete deletes files, which would get around policy.exec.blocked_bins; refused at every level, even with the program in policy.exec.safe_bins",
    });
  });

  it("refuses escape hatches at level full and behind wrappers too", () => {
    expect(checkExecPolicy(["find", ".", "-delete"], policy("full")).allowed).toBe(false);
    expect(checkExecPolicy(["env", "find", ".", "-delete"], policy("full")).allowed).toBe(false);
    expect(checkExecPolicy(["nice", "git", "-c", "alias.x=!id", "x"], policy("full")).allowed).toBe(false);
    expect(checkExecPolicy(["python3", "-c", "import os; os.system('rm -rf src')"], policy("full"))).toEqual({
      allowed: false,
      reason: "blocked binary: rm (policy.exec.blocked_bins)",
    });
  });

  it.each([
    ["find", ".", "-name", "*.ts"],
    ["find", "src", "-type", "f", "-newer", "x", "-print"],
    ["sed", "-n", "1,5p", "f"],
    ["sed", "s/a/b/g", "f"],
    ["sed", "-i", "s/old/new/2", "f"],
    ["sed", "-E", "-e", "/^#/d", "-e", "s|a|b|gI", "f"],
    ["sed", "1!G;h;$!d", "f"],
    ["sed", ":a;N;$!ba;s/\n/ /g", "f"],
    ["sed", "y/abc/xyz/", "f"],
    ["awk", "{ print $1 }", "f"],
    ["awk", "-F", ":", "$3 > 5 || NR == 1 { n++ } END { print n }", "f"],
    ["git", "log", "--oneline", "-5"],
    ["git", "status"],
    ["git", "-C", "sub", "diff", "HEAD~1"],
    ["git", "add", "-u"],
    ["git", "commit", "-m", "fix: x"],
    ["git", "commit", "--template=msg.txt"],
    ["git", "log", "-c"],
    ["git", "cherry-pick", "-x", "abc"],
    ["git", "config", "--get", "user.name"],
    ["sort", "-u", "f"],
  ])("allows ordinary use: %s …", (...argv) => {
    expect(checkExecPolicy(argv, withSafe("find", "sed", "awk", "git"))).toEqual({ allowed: true });
  });
});
