// Composition root: the only place that reads config and env, builds the ports' implementations and wires them.
// Embedded runtime: SQLite (or PostgreSQL) store, in-process dispatcher. Cluster runtime (bus.url set): the same agent
// code, with runs carried by NATS JetStream to workers and state in the shared store (PostgreSQL).
import { randomBytes } from "node:crypto";
import { chown, lstat, mkdir, realpath } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { DEFAULT_TOOL_ALLOW, type AgentConfig, type PincerConfig } from "./core/config-schema.ts";
import { ConfigError, InputError } from "./core/errors.ts";
import { loadConfig, prepareStateDir, resolveWorkspace, toSetupError, type WithheldPart } from "./config/index.ts";
import { validateConfigText } from "./config/load-config.ts";
import { diffConfig, withRestartKeysFrom } from "./config/config-diff.ts";
import { createLogger, setLogLevel } from "./config/logger.ts";
import type { LogFile } from "./config/log-file.ts";
import type { ProviderReachability, ReachabilityProbe } from "./models/reachability-probe.ts";
import { defaultPostgresSchema, openPostgresStore, openSqliteStore } from "./store/index.ts";
import type { Store } from "./store/store.ts";
import { createModelRouter, type ModelEvent, type ModelRequest, type ModelRouter } from "./models/index.ts";
import type { BudgetGuard } from "./models/budget-guard.ts";
import { createDeferredSandbox, createSandbox, detectBubblewrap } from "./sandbox/detect.ts";
import { NOBODY } from "./sandbox/confinement.ts";
import { createBuiltinTools, createToolGate, mergeToolRules } from "./tools/index.ts";
import type { ToolRules } from "./tools/tool-policy.ts";
import type { AgentsView, SafetyView } from "./tools/tool.ts";
import type { ApprovalRequest, Run } from "./core/domain.ts";
import type { RunEvent } from "./core/events.ts";
import type { ApprovalService } from "./routing/approval-service.ts";
import type { ApprovalBroker } from "./routing/approval-broker.ts";
import { createHostSandbox } from "./sandbox/host-sandbox.ts";
import type { SubagentSupervisor } from "./routing/subagent-supervisor.ts";
import type { AgentMessenger } from "./routing/agent-messages.ts";
import { createDispatcher, type Dispatcher } from "./routing/dispatcher.ts";
import { hasLightContext } from "./agent/run-agent.ts";
import type { ExecutorDeps } from "./routing/run-executor.ts";
import type { SkillCatalog } from "./skills/skill-catalog.ts";
import type { SkillsRuntime } from "./skills/skills-runtime.ts";
import type { SkillSync } from "./skills/skill-sync.ts";
import type { MemoryRuntime } from "./memory/memory-runtime.ts";
import type { McpRuntime } from "./mcp/mcp-runtime.ts";
import type { RunWorker } from "./routing/run-worker.ts";
import type { Bus, Consumer } from "./bus/bus.ts";
import { openMemoryBus } from "./bus/memory-bus.ts";
import type { ChannelManager, ChannelManagerOptions } from "./channels/channel-manager.ts";
import { queueReply } from "./channels/reply-queue.ts";
import { listKnownModels } from "./routing/ingress/chat-commands.ts";
import { createTranscriber } from "./models/transcription.ts";
import { splitModelRef } from "./models/presets.ts";
import { hasOwnEntry, ownEntry } from "./core/own-entry.ts";
import type { AutomationControl, HeartbeatRunner } from "./automation/automation.ts";
import type { Scheduler } from "./automation/scheduler.ts";
import type { Tool } from "./tools/tool.ts";

export type Env = Record<string, string | undefined>;

/** Tools a heartbeat turn never gets, whatever the policy allows. */
export const HEARTBEAT_DENIED_TOOLS: readonly string[] = ["group:agents", "write", "glob"];

export interface AppOptions {
  configFile?: string;
  env: Env;
  logger?: Logger;
  now?: () => number;
  fetch?: typeof fetch;
  /** The log file `logger` also writes to (the gateway's); its rotation limits follow `log.file`. */
  logFile?: LogFile;
}

