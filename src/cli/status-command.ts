// `pincer status`: one screen on the gateway, models, channels, runs in flight, today's usage and what to do next.
// A running gateway is asked (GET /api/v1/status, or the older endpoints when it lacks that one); without one the
// answer comes from the config and the state dir alone, with no network and no heavy imports, in well under a second.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig, resolveStateDir, type LoadedConfig } from "../config/index.ts";
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import type { Run } from "../core/domain.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { Store } from "../store/store.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { findGateway, gatewayClient, type GatewayClient } from "./gateway-client.ts";
import { CliFailure, EXIT_CONFIG, printJson } from "./output.ts";
import { readApiStatus, renderStatus, suggestNext, type StatusReport } from "./status-report.ts";

type Draft = Omit<StatusReport, "next">;

export async function statusCommand(g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const report = await collectStatus(g);
  if (opts.json) printJson(report);
  else process.stdout.write(renderStatus(report, Date.now()));
  if (!report.config.ok) process.exitCode = EXIT_CONFIG;
}

async function collectStatus(g: GlobalOptions): Promise<StatusReport> {
  const stateDir = resolveStateDir(process.env);
  let loaded: LoadedConfig | undefined;
  let configError: string | undefined;
  try {
    loaded = await loadConfig({ file: g.config, env: process.env });
  } catch (err) {
    configError = err instanceof Error ? err.message : String(err);
  }
  const file = loaded?.file ?? g.config ?? join(stateDir, "pincer.yaml");
  const found = await findGateway({ stateDir, ...(loaded ? { config: loaded.config, configFile: loaded.file } : {}) });
  const draft: Draft = {
    gateway: found.running
      ? { running: true, url: found.url, ...(found.runtime ? { pid: found.runtime.pid, version: found.runtime.version, uptimeSec: Math.round((Date.now() - found.runtime.startedAt) / 1000) } : {}) }
      : { running: false, url: found.url ?? null, note: found.reason },
    config: { file, ok: configError === undefined, ...(configError ? { error: configError } : {}) },
    models: [],
    channels: loaded ? configuredChannels(loaded) : [],
    runsInFlight: [],
    today: null,
    lastErrors: [],
    source: "local",
  };
  if (found.running) {
    const client = gatewayClient(found, { stateDir, env: process.env });
    try {
      await fromGateway(client, draft, loaded);
    } catch (err) {
      if (!(err instanceof CliFailure)) throw err;
      draft.gateway.note = `only part of its status could be read: ${err.message}`;
    }
  }
  if (draft.source === "local" && loaded) {
    draft.models = await localModels(loaded);
    await fromStore(loaded, draft, { inFlight: !found.running });
  }
  return { ...draft, next: suggestNext(draft) };
}

