// What a turn gets from skills: the prompt index, the run's view of skill folders for the tools, and skill_search
// when the index left skills out. Loaded on the first turn (app.ts imports it lazily), one per process.
import type { PincerConfig } from "../core/config-schema.ts";
import type { SkillView } from "../tools/tool.ts";
import { createSkillCatalog, type SkillCatalog, type SkillCatalogOptions, type SkillEntry } from "./skill-catalog.ts";
import { createSkillSearchTool } from "./skill-search-tool.ts";
import { createSkillUsage, type SkillUsage } from "./skill-usage.ts";
import { renderSkillsIndex, type SkillsIndex } from "./skills-prompt.ts";

/** Variables the sandbox sets or that change how every program runs: a grant never overrides them. */
const SANDBOX_OWNED_ENV = /^(PATH|HOME|LANG|LC_[A-Z]+|LD_[A-Z_]+|GIT_[A-Z_0-9]+|NODE_OPTIONS|PYTHONPATH|PYTHONSTARTUP|BASH_ENV|ENV|SHELLOPTS|IFS)$/;

/** The skills of one turn. */
export interface SkillTurn {
  /** The index block for the system prompt. */
  prompt: string;
  view: SkillView;
  index: SkillsIndex;
  /** Every entry the catalog listed for the agent (for logs and tests). */
  entries: SkillEntry[];
  problems: string[];
}

export interface SkillsRuntime {
  catalog: SkillCatalog;
  usage: SkillUsage;
  /** The skills of one turn of `agentId`; undefined when no skill is eligible (the prompt then has no skills block). */
  prepareTurn(input: { config: PincerConfig; agentId: string; workspace: string }): Promise<SkillTurn | undefined>;
}

export function createSkillsRuntime(opts: SkillCatalogOptions & { usage?: SkillUsage }): SkillsRuntime {
  const catalog = createSkillCatalog(opts);
  const usage = opts.usage ?? createSkillUsage();
  return {
    catalog,
    usage,
    async prepareTurn({ config, agentId, workspace }) {
      const { entries, problems } = await catalog.list({ config, agentId, workspace });
      const eligible = entries.filter((e) => e.status === "eligible" && e.manifest);
      if (eligible.length === 0) return undefined;
      const skills = eligible.map((e) => ({ name: e.name, description: e.manifest!.description }));
      const index = renderSkillsIndex(skills, { maxTokens: config.skills.prompt_max_tokens, lastUse: (name) => usage.lastUse(agentId, name) });
      const noteUse = (name: string): void => usage.touch(agentId, name);
      // Search results count as used, the best match as the most recent.
      const tools = index.omitted.length > 0 ? [createSkillSearchTool(skills, (names) => names.toReversed().forEach(noteUse))] : [];
      const grants = new Map(eligible.flatMap((e) => (e.grants ? [[e.name, { bins: e.grants.bins, env: e.grants.env }] as const] : [])));
      const grantedEnv = (name: string): Record<string, string> => {
        const out: Record<string, string> = {};
        for (const key of grants.get(name)?.env ?? []) {
          if (SANDBOX_OWNED_ENV.test(key)) continue;
          const value = opts.env[key];
          if (value) out[key] = value;
        }
        return out;
      };
      const view: SkillView = { dirs: new Map(eligible.map((e) => [e.name, e.dir])), tools, noteUse, grants, grantedEnv };
      return { prompt: index.text, view, index, entries, problems };
    },
  };
}
