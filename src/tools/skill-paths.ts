// The `/skills/<name>/…` paths of the file tools: which skill folder a path names and the path inside it. Skill
// folders are read-only to the agent; the walker of workspace-fs.ts, rooted at the skill folder, does the opening.
import { posix } from "node:path";
import { ToolError } from "../core/errors.ts";
import type { ToolContext } from "./tool.ts";

/** Where the agent sees skills: in tool paths, in the prompt index, and as a mount point in the exec sandbox. */
export const SKILLS_MOUNT = "/skills";

export type ToolPath =
  /** A workspace path, as given. */
  | { kind: "workspace"; path: string }
  /** `/skills` itself: the list of this run's skills. */
  | { kind: "skills" }
  /** Inside one skill: `root` is its real folder, `path` relative to it ("." for the folder). */
  | { kind: "skill"; name: string; root: string; path: string };

/**
 * Maps a tool path. Only runs with skills map `/skills/…`; a name that is not one of the run's skills (blocked,
 * unavailable, disabled or unknown) is ToolError `not_found`, the same for all of them.
 */
export function mapToolPath(ctx: ToolContext, userPath: string): ToolPath {
  if (!ctx.skills || !userPath.startsWith(SKILLS_MOUNT)) return { kind: "workspace", path: userPath };
  const normal = posix.normalize(userPath);
  if (normal === SKILLS_MOUNT || normal === `${SKILLS_MOUNT}/`) return { kind: "skills" };
  if (!normal.startsWith(`${SKILLS_MOUNT}/`)) return { kind: "workspace", path: userPath };
  const [name = "", ...rest] = normal.slice(SKILLS_MOUNT.length + 1).split("/");
  const root = ctx.skills.dirs.get(name);
  if (root === undefined) {
    throw new ToolError("not_found", `${SKILLS_MOUNT}/${name}: no skill of that name is available to this agent; the skills index in the prompt (or skill_search) names the ones that are`);
  }
  const inside = rest.filter(Boolean).join("/");
  return { kind: "skill", name, root, path: inside === "" ? "." : inside };
}

/** Whether a path lies under `/skills` for this run (whichever skill it names, known or not). */
export function isSkillPath(ctx: ToolContext, userPath: string): boolean {
  if (!ctx.skills || !userPath.startsWith(SKILLS_MOUNT)) return false;
  const normal = posix.normalize(userPath);
  return normal === SKILLS_MOUNT || normal.startsWith(`${SKILLS_MOUNT}/`);
}

/** The refusal of a change under `/skills`. */
export function readOnlySkillError(userPath: string): ToolError {
  return new ToolError(
    "denied",
    `${userPath}: refused, skills are read-only to the agent. To change a skill of this workspace, edit it at skills/<name>/ in the workspace; to make a new one, write skills/<name>/SKILL.md there.`,
  );
}

/** Runs a walker call inside a skill, turning its workspace-worded errors into ones that name the `/skills` path. */
export async function withSkillErrors<T>(userPath: string, mapped: { path: string }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    const named = err.message.startsWith(mapped.path) ? userPath + err.message.slice(mapped.path.length) : err.message;
    const message = named.replaceAll("in the workspace", "in the skill").replaceAll("inside the workspace", "inside the skill");
    throw new ToolError(err.code, message, { cause: err });
  }
}

/** The agent-facing path of a file found under a skill folder. */
export function skillDisplayPath(name: string, rel: string): string {
  return rel === "." ? `${SKILLS_MOUNT}/${name}` : `${SKILLS_MOUNT}/${name}/${rel}`;
}
