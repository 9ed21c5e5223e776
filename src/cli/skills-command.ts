// `pincer skills list | info`: the skill catalog as one agent sees it — every folder found, its status and reason,
// what it shadows, its grants, and for one skill its manifest, warnings, scan findings and install origin.
import { loadCliConfig, type GlobalOptions } from "./cli-app.ts";
import { resolveWorkspace } from "../config/index.ts";
import type { LoadedConfig } from "../config/index.ts";
import { hasOwnEntry, ownEntry } from "../core/own-entry.ts";
import { CliFailure, EXIT_CONFIG, printJson, renderTable } from "./output.ts";
import type { SkillEntry, SkillListing } from "../skills/skill-catalog.ts";

interface SkillsOptions {
  agent: string;
  json?: boolean;
}

async function listFor(loaded: LoadedConfig, agentId: string): Promise<SkillListing> {
  const agent = ownEntry(loaded.config.agents, agentId);
  if (!agent) {
    throw new CliFailure(`unknown agent "${agentId}"; agents in ${loaded.file}: ${Object.keys(loaded.config.agents).join(", ")}`, EXIT_CONFIG);
  }
  const { createSkillCatalog } = await import("../skills/skill-catalog.ts");
  const { loadDefaultScanner } = await import("../skills/skill-default-scanner.ts");
  const catalog = createSkillCatalog({ stateDir: loaded.stateDir, configFile: loaded.file, env: process.env, scan: await loadDefaultScanner() });
  const workspace = resolveWorkspace(loaded.stateDir, agentId, agent.workspace, process.env);
  return catalog.list({ config: loaded.config, workspace, agentId });
}

function warnProblems(listing: SkillListing): void {
  for (const problem of listing.problems) process.stderr.write(`warning: ${problem}\n`);
}

function toJson(e: SkillEntry): Record<string, unknown> {
  return {
    name: e.name, source: e.source, dir: e.dir, status: e.status, ...(e.reason ? { reason: e.reason } : {}),
    description: e.manifest?.description, shadows: e.shadows, grants: e.grants ?? null, warnings: e.warnings.length,
    ...(e.scan ? { scan: e.scan.verdict } : {}),
  };
}

function grantsText(e: SkillEntry): string {
  if (!e.grants) return "-";
  const parts = [...e.grants.bins.map((b) => `bin:${b}`), ...e.grants.env.map((v) => `env:${v}`)];
  return parts.join(" ") || "-";
}

export async function skillsListCommand(g: GlobalOptions, opts: SkillsOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const listing = await listFor(loaded, opts.agent);
  warnProblems(listing);
  if (opts.json) return printJson({ agent: opts.agent, skills: listing.entries.map(toJson), problems: listing.problems });
  if (listing.entries.length === 0) {
    return void process.stdout.write("no skills found; write one at <workspace>/skills/<name>/SKILL.md (docs/skills.md, \"Writing a skill\")\n");
  }
  const rows = listing.entries.map((e) => [
    e.name, e.source, e.status,
    e.shadows.length > 0 ? e.shadows.map((s) => s.source).join(",") : "-",
    grantsText(e),
    e.reason ?? "",
  ]);
  process.stdout.write(`${renderTable(["NAME", "SOURCE", "STATUS", "SHADOWS", "GRANTS", "REASON"], rows)}\n`);
  const eligible = listing.entries.filter((e) => e.status === "eligible").length;
  process.stdout.write(`\n${eligible} of ${listing.entries.length} offered to agent "${opts.agent}"; 'pincer skills info <name>' for details\n`);
}

export async function skillsInfoCommand(g: GlobalOptions, name: string, opts: SkillsOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const listing = await listFor(loaded, opts.agent);
  warnProblems(listing);
  const matches = listing.entries.filter((e) => e.name === name);
  const entry = matches[0];
  if (!entry) throw new CliFailure(`no skill named "${name}"; 'pincer skills list' shows the skills found`);
  const { readSkillLock } = await import("../skills/skill-lock.ts");
  const lock = await readSkillLock(loaded.stateDir);
  const install = entry.source === "managed" && hasOwnEntry(lock.installs, name) ? ownEntry(lock.installs, name) : undefined;
  if (opts.json) {
    return printJson({ ...toJson(entry), manifest: entry.manifest ?? null, warnings: entry.warnings, scan: entry.scan ?? null, install: install ?? null, location: `/skills/${name}/SKILL.md`, shadowed: matches.slice(1).map((m) => ({ source: m.source, dir: m.dir })) });
  }
  const m = entry.manifest;
  const lines = [
    `${entry.name} — ${entry.status}${entry.reason ? ` (${entry.reason})` : ""}`,
    `  source:      ${entry.source} ${entry.dir}`,
    `  agent sees:  /skills/${name}/SKILL.md`,
  ];
  if (m) {
    lines.push(`  description: ${m.description.replace(/\s+/g, " ")}`);
    if (m.license) lines.push(`  license:     ${m.license}`);
    if (m.homepage) lines.push(`  homepage:    ${m.homepage}`);
    const req = m.requires;
    const needs = [...req.bins.map((b) => `bin ${b}`), ...(req.anyBins.length ? [`one of ${req.anyBins.join("|")}`] : []), ...req.env.map((v) => `env ${v}`), ...req.config.map((c) => `config ${c}`), ...(m.os.length ? [`os ${m.os.join("|")}`] : [])];
    lines.push(`  requires:    ${needs.join(", ") || "nothing"}${m.always ? " (always: offered regardless)" : ""}`);
    if (m.allowedTools.length) lines.push(`  tools:       ${m.allowedTools.join(" ")}`);
  }
  if (entry.shadows.length) lines.push(`  shadows:     ${entry.shadows.map((s) => `${s.source} ${s.dir}`).join("; ")}`);
  lines.push(`  grants:      ${grantsText(entry)}`);
  if (install) lines.push(`  installed:   ${install.slug}@${install.version} from ${install.registry} at ${install.installedAt} (sha256 ${install.sha256.slice(0, 12)}…)`);
  if (entry.warnings.length) lines.push("  warnings:", ...entry.warnings.map((w) => `    ${w.key}: ${w.message}`));
  if (entry.scan) {
    lines.push(`  scan:        ${entry.scan.verdict} (${entry.scan.files} files, ${entry.scan.bytes} bytes)`);
    lines.push(...entry.scan.findings.map((f) => `    ${f.severity} ${f.code} ${f.file}${f.line ? `:${f.line}` : ""}: ${f.message}`));
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
