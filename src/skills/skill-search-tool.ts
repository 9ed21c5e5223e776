// The skill_search tool: finds eligible skills by words of their name and description, for when the prompt index
// could not list them all. Built per turn over that turn's eligible skills; offered only when some were left out.
import { z } from "zod";
import type { Tool } from "../tools/tool.ts";
import { parseArgs } from "../tools/tool-kit.ts";
import { renderSkillLine, type IndexedSkill } from "./skills-prompt.ts";

const DEFAULT_RESULTS = 5;
const MAX_RESULTS = 20;

const searchArgs = z.object({ query: z.string().min(1).max(500), limit: z.number().int().min(1).max(MAX_RESULTS).optional() });

/** Lowercase words of 2+ letters or digits. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 2);
}

/**
 * Scores one skill for the query words: a whole word of the name 4, part of the name 2, a description word
 * equal 2 or sharing a 4+ letter prefix 1. Pure.
 */
export function scoreSkill(skill: IndexedSkill, query: readonly string[]): number {
  const nameWords = skill.name.split("-");
  const descWords = new Set(wordsOf(skill.description));
  let score = 0;
  for (const q of query) {
    if (nameWords.includes(q)) score += 4;
    else if (skill.name.includes(q)) score += 2;
    if (descWords.has(q)) score += 2;
    else if (q.length >= 4 && [...descWords].some((w) => w.length >= 4 && (w.startsWith(q.slice(0, Math.max(4, q.length - 2))) || q.startsWith(w)))) score += 1;
  }
  return score;
}

/** The best matches, best first (ties by name). Pure. */
export function searchSkills(skills: readonly IndexedSkill[], query: string, limit: number): IndexedSkill[] {
  const words = [...new Set(wordsOf(query))];
  return skills
    .map((skill) => ({ skill, score: scoreSkill(skill, words) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || (a.skill.name < b.skill.name ? -1 : 1))
    .slice(0, limit)
    .map((s) => s.skill);
}

/** Creates the tool over one turn's eligible skills; `onFound` hears the names it returned (they count as used). */
export function createSkillSearchTool(skills: readonly IndexedSkill[], onFound: (names: string[]) => void): Tool {
  return {
    name: "skill_search",
    group: "fs",
    description: "Find skills not listed in the prompt by what they do; returns name, description and SKILL.md path.",
    parameters: { type: "object", properties: { query: { type: "string" }, limit: { type: "integer" } }, required: ["query"] },
    async execute(args) {
      const a = parseArgs("skill_search", searchArgs, args);
      const found = searchSkills(skills, a.query, a.limit ?? DEFAULT_RESULTS);
      onFound(found.map((s) => s.name));
      if (found.length === 0) return { text: `no skill matches "${a.query}" (${skills.length} skills available); try other words`, detail: { matches: 0 } };
      return { text: found.map(renderSkillLine).join("\n"), detail: { matches: found.length, skills: found.map((s) => s.name) } };
    },
  };
}
