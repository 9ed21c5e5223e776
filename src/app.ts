// Composition root: the only place that reads config and env, builds the ports' implementations and wires them.
// Embedded runtime: SQLite store, in-process dispatcher, bubblewrap (or host) sandbox.
import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { AgentConfig, PincerConfig } from "./core/config-schema.ts";
import { ConfigError } from "./core/errors.ts";
import { loadConfig, resolveWorkspace } from "./config/index.ts";
import { createLogger } from "./config/logger.ts";
import { openSqliteStore } from "./store/index.ts";
import type { Store } from "./store/store.ts";
import { createModelRouter, type ModelRouter } from "./models/index.ts";
import { createSandbox, detectBubblewrap } from "./sandbox/detect.ts";
import { createBuiltinTools, createToolGate, mergeToolRules } from "./tools/index.ts";
import { createDispatcher, type Dispatcher } from "./routing/dispatcher.ts";

export type Env = Record<string, string | undefined>;

export interface AppOptions {
  configFile?: string;
  env: Env;
  logger?: Logger;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface App {
  config: PincerConfig;
  configFile: string;
  configExists: boolean;
  stateDir: string;
  log: Logger;
  store: Store;
  models: ModelRouter;
  dispatcher: Dispatcher;
  sandboxName: "bubblewrap" | "host";
  agentConfig(agentId: string): AgentConfig;
  workspaceFor(agentId: string): string;
  close(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const loaded = await loadConfig({ file: opts.configFile, env: opts.env });
  const { config, stateDir } = loaded;
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger({ level: config.log.level });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  const store = await openStore(config, stateDir, loaded.file);
  const workspaces = new Map<string, string>();
  for (const [agentId, agent] of Object.entries(config.agents)) {
    const dir = resolveWorkspace(stateDir, agentId, agent.workspace, opts.env);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    workspaces.set(agentId, await realpath(dir));
  }
  const agentConfig = (agentId: string): AgentConfig => {
    const agent = config.agents[agentId];
    if (!agent) {
      throw new ConfigError({
        problem: `unknown agent "${agentId}"`,
        file: loaded.file,
        keyPath: `agents.${agentId}`,
        fix: `use one of: ${Object.keys(config.agents).join(", ")}, or add agents.${agentId} to the config`,
      });
    }
    return agent;
  };
  const workspaceFor = (agentId: string): string => {
    agentConfig(agentId);
    return workspaces.get(agentId)!;
  };

  const detected = config.policy.exec.sandbox === "host" ? { available: false, reason: "policy.exec.sandbox is host" } : await detectBubblewrap();
  const sandbox = createSandbox(config.policy.exec.sandbox, detected);
  const tools = createBuiltinTools({ sandbox, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const gate = createToolGate({ tools, audit: (record) => store.audit.write(record), now });
  const models = createModelRouter({ config: config.models, stateDir, env: opts.env, now, ...(opts.fetch ? { fetch: opts.fetch } : {}) });

  const dispatcher = createDispatcher({
    store,
    models,
    now,
    agentConfig,
    workspaceFor,
    toolsFor: (run, workspace) => {
      const merged = mergeToolRules(config.policy.tools, agentConfig(run.agentId).tools);
      // With exec disabled by policy the model is not even shown the tool.
      const rules = config.policy.exec.level === "deny" ? { ...merged, deny: [...merged.deny, "exec"] } : merged;
      return {
        specs: () => gate.specs(rules),
        execute: (call, signal) =>
          gate.execute(call, { workspace, policy: config.policy, signal, runId: run.id, sessionKey: run.sessionKey, rules }),
      };
    },
  });

  return {
    config,
    configFile: loaded.file,
    configExists: loaded.exists,
    stateDir,
    log,
    store,
    models,
    dispatcher,
    sandboxName: sandbox.name,
    agentConfig,
    workspaceFor,
    close: () => store.close(),
  };
}

async function openStore(config: PincerConfig, stateDir: string, file: string): Promise<Store> {
  const url = config.store.url;
  if (url && url !== "sqlite") {
    throw new ConfigError({
      problem: `store "${url.replace(/\/\/[^@]*@/, "//***@")}" is not supported by this build`,
      file,
      keyPath: "store.url",
      fix: "remove store.url (and PINCER_STORE_URL) to use the embedded SQLite store",
    });
  }
  return openSqliteStore({ path: join(stateDir, "pincer.db") });
}
