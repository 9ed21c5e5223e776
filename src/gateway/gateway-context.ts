// What the gateway needs from the running core: config, store, dispatcher, models and a logger.
// `App` (src/app.ts) satisfies it; the gateway never imports the composition root.
import type { MemoryRuntime } from "../memory/memory-runtime.ts";
import type { McpRuntime } from "../mcp/mcp-runtime.ts";
import type { AutomationControl } from "../automation/automation.ts";
import type { Logger } from "pino";
import type { LogFile } from "../config/log-file.ts";
import type { ReloadReport } from "../app.ts";
import type { ProviderReachability } from "../models/reachability-probe.ts";
import type { AgentConfig, PincerConfig } from "../core/config-schema.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import type { ApprovalService } from "../routing/approval-service.ts";
import type { SkillCatalog } from "../skills/skill-catalog.ts";
import type { Store } from "../store/store.ts";

export interface GatewayContext {
  config: PincerConfig;
  store: Store;
  dispatcher: Dispatcher;
  models: { preflight(ref: string): Promise<void> };
  log: Logger;
  agentConfig(agentId: string): AgentConfig;
  /** The agent's workspace folder (where images sent over /ws are saved for the model). */
  workspaceFor(agentId: string): string;
  /** True when `/model <ref>` may switch to `ref`: a configured tier, or a provider/model of a configured provider. */
  isUsableModel?(ref: string): boolean;
  /** The chat channels running in this process, once started. */
  readonly channels?: ChannelsView | undefined;
  /** The state dir (`PINCER_HOME`): where registry skills are installed (`<stateDir>/skills`). */
  readonly stateDir?: string;
  /** The skill catalog the agents' turns use (loaded on first call, never at start), so the UI lists what turns see. */
  skillCatalog?(): Promise<SkillCatalog>;
  /** The config file this gateway loaded, for the config editor; with `checkConfigText` and `reload`. */
  readonly configFile?: string;
  /** Validates text as a reload of `configFile` would. Throws ConfigError. */
  checkConfigText?(text: string): Promise<PincerConfig>;
  /** Re-reads `configFile` and applies what can change live. Contract: never throws; reloads never overlap. */
  reload?(): Promise<ReloadReport>;
  /** Each configured model provider's live reachability; cached unless `force`. Contract: never throws. */
  probeProviders?(opts?: { force?: boolean }): Promise<ProviderReachability[]>;
  /** The log file this process writes (the gateway's), for the logs API and the last errors in /status. */
  readonly logFile?: Pick<LogFile, "path" | "subscribe" | "recentErrors"> | undefined;
  /** The memory runtime (indexes and search), loaded on first use. */
  memory?(): Promise<MemoryRuntime>;
  /** The MCP servers' clients and tools, loaded on first use. */
  mcp?(): Promise<McpRuntime>;
  /** The process environment the app was built with: where webhook triggers find their `secret_env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The scheduler running in this process (run a schedule now, wake it after a change, its state); undefined until
   * it has started, shortly after the gateway serves. */
  automation?(): AutomationControl | undefined;
  /** Approvals and elevated mode (answer, list, standing rules, elevate); the broker loads on first use. */
  approvals?(): ApprovalService;
}

/** What the gateway serves of the running channels: webhook handlers and health. */
export interface ChannelsView {
  webhook(path: string): ((req: Request) => Promise<Response>) | undefined;
  status(): Array<{ channel: string; account: string; state: string; since: number; identity?: string; detail?: string; lastError?: { at: number; message: string } }>;
  stats: { inbound: Map<string, number>; replies: Map<string, number> };
}

/** Checks a presented token. Contract: constant-time; never logs the token. */
export interface TokenVerifier {
  verify(token: string): boolean;
}
