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

/** Reuse of a turn's skill listing by the next turns of the same agent (see `listTtlMs`). */
export interface SkillListReuse {
  /** How long a listing is reused, ms; 0 (default) lists on every turn. */
  listTtlMs: number;
  /** A number that changes whenever this process may have changed files (a write, edit or exec tool call, a skill
   * install or sync): a listing made before the change is not reused. */
  changes: () => number;
}

export function createSkillsRuntime(opts: SkillCatalogOptions & { usage?: SkillUsage; reuse?: SkillListReuse }): SkillsRuntime {
  const catalog = createSkillCatalog(opts);
  const usage = opts.usage ?? createSkillUsage();
  // Checking every skill folder for changes costs file-system calls on each turn; within listTtlMs, and with no file
  // change made by this process since, a turn takes the previous listing of its agent. Edits made outside Pincer apply
  // within listTtlMs.
  const listings = new Map<string, { at: number; changes: number; config: PincerConfig; result: Awaited<ReturnType<SkillCatalog["list"]>> }>();
  const now = opts.now ?? Date.now;
  const listFor = async (input: { config: PincerConfig; agentId: string; workspace: string }) => {
    const reuse = opts.reuse;
    if (!reuse || reuse.listTtlMs <= 0) return catalog.list(input);
    const key = `${input.agentId}\0${input.workspace}`;
    const hit = listings.get(key);
    const changes = reuse.changes();
    if (hit && hit.config === input.config && hit.changes === changes && now() - hit.at < reuse.listTtlMs) return hit.result;
    const result = await catalog.list(input);
    listings.set(key, { at: now(), changes, config: input.config, result });
    return result;
  };
  return {
    catalog,
    usage,
    async prepareTurn({ config, agentId, workspace }) {
      const { entries, problems } = await listFor({ config, agentId, workspace });
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
