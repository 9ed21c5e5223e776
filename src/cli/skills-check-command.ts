// `pincer skills check [name|path] [--json]`: the safety scanner's reports for one skill folder or every skill found,
// exit 1 when any is blocked. Registered on the `skills` group by registerSkillsCheckCommand; the scanner and the
// config load only when the command runs.
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Command } from "commander";
import type { SkillFolder } from "../skills/find-skill-folders.ts";
import type { ScanReport } from "../skills/skill-types.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";

export function registerSkillsCheckCommand(skills: Command, globals: () => GlobalOptions): void {
  skills
    .command("check")
    .description("scan skill folders for unsafe content: links, binaries, secrets, hidden text, prompt injection, dangerous commands")
    .argument("[name|path]", "a skill name (looked for in every skills folder) or a folder path; none checks every skill found")
    .option("--json", "print { ok, skills: [{ name, source, dir, allowedUnsafe, report }] }")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  pincer skills check                      every skill: workspace, managed, skills.extra_dirs, bundled\n" +
        "  pincer skills check weather              the skill(s) named weather\n" +
        "  pincer skills check ./my-skill --json    a folder, before publishing or installing it\n" +
        "Exit 1 when a skill is blocked (even one listed in skills.allow_unsafe), 0 otherwise.\n" +
        "Every finding code is explained in docs/skills.md (\"The safety scanner\").\n",
    )
    .action(async (target: string | undefined, opts: { json?: boolean }) => skillsCheckCommand(globals(), target, opts));
}

/** A folder found in the skills folders, or one given as a path (`source: "path"`). */
type CheckedFolder = Omit<SkillFolder, "source"> & { source: SkillFolder["source"] | "path" };

interface CheckedSkill extends CheckedFolder {
  allowedUnsafe: boolean;
  report: ScanReport;
}

export async function skillsCheckCommand(g: GlobalOptions, target: string | undefined, opts: { json?: boolean }): Promise<void> {
  const folders = await selectFolders(g, target);
  const { scanSkillFolder } = await import("../skills/skill-scanner.ts");
  const checked: CheckedSkill[] = [];
  for (const folder of folders.list) {
    checked.push({ ...folder, allowedUnsafe: folders.allowUnsafe.has(folder.name), report: await scanSkillFolder(folder.dir) });
  }
  const blocked = checked.some((c) => c.report.verdict === "block");
  if (opts.json) printJson({ ok: !blocked, skills: checked });
  else process.stdout.write(renderChecks(checked));
  if (blocked) process.exitCode = 1;
}

/** A path (has a slash, starts with `.` or `~`, or names an existing folder that is no skill name) or a skill name. */
async function selectFolders(g: GlobalOptions, target: string | undefined): Promise<{ list: CheckedFolder[]; allowUnsafe: Set<string> }> {
  const looksLikePath = target !== undefined && (target.includes("/") || target.startsWith(".") || target.startsWith("~") || isAbsolute(target));
  if (target !== undefined && looksLikePath) return { list: [folderAt(target)], allowUnsafe: new Set() };
  const [{ loadConfig }, { findSkillFolders }] = await Promise.all([import("../config/index.ts"), import("../skills/find-skill-folders.ts")]);
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const all = await findSkillFolders({ config: loaded.config, configFile: loaded.file, stateDir: loaded.stateDir, env: process.env });
  const allowUnsafe = new Set(loaded.config.skills.allow_unsafe);
  if (target === undefined) return { list: all, allowUnsafe };
  const named = all.filter((f) => f.name === target);
  if (named.length > 0) return { list: named, allowUnsafe };
  if (existsSync(target)) return { list: [folderAt(target)], allowUnsafe: new Set() };
  throw new CliFailure(`no skill named ${JSON.stringify(target)} in the workspace, managed, extra or bundled skills folders; give a folder path to check one elsewhere (e.g. ./${target})`, EXIT_USAGE);
}

function folderAt(path: string): CheckedFolder {
  const dir = resolve(path.startsWith("~/") ? `${process.env["HOME"] ?? "~"}${path.slice(1)}` : path);
  return { name: dir.split("/").at(-1) ?? dir, dir, source: "path" };
}

// oxlint-disable-next-line no-control-regex -- control characters are what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A name from the file system, safe for a terminal: quoted as JSON when it holds control characters. */
function printable(text: string): string {
  return CONTROL.test(text) ? JSON.stringify(text) : text;
}

function describeReport(c: CheckedSkill): string {
  const size = c.report.bytes < 1024 ? `${c.report.bytes} B` : `${Math.ceil(c.report.bytes / 1024)} KiB`;
  const allowed = c.allowedUnsafe && c.report.verdict === "block" ? ", loads anyway: listed in skills.allow_unsafe" : "";
  return `${c.report.verdict.padEnd(5)}  ${printable(c.name)}  (${c.source}: ${printable(c.dir)}; ${c.report.files} file(s), ${size}${allowed})`;
}

export function renderChecks(checked: readonly CheckedSkill[]): string {
  if (checked.length === 0) return "no skill folders found (workspace skills/, <state>/skills, skills.extra_dirs, bundled)\n";
  const parts: string[] = [];
  for (const c of checked) {
    parts.push(describeReport(c));
    if (c.report.findings.length > 0) {
      const rows = c.report.findings.map((f) => [f.severity, f.code, printable(f.line === undefined ? f.file : `${f.file}:${f.line}`), f.message]);
      parts.push(renderTable(["SEVERITY", "CODE", "WHERE", "MESSAGE"], rows).replace(/^/gm, "  "));
    }
  }
  const count = (verdict: string): number => checked.filter((c) => c.report.verdict === verdict).length;
  parts.push("", `${checked.length} skill(s): ${count("ok")} ok, ${count("warn")} with warnings, ${count("block")} blocked`);
  return `${parts.join("\n")}\n`;
}