export interface App {
  config: PincerConfig;
  configFile: string;
  configExists: boolean;
  stateDir: string;
  /** Parts of the config left out because an `${env:X}` in them is unset (channel accounts); the rest runs. */
  withheld: readonly WithheldPart[];
  log: Logger;
  store: Store;
  models: ModelRouter;
  dispatcher: Dispatcher;
  agentConfig(agentId: string): AgentConfig;
  workspaceFor(agentId: string): string;
  /** True when `ref` can be used now: a configured tier, or a provider/model of a configured provider (`/model`). */
  isUsableModel(ref: string): boolean;
  /** Re-reads the config file. Contract: an invalid file changes nothing and is reported, never thrown; valid
   * changes are applied live (models, agents, policy, rate limit, log level) except those listed in `restart`.
   * Reloads never overlap: a call made during another waits for it, then reads the file again. */
  reload(): Promise<ReloadReport>;
  /** Validates text as this app would load it from its config file (same env and overrides). Throws ConfigError. */
  checkConfigText(text: string): Promise<PincerConfig>;
  /** Each configured model provider's live reachability (its model-list endpoint), cached 30 s unless `force`. */
  probeProviders(opts?: { force?: boolean }): Promise<ProviderReachability[]>;
  /** The skill catalog the turns use, loaded on the first call (the first turn loads it too). */
  skillCatalog(): Promise<SkillCatalog>;
  /** `embedded`: runs execute in this process. `cluster`: runs go over the bus to workers. */
  runtime: "embedded" | "cluster";
  bus: Bus | undefined;
  /** Starts executing runs from the bus in this process (cluster runtime only; a ConfigError otherwise). */
  startWorker(opts?: { concurrency?: number }): Promise<RunWorker>;
  /** Starts turning inbound messages into run jobs (cluster runtime; undefined when embedded). */
  startRouter(): Promise<Consumer | undefined>;
  /** Connects the configured chat channel accounts in this process and delivers their replies. */
  startChannels(opts?: Pick<ChannelManagerOptions, "factories" | "noticePollMs">): Promise<ChannelManager>;
  /** The running channels, once started. */
  readonly channels: ChannelManager | undefined;
  /** The memory runtime (indexes, search), loaded on first use. */
  memory(): Promise<MemoryRuntime>;
  /** The MCP servers' clients and tools, loaded on first use (the first turn loads them while `mcp.servers` names one). */
  mcp(): Promise<McpRuntime>;
  /** True for MCP tools their server lists in `safe_tools` (the taint check lets them through); false while MCP is not loaded. */
  isSafeMcpTool(name: string): boolean;
  /** Indexes the agents' memory and watches it for changes (the gateway). Loads nothing unless some agent has memory
   * files or `memory.extra_paths` is set. */
  startMemoryWatch(): Promise<void>;
  /** The log file this process writes, when it writes one (the gateway). */
  logFile: LogFile | undefined;
  /** The environment the app was built with (webhook triggers' `secret_env`). */
  env: Env;
  /** Starts the scheduler in this process (the gateway, once it serves): it fires schedules while it holds the store's
   * scheduler lease, and costs one small query per poll while there is nothing to fire. Loaded on this call only. */
  startAutomation(): Promise<AutomationControl | undefined>;
  /** The running scheduler's control (run now, wake, status), once started. */
  automation(): AutomationControl | undefined;
  /** Stops the scheduler (no new fires; runs already started go on) and gives its lease to another process. */
  stopAutomation(): Promise<void>;
  /** Approvals and elevated mode for the surfaces (chat commands, API, CLI, Control UI); the broker loads on first use. */
  approvals(): ApprovalService;
  close(): Promise<void>;
}

export type ReloadReport =
  | { ok: true; applied: string[]; restart: string[] }
  | { ok: false; error: string };

