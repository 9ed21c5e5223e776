// splitCommand (shell words without a shell) and checkExecPolicy (deny / blocked / allowlist / full).
import { describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import { checkExecPolicy, splitCommand } from "./exec-command.ts";

const policy = (level: "deny" | "allowlist" | "full") => policySchema.parse({ exec: { level } }).exec;

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
    expect(checkExecPolicy(["python3", "x.py"], policy("allowlist"))).toEqual({ allowed: true });
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
