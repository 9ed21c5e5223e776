// Keeps agent workspaces apart from the state dir, whose files (auth.json, gateway-token.json, the database,
// channel credentials) the file tools would otherwise read. Compares real paths; does not create folders.
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import type { PincerConfig } from "../core/config-schema.ts";
import type { RawIssue } from "./config-source.ts";
import { resolveWorkspace, type Env } from "./paths.ts";

/** Inside the state dir, only these folders may be workspaces (the defaults `workspace`, `workspace-<id>`). */
const WORKSPACE_FOLDER = /^workspace/;

/**
 * Refuses a workspace that is the state dir, contains it, or lies inside it anywhere but a `workspace*`
 * folder. Contract: never throws; a path that does not exist yet is compared through its nearest existing parent.
 */
export function checkWorkspaces(config: PincerConfig, opts: { stateDir: string; env: Env }): RawIssue[] {
  const stateDir = realpathAllowMissing(opts.stateDir);
  const issues: RawIssue[] = [];
  for (const [agentId, agent] of Object.entries(config.agents)) {
    const workspace = realpathAllowMissing(resolveWorkspace(opts.stateDir, agentId, agent.workspace, opts.env));
    const problem = describeOverlap(workspace, stateDir);
    if (!problem) continue;
    issues.push({
      path: ["agents", agentId, "workspace"],
      problem: `${problem}; the agent's file tools could read its credentials, gateway token and database`,
      fix: `set agents.${agentId}.workspace to a folder outside ${stateDir}, or remove it to use ${join(stateDir, agentId === "default" ? "workspace" : `workspace-${agentId}`)}`,
    });
  }
  return issues;
}

function describeOverlap(workspace: string, stateDir: string): string | undefined {
  if (workspace === stateDir) return `the workspace ${workspace} is the state dir`;
  if (isInside(stateDir, workspace)) return `the workspace ${workspace} contains the state dir ${stateDir}`;
  if (!isInside(workspace, stateDir)) return undefined;
  const first = relative(stateDir, workspace).split(sep)[0] ?? "";
  return WORKSPACE_FOLDER.test(first) ? undefined : `the workspace ${workspace} is inside the state dir ${stateDir}, outside its workspace folders`;
}

/** True when `child` lies strictly below `parent`. */
function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/** realpath of the deepest existing ancestor, with the missing rest appended. */
function realpathAllowMissing(path: string): string {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      missing.push(basename(current));
      current = parent;
    }
  }
}