export async function createApp(opts: AppOptions): Promise<App> {
  const loaded = await loadConfig({ file: opts.configFile, env: opts.env });
  const { stateDir } = loaded;
  // Replaced as a whole by reload(); everything below reads it at call time, never a copy taken at start.
  let config = loaded.config;
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger({ level: config.log.level });
  const configureLogFile = (c: PincerConfig): void => opts.logFile?.configure({ maxBytes: c.log.file.max_mb * 1024 * 1024, files: c.log.file.files });
  configureLogFile(config);
  // A state dir this user cannot write is one clear ConfigError here, before anything else touches it.
  await prepareStateDir(stateDir);

  const workspaces = new Map<string, string>();
  // Agents added by a reload get their workspace then; an existing agent keeps its directory until a restart.
  const ensureWorkspaces = async (agents: PincerConfig["agents"]): Promise<void> => {
    for (const [agentId, agent] of Object.entries(agents)) {
      if (workspaces.has(agentId)) continue;
      const dir = resolveWorkspace(stateDir, agentId, agent.workspace, opts.env);
      const created = await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        throw toSetupError(err, { dir, what: `the workspace of agent "${agentId}"`, setting: `agents.${agentId}.workspace` }) ?? err;
      });
      // Sandboxed commands never run as root: a root gateway hands a workspace it creates to nobody, whom its
      // commands then run as (an existing workspace keeps its owner; `pincer doctor` explains the choice).
      if (created !== undefined && process.getuid?.() === 0) await chown(dir, NOBODY.uid, NOBODY.gid);
      workspaces.set(agentId, await realpath(dir));
    }
  };
  // Independent start-up work runs together: the store (open + migrations), the workspaces, and — only when
  // policy.exec.sandbox demands bubblewrap, so a host that cannot run it fails here — the bubblewrap probe (a process
  // spawn). With `auto` the probe waits for the first command. A failure is reported in that order, and a store
  // already open is closed again.
  const sandboxMode = config.policy.exec.sandbox;
  const [opened, prepared] = await Promise.allSettled([
    openStore(config, stateDir, log),
    Promise.all([ensureWorkspaces(config.agents), sandboxMode === "bubblewrap" ? detectBubblewrap() : undefined]),
  ]);
  if (opened.status === "rejected") throw opened.reason;
  const store = opened.value;
  if (prepared.status === "rejected") {
    await store.close();
    throw prepared.reason;
  }
  const [, detected] = prepared.value;
  const agentConfig = (agentId: string): AgentConfig => {
    const agent = ownEntry(config.agents, agentId);
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

  const sandbox =
    sandboxMode === "auto" ? createDeferredSandbox(() => detectBubblewrap())
    : createSandbox(sandboxMode, detected ?? { available: false, reason: "policy.exec.sandbox is host" });
  // Elevated mode runs exec on the host: the host runner (no mounts, cwd in the workspace, cleared env, never root).
  const tools = createBuiltinTools({ sandbox, hostSandbox: sandbox.name === "host" ? sandbox : createHostSandbox() });
  const gate = createToolGate({ tools, audit: (record) => store.audit.write(record), now });
  const buildRouter = (c: PincerConfig): ModelRouter =>
    createModelRouter({ config: c.models, stateDir, env: opts.env, now, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  let router = buildRouter(config);
  // Budgets are checked before every model call made through this facade (turns, compaction, sub-agents, automation);
  // their code loads with the first call made while a budget is configured.
  let budgetGuard: Promise<BudgetGuard> | undefined;
  const loadBudgetGuard = (): Promise<BudgetGuard> =>
    (budgetGuard ??= import("./models/budget-guard.ts").then((m) => m.createBudgetGuard({ store, budgets: () => config.budgets, now, log: log.child({ component: "budgets" }) })));
  async function* guardedStream(req: ModelRequest, current: ModelRouter): AsyncGenerator<ModelEvent> {
    yield* (await loadBudgetGuard()).stream(req, (r) => current.stream(r));
  }
  // A stable facade over the current router: a reload swaps the router, turns already streaming keep theirs.
  const models: ModelRouter = {
    resolveCandidates: (ref) => router.resolveCandidates(ref),
    stream: (req) => (config.budgets.length > 0 ? guardedStream(req, router) : router.stream(req)),
    preflight: (ref) => router.preflight(ref),
  };

  // The skills code loads with the first turn, never at start-up.
  // Turns reuse what the previous turn found in the skill folders and memory files for a second, unless this process
  // changed files since: a write, edit or exec tool call, or a skill sync, bumps `fileChanges`.
  let fileChanges = 0;
  const fileReuse = { listTtlMs: 1_000, changes: () => fileChanges };
  const FILE_CHANGING_TOOLS = new Set(["write", "edit", "exec"]);
  let skillsRuntime: Promise<SkillsRuntime> | undefined;
  const loadSkills = (): Promise<SkillsRuntime> =>
    (skillsRuntime ??= Promise.all([import("./skills/skills-runtime.ts"), import("./skills/skill-default-scanner.ts")]).then(async ([m, s]) =>
      m.createSkillsRuntime({ stateDir, configFile: loaded.file, env: opts.env, now, scan: await s.loadDefaultScanner(), audit: (record) => store.audit.write(record), reuse: fileReuse })));

  // Cluster runtime: before each turn the managed skills folder is brought in line with the store (one small query when
  // nothing changed since the last turn), so a skill installed on any node reaches every worker. The embedded runtime
  // reads its own folder only. A failed sync is logged and the turn goes on with the skills already here.
  const clustered = Boolean(config.bus.url);
  let skillSync: Promise<SkillSync> | undefined;
  const syncSkills = async (): Promise<void> => {
    try {
      skillSync ??= Promise.all([import("./skills/skill-sync.ts"), import("./skills/skill-default-scanner.ts")]).then(async ([m, s]) =>
        m.createSkillSync({ stateDir, repo: store.skills, scan: await s.loadDefaultScanner() }));
      const { materialised, removed, refused } = await (await skillSync).sync();
      if (materialised.length + removed.length > 0) {
        fileChanges += 1;
        log.info({ materialised, removed }, "skills synced from the store");
      }
      for (const r of refused) log.warn({ skill: r.name, reason: r.reason }, "a skill from the store was not materialised");
    } catch (err) {
      log.warn({ err }, "syncing the skills from the store failed; the run uses the skills already here");
    }
  };
  // A heartbeat checks items and reports: it reads, edits HEARTBEAT.md, runs and fetches, but neither starts other agents
  // nor writes new files or globs the tree (each schema left out is paid on no tick).
  const heartbeatRules = (rules: ToolRules): ToolRules => ({ ...rules, deny: [...rules.deny, ...HEARTBEAT_DENIED_TOOLS] });
  const rulesOf = (agentId: string): ToolRules => {
    const agentTools = agentConfig(agentId).tools;
    const merged = mergeToolRules(config.policy.tools, agentTools);
    // Configuring an MCP server is consent to its tools while the allow lists are the defaults; a custom allow list
    // names `group:mcp` or `mcp__<server>__*` itself.
    if (Object.keys(config.mcp.servers).length > 0 && agentTools?.allow === undefined && !merged.allow.includes("group:mcp")
      && merged.allow.length === DEFAULT_TOOL_ALLOW.length && DEFAULT_TOOL_ALLOW.every((e) => merged.allow.includes(e))) merged.allow.push("group:mcp");
    // With exec disabled by policy the model is not even shown the tool.
    return config.policy.exec.level === "deny" ? { ...merged, deny: [...merged.deny, "exec"] } : merged;
  };
  // Sub-agents load with the first spawn (or a sub-agent's first turn), never at start-up.
  let subagentsModule: Promise<typeof import("./routing/subagent-supervisor.ts")> | undefined;
  const loadSubagents = () => (subagentsModule ??= import("./routing/subagent-supervisor.ts"));
  let supervisor: Promise<SubagentSupervisor> | undefined;
  const subagents = (): Promise<SubagentSupervisor> =>
    (supervisor ??= loadSubagents().then((m) => m.createSubagentSupervisor({ store, dispatcher, config: () => config, isUsableModel, now })));
  let messenger: Promise<AgentMessenger> | undefined;
  const agentMessages = (): Promise<AgentMessenger> =>
    (messenger ??= import("./routing/agent-messages.ts").then((m) => m.createAgentMessenger({ store, dispatcher, bus, config: () => config, now })));
  // The taint of each run (untrusted content it holds, and the calls that guards): loaded with the first turn.
  let runTaintModule: Promise<typeof import("./routing/run-taint.ts")> | undefined;
  const loadRunTaint = () => (runTaintModule ??= import("./routing/run-taint.ts"));
  const agentsViewFor = (run: Run): AgentsView => ({
    spawn: async (args, signal) => (await subagents()).spawn(run, args, signal),
    message: async (args, signal) => (await agentMessages()).send(run, args, signal),
  });
  let memoryRuntime: Promise<MemoryRuntime> | undefined;
  const loadMemory = (): Promise<MemoryRuntime> =>
    (memoryRuntime ??= import("./memory/memory-runtime.ts").then((m) => m.createMemoryRuntime({
      store, config: () => config, configFile: loaded.file, stateDir, env: opts.env, now, log: log.child({ component: "memory" }), reuse: fileReuse, ...(opts.fetch ? { fetch: opts.fetch } : {}),
    })));

  // MCP code (and the SDK) loads with the first turn while mcp.servers names a server; servers start on that turn.
  let mcpRuntime: Promise<McpRuntime> | undefined;
  let mcpLoaded: McpRuntime | undefined;
  const loadMcp = (): Promise<McpRuntime> =>
    (mcpRuntime ??= import("./mcp/mcp-runtime.ts").then((m) => (mcpLoaded = m.createMcpRuntime({ config: () => config.mcp, env: opts.env, now, log: log.child({ component: "mcp" }) }))));
  const mcpToolsFor = async (): Promise<Tool[]> =>
    (Object.keys(config.mcp.servers).length > 0 || mcpLoaded ? (await loadMcp()).toolsForTurn() : []);

  // The schedule tool: only for runs answering a chat message (its reminders are delivered there); loaded with the first one.
  let scheduler: Scheduler | undefined;
  let automationOff = false; // set by stopAutomation/close: a start still loading then does nothing
  let remindersModule: Promise<[typeof import("./automation/reminders.ts"), typeof import("./tools/builtin/schedule-tool.ts")]> | undefined;
  const reminderToolsFor = async (run: Run): Promise<Tool[]> => {
    if (!run.origin || run.parentRunId !== undefined || (run.trigger !== undefined && run.trigger !== "message")) return [];
    const [m, t] = await (remindersModule ??= Promise.all([import("./automation/reminders.ts"), import("./tools/builtin/schedule-tool.ts")]));
    const view = m.remindersFor(run, { store, now, knownAgent: (agentId) => hasOwnEntry(config.agents, agentId), changed: () => (scheduler ?? (automationWatched ? pendingAutomation : undefined))?.changed() });
    return view ? [t.createScheduleTool(view)] : [];
  };

  // Approvals and elevated mode: the broker loads with the first call that needs it (an ask rule, exec level ask, taint,
  // an elevation look-up, a surface), never for plain allowed calls nor at start-up.
  let broker: Promise<ApprovalBroker> | undefined;
  const loadBroker = (): Promise<ApprovalBroker> =>
    (broker ??= import("./routing/approval-broker.ts").then((m) => m.createApprovalBroker({
      store, bus, config: () => config, now, log: log.child({ component: "approvals" }), onRequested: notifyApprovers,
    })));
  /**
   * Tells the people who may answer a new approval request: the owners of the run's channel account (a chat message with
   * the tool, the summary and `/approve <id>`). The operator sees every request in the Control UI, CLI and API anyway, so
   * a request with no owner to tell still waits for the operator until approvals.timeout_ms.
   */
  const notifyApprovers = async (request: ApprovalRequest, run: Run): Promise<void> => {
    log.info({ id: request.id, runId: run.id, tool: request.tool, reason: request.reason }, "a tool call waits for approval");
    const { notifyApprovalRequested } = await import("./routing/approval-notify.ts");
    await notifyApprovalRequested(request, run, { store, config: () => config, now });
  };
  /** The run's SafetyView: its taint (which untrusted content it holds, src/tools/taint.ts) and the broker's approvals
   * and elevation, the broker loaded only when a call needs it. */
  const safetyFor = (run: Run, emit: ((event: RunEvent) => void) | undefined, taint: Pick<SafetyView, "taintReason" | "taintSources" | "noteUntrusted">): SafetyView => {
    let view: Promise<SafetyView> | undefined;
    const full = (): Promise<SafetyView> => (view ??= loadBroker().then((b) => b.safetyFor(run, { emit, taint })));
    return {
      ...taint,
      elevation: async () => (await full()).elevation(),
      standingRule: async (tool, subject) => (await full()).standingRule(tool, subject),
      requestApproval: async (req, signal) => (await full()).requestApproval(req, signal),
    };
  };
  const approvals: ApprovalService = {
    answer: async (id, a, by) => (await loadBroker()).answer(id, a, by),
    list: async (o) => (await loadBroker()).list(o),
    rules: async () => (await loadBroker()).rules(),
    revokeRule: async (id, by) => (await loadBroker()).revokeRule(id, by),
    elevate: async (key, o) => (await loadBroker()).elevate(key, o),
    confirmElevation: async (key, code, by) => (await loadBroker()).confirmElevation(key, code, by),
    endElevation: async (key, by, reason) => (await loadBroker()).endElevation(key, by, reason),
    elevation: async (key) => (await loadBroker()).elevation(key),
  };

  // Finished runs' replies travel to the process holding the channel: over NATS in a cluster, in-process otherwise.
  // (Assigned below, once the bus is open; runs cannot finish before.)
  let replyBus: Bus | undefined;
  const executor: ExecutorDeps = {
    onRunFinished: async (run, outcome) => {
      if (run.origin && replyBus) await queueReply(replyBus, { ...run, status: outcome.status, reply: outcome.reply });
    },
    store,
    models,
    now,
    agentConfig,
    workspaceFor,
    context: () => config,
    toolsFor: async (run, workspace, skills, memoryTools, emit) => {
      // A heartbeat (light context) gets the policy's tools without HEARTBEAT_DENIED_TOOLS.
      const own = hasLightContext(run) ? heartbeatRules(rulesOf(run.agentId)) : rulesOf(run.agentId);
      // A sub-agent's tools are never wider than its parents': each ancestor's rules must allow a tool too.
      const rules = run.parentRunId === undefined ? own
        : { ...own, within: await (await loadSubagents()).loadAncestorRules(store, run, (agentId) => rulesOf(agentId)) };
      const taint = await loadRunTaint();
      const tracker = await taint.createRunTaint({
        store, run, policy: () => config.policy.taint, now, workspace, log,
        // An MCP tool its server lists in safe_tools is not guarded by taint.
        isSafeTool: (name) => mcpLoaded?.isSafeTool(name) ?? false,
      });
      const agents = taint.taintingAgentsView(agentsViewFor(run), store, tracker, now);
      const reminders = await reminderToolsFor(run);
      const mcpTools = await mcpToolsFor();
      const extraTools = memoryTools?.length || reminders.length || mcpTools.length ? [...(skills?.tools ?? []), ...(memoryTools ?? []), ...reminders, ...mcpTools] : skills?.tools;
      const safety = safetyFor(run, emit, tracker);
      // While the session is elevated, the model is shown policy.elevated.allow's tools too (one look-up per run, only
      // when elevated mode is enabled and widens anything); each call is still decided by the gate.
      const elevated = config.policy.elevated;
      const widened = elevated.enabled && elevated.allow.length > 0 && (await safety.elevation()) ? { ...rules, allow: [...rules.allow, ...elevated.allow] } : rules;
      return {
        specs: () => gate.specs(widened, extraTools),
        execute: (call, signal) =>
          gate.execute(call, {
            workspace, policy: config.policy, signal, runId: run.id, sessionKey: run.sessionKey, rules, skills, agents, safety,
            approvalTimeoutMs: config.approvals.timeout_ms, ...(extraTools ? { extraTools } : {}),
          })
            // A source the call noted is stored before its result is: a resumed run finds both.
            .then(async (result) => (await tracker.settled(), result))
            .finally(() => {
              if (FILE_CHANGING_TOOLS.has(call.name)) fileChanges += 1;
            }),
      };
    },
    subagentLimits: () => config.policy.subagents,
    skillsFor: async ({ agentId, workspace }) => {
      if (clustered) await syncSkills();
      return (await loadSkills()).prepareTurn({ config, agentId, workspace });
    },
    // Memory code loads with the first turn while memory is enabled; a disabled memory costs one config read.
    memoryFor: async ({ agentId, workspace, run }) => (config.memory.enabled ? (await loadMemory()).prepareTurn({ agentId, workspace, run }) : undefined),
  };
  // Cluster runtime when a bus is configured: runs go to workers over NATS JetStream; else they run in this process.
  const bus = config.bus.url ? await openBus(config, log) : undefined;
  replyBus = bus ?? openMemoryBus({ instance: config.instance, log });
  const dispatcher: Dispatcher = bus
    ? (await import("./routing/cluster-dispatcher.ts")).createClusterDispatcher({ store, bus, agentConfig, now, log })
    : createDispatcher(executor);
  const startWorker = async (o: { concurrency?: number } = {}): Promise<RunWorker> => {
    if (!bus) throw new ConfigError({ problem: "a worker needs the cluster runtime", file: loaded.file, keyPath: "bus.url", fix: "set bus.url (or PINCER_BUS_URL) to a nats:// URL" });
    const { startRunWorker } = await import("./routing/run-worker.ts");
    return startRunWorker({ ...executor, bus, log, ackWaitMs: config.bus.ack_wait_ms, ...(o.concurrency ? { concurrency: o.concurrency } : {}) });
  };
  const startRouter = async (): Promise<Consumer | undefined> => {
    if (!bus) return undefined;
    const { startInboundRouter } = await import("./routing/inbound-router.ts");
    return startInboundRouter({ store, bus, now, log, config: () => config });
  };

  let channels: ChannelManager | undefined;
  const isUsableModel = (ref: string): boolean => {
    if (listKnownModels(config).includes(ref)) return true;
    const split = splitModelRef(ref);
    if (!split || !hasOwnEntry(config.models.providers, split.providerId)) return false;
    try {
      return models.resolveCandidates(ref).length > 0;
    } catch {
      return false;
    }
  };
  const startChannels = async (o: Pick<ChannelManagerOptions, "factories" | "noticePollMs"> = {}): Promise<ChannelManager> => {
    const { createChannelManager } = await import("./channels/channel-manager.ts");
    channels = createChannelManager({
      config: () => config, store, dispatcher, bus: replyBus!, log, stateDir, now, workspaceFor,
      transcribe: createTranscriber({ config: () => config, stateDir, env: opts.env, ...(opts.fetch ? { fetch: opts.fetch } : {}) }),
      knownModels: () => listKnownModels(config), isUsableModel, unavailable: unavailableAccounts(loaded.withheld),
      ...(opts.fetch ? { fetch: opts.fetch } : {}), ...o,
    });
    await channels.start();
    return channels;
  };

  // Loaded on the first status request: the gateway's start does not need it.
  let probe: Promise<ReachabilityProbe> | undefined;
  const probeProviders = async (o: { force?: boolean } = {}): Promise<ProviderReachability[]> => {
    probe ??= import("./models/reachability-probe.ts").then((m) =>
      m.createReachabilityProbe({ config: () => config, stateDir, env: opts.env, now, ...(opts.fetch ? { fetch: opts.fetch } : {}) }));
    return (await probe).probe(o);
  };

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<ReloadReport> => {
    const report = reloading.then(reloadNow, reloadNow);
    reloading = report;
    return report;
  };
  const reloadNow = async (): Promise<ReloadReport> => {
    let next: PincerConfig;
    try {
      next = (await loadConfig({ file: loaded.file, env: opts.env })).config;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log.error({ file: loaded.file }, `config reload rejected; the running config stays in force: ${error}`);
      return { ok: false, error };
    }
    const changes = diffConfig(config, next);
    if (changes.live.length === 0 && changes.restart.length === 0) return { ok: true, applied: [], restart: [] };
    await ensureWorkspaces(next.agents);
    if (changes.live.some((path) => path.startsWith("models."))) router = buildRouter(next);
    if (next.log.level !== config.log.level) setLogLevel(log, next.log.level);
    configureLogFile(next);
    config = withRestartKeysFrom(config, next, changes.restart);
    await store.audit.write({
      at: now(), kind: "config.reload", decision: "info", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: `applied ${changes.live.length} change(s); ${changes.restart.length} need a restart`,
      detail: { applied: changes.live, restart: changes.restart },
    });
    log.info({ applied: changes.live, restart: changes.restart }, "config reloaded");
    if (changes.restart.length > 0) log.warn({ keys: changes.restart }, "these config changes take effect after a restart");
    return { ok: true, applied: changes.live, restart: changes.restart };
  };

  // The scheduler in this process (the gateway), loaded when there is something to fire; see startAutomation.
  let automationWatched = false;
  let automationWatch: NodeJS.Timeout | undefined;
  let schedulerStarting: Promise<Scheduler | undefined> | undefined;
  const automationIdle = async (): Promise<boolean> => !config.heartbeat && (await store.schedules.nextDue()) === undefined;
  const startScheduler = (): Promise<Scheduler | undefined> => (schedulerStarting ??= (async () => {
    if (automationWatch) clearInterval(automationWatch);
    if (scheduler || automationOff) return scheduler;
    const { createScheduler } = await import("./automation/scheduler.ts");
    if (scheduler || automationOff) return scheduler;
    const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    // The heartbeat's code loads only while `heartbeat` is configured (at start, or on the first wake after a reload
    // added it); its runner is rebuilt when a reload names another agent.
    let heartbeatModule: typeof import("./automation/heartbeat.ts") | undefined;
    let loadingHeartbeat: Promise<unknown> | undefined;
    let runner: { agentId: string; value: HeartbeatRunner | undefined } | undefined;
    const loadHeartbeat = (): Promise<unknown> =>
      (loadingHeartbeat ??= import("./automation/heartbeat.ts").then((m) => (heartbeatModule = m), (err: unknown) => log.error({ err }, "loading the heartbeat failed")));
    if (config.heartbeat) await loadHeartbeat();
    const heartbeats = (): HeartbeatRunner[] => {
      const hb = config.heartbeat;
      if (!hb) return [];
      if (!heartbeatModule) {
        void loadHeartbeat();
        return [];
      }
      if (runner?.agentId !== hb.agent) {
        runner = { agentId: hb.agent, value: heartbeatModule.createHeartbeatRunner({ store, dispatcher, config: () => config, workspaceFor, now, log: log.child({ component: "automation" }) }) };
      }
      return runner.value ? [runner.value] : [];
    };
    const created = createScheduler({
      store, dispatcher, config: () => config, now, log: log.child({ component: "scheduler" }), holder, heartbeats, ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    scheduler = created;
    await created.start();
    return created;
  })());
  /** What the API, CLI and schedule tool reach while the scheduler is not loaded yet: a change or a run now loads it. */
  const pendingAutomation: AutomationControl = {
    runNow: async (idOrName) => {
      const started = await startScheduler();
      if (!started) throw new InputError("the scheduler is stopped (the gateway is shutting down)");
      return started.runNow(idOrName);
    },
    changed: () => void startScheduler().catch((err: unknown) => log.error({ err }, "starting the scheduler failed")),
    status: () => ({ leader: false, holder: undefined, nextWakeAt: undefined, heartbeat: { enabled: false, nextTickAt: undefined } }),
  };

  return {
    get config() {
      return config;
    },
    reload,
    checkConfigText: (text) => validateConfigText(text, { file: loaded.file, env: opts.env }),
    probeProviders,
    skillCatalog: async () => (await loadSkills()).catalog,
    configFile: loaded.file,
    configExists: loaded.exists,
    withheld: loaded.withheld,
    stateDir,
    log,
    store,
    models,
    dispatcher,
    agentConfig,
    workspaceFor,
    isUsableModel,
    runtime: bus ? "cluster" : "embedded",
    bus,
    startWorker,
    startRouter,
    startChannels,
    get channels() {
      return channels;
    },
    logFile: opts.logFile,
    env: opts.env,
    memory: loadMemory,
    mcp: loadMcp,
    isSafeMcpTool: (name) => mcpLoaded?.isSafeTool(name) ?? false,
    async startMemoryWatch() {
      if (!config.memory.enabled) return;
      const agents = [...workspaces].map(([agentId, workspace]) => ({ agentId, workspace }));
      const present = async (ws: string) => (await lstat(join(ws, "MEMORY.md")).then(() => true, () => false)) || lstat(join(ws, "memory")).then(() => true, () => false);
      const some = config.memory.extra_paths.length > 0 || (await Promise.all(agents.map((a) => present(a.workspace)))).some(Boolean);
      if (!some) return;
      await (await loadMemory()).watch(agents);
    },
    async startAutomation() {
      if (scheduler || automationOff) return scheduler;
      automationWatched = true;
      // Nothing to fire (no heartbeat, no schedule due to fire): the scheduler and croner stay unloaded, and one small
      // query every 5 s (what the scheduler itself would cost at idle) notices a schedule written by another process.
      if (await automationIdle()) {
        automationWatch ??= setInterval(() => {
          void automationIdle().then((idle) => (idle ? undefined : startScheduler()), (err: unknown) => log.warn({ err }, "checking for schedules failed"));
        }, 5_000);
        automationWatch.unref();
        return pendingAutomation;
      }
      return startScheduler();
    },
    automation: () => scheduler ?? (automationWatched && !automationOff ? pendingAutomation : undefined),
    approvals: () => approvals,
    stopAutomation: async () => {
      automationOff = true;
      if (automationWatch) clearInterval(automationWatch);
      await scheduler?.stop();
    },
    async close() {
      automationOff = true;
      if (automationWatch) clearInterval(automationWatch);
      await scheduler?.stop();
      if (broker) (await broker).close();
      if (memoryRuntime) (await memoryRuntime).close();
      if (mcpRuntime) await (await mcpRuntime).close();
      await channels?.stop();
      if (!bus) await replyBus?.close();
      if ("close" in dispatcher && typeof dispatcher.close === "function") dispatcher.close();
      await bus?.close();
      await store.close();
    },
  };
}

/** Channel accounts withheld from the config, with the reason the channel manager reports for each. */
function unavailableAccounts(withheld: readonly WithheldPart[]): ChannelManagerOptions["unavailable"] {
  return withheld.flatMap(({ path, error }) =>
    path[0] === "channels" && path[2] === "accounts" ? [{ channel: String(path[1]), account: String(path[3]), detail: `${error.message} (then restart the gateway)` }] : [],
  );
}

async function openBus(config: PincerConfig, log: Logger): Promise<Bus> {
  const { openNatsBus } = await import("./bus/nats-bus.ts");
  const b = config.bus;
  return openNatsBus({
    instance: config.instance,
    url: b.url!,
    ...(b.user ? { user: b.user } : {}),
    ...(b.password ? { password: b.password } : {}),
    ...(b.nkey_seed ? { nkeySeed: b.nkey_seed } : {}),
    ...(b.creds_file ? { credsFile: b.creds_file } : {}),
    ackWaitMs: b.ack_wait_ms,
    maxDeliver: b.max_deliver,
    backoffMs: b.backoff_ms,
    log,
  });
}

/** store.url unset or `sqlite`: the SQLite file in the state dir; a postgres:// URL (validated by the schema): PostgreSQL. */
async function openStore(config: PincerConfig, stateDir: string, log: Logger): Promise<Store> {
  const { url } = config.store;
  if (!url || url === "sqlite") {
    const path = join(stateDir, "pincer.db");
    return openSqliteStore({ path }).catch((err: unknown) => {
      throw toSetupError(err, { dir: stateDir, path }) ?? err;
    });
  }
  return openPostgresStore({
    url,
    schema: config.store.schema ?? defaultPostgresSchema(config.instance),
    poolMax: config.store.pool_max,
    statementTimeoutMs: config.store.statement_timeout_ms,
    log: log.child({ component: "store.postgres" }),
  });
}