/** GET /api/v1/status; a gateway without it (404) is asked through the endpoints every version has. */
async function fromGateway(client: GatewayClient, draft: Draft, loaded: LoadedConfig | undefined): Promise<void> {
  const res = await client.request("/api/v1/status", { timeoutMs: 10_000 });
  if (res.ok) {
    const api = readApiStatus(await res.json());
    Object.assign(draft.gateway, api.gateway);
    for (const key of ["models", "channels", "runsInFlight", "lastErrors"] as const) if (api[key]?.length) Object.assign(draft, { [key]: api[key] });
    if (api.today) draft.today = api.today;
    draft.source = "gateway";
    return;
  }
  if (res.status !== 404) throw new CliFailure(`GET /api/v1/status answered ${res.status}`);
  const since = startOfToday();
  const [channels, inFlight, failed, usage, ready] = await Promise.all([
    client.request("/api/v1/channels").then((r) => r.json() as Promise<{ channels?: Array<{ channel: string; account: string; state: string; detail?: string }> }>),
    client.request("/api/v1/runs?status=pending,running&limit=50").then((r) => r.json() as Promise<{ data?: Run[] }>),
    client.request("/api/v1/runs?status=failed&limit=3").then((r) => r.json() as Promise<{ data?: Run[] }>),
    client.request(`/api/v1/usage?since=${since}`).then((r) => r.json() as Promise<{ total?: { inputTokens: number; outputTokens: number; costUsd: number } }>),
    fetch(`${client.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.json() as Promise<{ checks?: Record<string, string> }>),
  ]);
  const running = new Map((channels.channels ?? []).map((c) => [`${c.channel}/${c.account}`, c]));
  draft.channels = draft.channels.map((c) => {
    const live = running.get(`${c.channel}/${c.account}`);
    return live ? { ...c, state: live.state, ...(live.detail ? { lastError: live.detail } : {}) } : c.state === "disabled" ? c : { ...c, state: "starting" };
  });
  draft.runsInFlight = (inFlight.data ?? []).map(toInFlight);
  draft.lastErrors = (failed.data ?? []).filter((r) => r.finishedAt !== undefined && r.finishedAt >= since).map(toLastError);
  if (usage.total) draft.today = { tokens: usage.total.inputTokens + usage.total.outputTokens, costUsd: usage.total.costUsd };
  const providers = ready.checks?.providers;
  // /readyz checks the default agent's model in the gateway's own environment (which may differ from this shell's).
  const model = loaded ? `${defaultAgentOf(loaded).model} (default agent)` : "the default agent's model";
  if (providers !== undefined) draft.models = [{ id: model, ok: providers === "ok", checked: "credential", ...(providers === "ok" ? {} : { error: providers }) }];
  draft.source = "gateway+store";
}

/** The configured accounts, each `not running` (or `disabled`) until the gateway says otherwise. */
function configuredChannels(loaded: LoadedConfig): Draft["channels"] {
  return CHANNEL_NAMES.flatMap((channel) =>
    Object.entries((loaded.config.channels[channel]?.accounts ?? {}) as Record<string, { enabled: boolean }>).map(([account, cfg]) => ({
      channel, account, state: cfg.enabled ? "not running" : "disabled",
    })),
  );
}

/** Without a gateway: whether each provider of the default agent's model has a credential (no call is made). */
async function localModels(loaded: LoadedConfig): Promise<Draft["models"]> {
  const [{ resolveCandidates }, { resolveCredential }, { loadAuthStore }] = await Promise.all([
    import("../models/model-candidates.ts"), import("../models/credentials.ts"), import("../models/auth-store.ts"),
  ]);
  const ref = defaultAgentOf(loaded).model;
  if (ref === "default" && !loaded.config.models.tiers.default) return [];
  let candidates;
  try {
    candidates = resolveCandidates(loaded.config.models, ref);
  } catch (err) {
    return [{ id: ref, ok: false, checked: "credential", error: err instanceof Error ? err.message : String(err) }];
  }
  const authStore = await loadAuthStore(loaded.stateDir).catch(() => ({}));
  return candidates.map((c) => {
    try {
      resolveCredential({ ...c, env: process.env, authStore, where: c.origin });
      return { id: c.ref, ok: true, checked: "credential" as const };
    } catch (err) {
      return { id: c.ref, ok: false, checked: "credential" as const, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** Today's usage, runs left in flight and today's failures from the SQLite file, read as it is (never created or
 * migrated here). PostgreSQL is not contacted: that would make a stopped gateway's status slow. */
async function fromStore(loaded: LoadedConfig, draft: Draft, opts: { inFlight: boolean }): Promise<void> {
  const url = loaded.config.store.url;
  if (url && url !== "sqlite") return;
  const path = join(loaded.stateDir, "pincer.db");
  if (!(await access(path).then(() => true, () => false))) {
    draft.today = { tokens: 0, costUsd: 0 };
    return;
  }
  const { openSqliteStore } = await import("../store/sqlite-store.ts");
  let store: Store | undefined;
  try {
    store = await openSqliteStore({ path, migrate: false });
    const since = startOfToday();
    const [usage, inFlight, failed] = await Promise.all([
      store.usage.totals({ since }),
      opts.inFlight ? store.runs.list({ status: ["pending", "running"], limit: 50 }) : Promise.resolve([]),
      store.runs.list({ status: ["failed"], limit: 3 }),
    ]);
    draft.today = usage.reduce((t, u) => ({ tokens: t.tokens + u.inputTokens + u.outputTokens, costUsd: t.costUsd + u.costUsd }), { tokens: 0, costUsd: 0 });
    if (opts.inFlight) draft.runsInFlight = inFlight.map(toInFlight);
    draft.lastErrors = failed.filter((r) => r.finishedAt !== undefined && r.finishedAt >= since).map(toLastError);
  } catch (err) {
    draft.gateway.note = `${draft.gateway.note ? `${draft.gateway.note}; ` : ""}the store could not be read: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await store?.close();
  }
}

const toInFlight = (r: Run): Draft["runsInFlight"][number] => ({ id: r.id, sessionKey: r.sessionKey, status: r.status, ...(r.startedAt ? { startedAt: r.startedAt } : {}) });
const toLastError = (r: Run): Draft["lastErrors"][number] => ({ ...(r.finishedAt ? { at: r.finishedAt } : {}), message: `run ${r.id} failed${r.errorCode ? ` (${r.errorCode})` : ""}: ${r.error ?? "no details"}` });

/** The agent that answers what no binding routes elsewhere: `default`, else the first. */
function defaultAgentOf(loaded: LoadedConfig): { model: string } {
  return ownEntry(loaded.config.agents, "default") ?? Object.values(loaded.config.agents)[0] ?? { model: "default" };
}

/** Local midnight, epoch ms. */
function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
