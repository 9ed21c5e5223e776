// Which skills each agent used last (its SKILL.md read, or returned by skill_search): the order the prompt index
// keeps skills in when they do not all fit. In memory only: after a restart every skill starts unused.

export interface SkillUsage {
  /** Marks `name` as the agent's most recently used skill. */
  touch(agentId: string, name: string): void;
  /** Higher = more recent; undefined = not used since start. */
  lastUse(agentId: string, name: string): number | undefined;
}

/** Most skills remembered per agent; the least recently used are forgotten past it. */
const MAX_PER_AGENT = 1_000;

export function createSkillUsage(): SkillUsage {
  const agents = new Map<string, Map<string, number>>();
  let tick = 0;
  return {
    touch(agentId, name) {
      let used = agents.get(agentId);
      if (!used) agents.set(agentId, (used = new Map()));
      used.delete(name);
      used.set(name, ++tick);
      if (used.size > MAX_PER_AGENT) used.delete(used.keys().next().value!);
    },
    lastUse: (agentId, name) => agents.get(agentId)?.get(name),
  };
}
