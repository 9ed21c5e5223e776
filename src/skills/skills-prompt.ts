// The skills index of the system prompt: one line per eligible skill (name, description, where its SKILL.md is),
// never a body. Capped at skills.prompt_max_tokens: past it the least recently used skills are left out and the
// block says how many, to be found with skill_search.
import { SKILLS_MOUNT } from "../tools/skill-paths.ts";

/** What the index and skill_search show of one skill. */
export interface IndexedSkill {
  name: string;
  description: string;
}

export interface SkillsIndex {
  /** The block for the system prompt; "" when there are no skills. */
  text: string;
  listed: string[];
  /** Skills left out to stay under the cap (skill_search finds them). */
  omitted: string[];
}

/** A description in the index and in search results: one line, at most this many characters. */
export const MAX_INDEX_DESCRIPTION = 400;

/**
 * Token estimate used for the cap: characters / 4, rounded up. Cheap and close for English prose and paths
 * (tokenizers average 3.5–4.5 characters per token on such text); the bench compares it with a real tokenizer.
 */
export function estimateTokens(text: string): number {
  return tokensOfChars(text.length);
}

function tokensOfChars(chars: number): number {
  return Math.ceil(chars / 4);
}

export function skillLocation(name: string): string {
  return `${SKILLS_MOUNT}/${name}/SKILL.md`;
}

/** One line of text: whitespace collapsed, angle brackets dropped (they cannot close the block), capped. */
export function toIndexDescription(description: string): string {
  const line = description.replace(/[<>]/g, "").replace(/\s+/g, " ").trim();
  return line.length > MAX_INDEX_DESCRIPTION ? `${line.slice(0, MAX_INDEX_DESCRIPTION - 1)}…` : line;
}

export function renderSkillLine(skill: IndexedSkill): string {
  return `- ${skill.name}: ${toIndexDescription(skill.description)} (${skillLocation(skill.name)})`;
}

const HEADER = [
  "## Skills",
  "Skills are instructions for specific tasks. When one fits the task, read its SKILL.md with the read tool before acting; " +
    `its other files are under ${SKILLS_MOUNT}/<name>/ (read-only; exec can run its scripts there).`,
];

function footer(omitted: number, listed: number): string[] {
  if (omitted === 0) return [];
  return [`${omitted} ${listed === 0 ? "" : "more "}skill${omitted === 1 ? "" : "s"}: find ${omitted === 1 ? "it" : "them"} with skill_search.`];
}

/**
 * Renders the index for `skills` (any order). When all do not fit in `maxTokens`, the most recently used are kept
 * (`lastUse`: higher = more recent, undefined = never; ties by name) and listed by name, the rest counted. Pure.
 */
export function renderSkillsIndex(skills: readonly IndexedSkill[], opts: { maxTokens: number; lastUse: (name: string) => number | undefined }): SkillsIndex {
  if (skills.length === 0) return { text: "", listed: [], omitted: [] };
  const byName = [...skills].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = new Map(byName.map((s) => [s.name, renderSkillLine(s)]));
  const frame = (listed: string[], omitted: number): string[] =>
    listed.length === 0 ? [...HEADER, ...footer(omitted, 0)] : [...HEADER, "<skills>", ...listed, "</skills>", ...footer(omitted, listed.length)];
  const all = frame([...lines.values()], 0).join("\n");
  if (estimateTokens(all) <= opts.maxTokens) return { text: all, listed: byName.map((s) => s.name), omitted: [] };

  const priority = [...byName].sort((a, b) => (opts.lastUse(b.name) ?? -1) - (opts.lastUse(a.name) ?? -1));
  // Room for the frame with the longest footer it can have, then lines in priority order while they fit.
  let used = frame(["x"], skills.length).join("\n").length - 1;
  const kept = new Set<string>();
  for (const skill of priority) {
    const cost = lines.get(skill.name)!.length + 1;
    if (tokensOfChars(used + cost) > opts.maxTokens) break;
    used += cost;
    kept.add(skill.name);
  }
  const listed = byName.filter((s) => kept.has(s.name));
  const omitted = byName.filter((s) => !kept.has(s.name)).map((s) => s.name);
  return { text: frame(listed.map((s) => lines.get(s.name)!), omitted.length).join("\n"), listed: listed.map((s) => s.name), omitted };
}
