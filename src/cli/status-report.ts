// `pincer status` as data and as one screen: the report's shape, the reading of the gateway's GET /api/v1/status
// (tolerant: any field may be missing), the next steps it suggests, and the text rendering. Pure.

export interface StatusReport {
  gateway: {
    running: boolean;
    /** Where it runs, or where it would listen. */
    url: string | null;
    pid?: number;
    version?: string;
    uptimeSec?: number;
    dashboardUrl?: string;
    /** Why it counts as not running, or why only part of its status could be read. */
    note?: string;
  };
  config: { file: string; ok: boolean; error?: string };
  /** Per provider: a live probe (gateway) or whether a credential is there (local). */
  models: Array<{ id: string; ok: boolean; latencyMs?: number; error?: string; checked: "probe" | "credential" }>;
  channels: Array<{ channel: string; account: string; state: string; lastError?: string }>;
  runsInFlight: Array<{ id: string; sessionKey?: string; status?: string; startedAt?: number }>;
  today: { tokens: number; costUsd: number } | null;
  lastErrors: Array<{ at?: number; message: string }>;
  /** Where the numbers came from: `gateway` (its status API), `gateway+store`, or `local` (config and state dir). */
  source: "gateway" | "gateway+store" | "local";
  next: string[];
}

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Reads the parts of a GET /api/v1/status answer into the report; unknown or missing fields are skipped. */
export function readApiStatus(body: unknown): Partial<Omit<StatusReport, "gateway">> & { gateway: Partial<StatusReport["gateway"]> } {
  const b = isObject(body) ? body : {};
  const today = isObject(b.today) ? b.today : undefined;
  const uptime = num(b.uptimeSec) ?? num(b.uptime) ?? (num(b.uptimeMs) === undefined ? undefined : num(b.uptimeMs)! / 1000);
  return {
    gateway: { ...(str(b.version) ? { version: str(b.version) } : {}), ...(uptime !== undefined ? { uptimeSec: Math.round(uptime) } : {}), ...(str(b.dashboardUrl) ? { dashboardUrl: str(b.dashboardUrl) } : {}) },
    // `models` (one entry per provider: ProviderReachability); `providers` from gateways that named it so.
    models: list(b.models ?? b.providers).flatMap((p) => {
      const id = str(p.provider) ?? str(p.id);
      if (!id) return [];
      const latencyMs = num(p.latencyMs);
      const error = str(p.error) ?? (isObject(p.error) ? [str(p.error.message), str(p.error.fix) && `Fix: ${str(p.error.fix)}`].filter(Boolean).join(". ") || undefined : undefined);
      return [{ id, ok: p.ok === true, checked: "probe" as const, ...(latencyMs !== undefined ? { latencyMs } : {}), ...(error ? { error } : {}) }];
    }),
    channels: list(b.channels).flatMap((c) => {
      const channel = str(c.channel);
      const account = str(c.account);
      if (!channel || !account) return [];
      const lastError = str(c.lastError) ?? (isObject(c.lastError) ? str(c.lastError.message) : undefined) ?? str(c.detail);
      return [{ channel, account, state: str(c.state) ?? "unknown", ...(lastError ? { lastError } : {}) }];
    }),
    runsInFlight: list(b.runsInFlight ?? (isObject(b.runs) ? b.runs.inFlight : undefined)).flatMap((r) => {
      const id = str(r.id) ?? str(r.runId);
      if (!id) return [];
      const sessionKey = str(r.sessionKey) ?? str(r.session);
      const startedAt = num(r.startedAt) ?? num(r.since);
      return [{ id, ...(sessionKey ? { sessionKey } : {}), ...(str(r.status) ? { status: str(r.status) } : {}), ...(startedAt !== undefined ? { startedAt } : {}) }];
    }),
    ...(today ? { today: { tokens: num(today.tokens) ?? (num(today.inputTokens) ?? 0) + (num(today.outputTokens) ?? 0), costUsd: num(today.costUsd) ?? 0 } } : {}),
    lastErrors: (Array.isArray(b.lastErrors) ? b.lastErrors : Array.isArray(b.errors) ? b.errors : []).flatMap((e: unknown) => {
      if (typeof e === "string") return [{ message: e }];
      if (!isObject(e)) return [];
      const message = str(e.message) ?? str(e.error) ?? str(e.code);
      const at = num(e.at) ?? num(e.time);
      return message ? [{ message, ...(at !== undefined ? { at } : {}) }] : [];
    }),
  };
}

/** What to do next, most pressing first. */
export function suggestNext(r: Omit<StatusReport, "next">): string[] {
  const next: string[] = [];
  if (!r.config.ok) next.push(`fix ${r.config.file} (${r.config.error?.split("\n")[0] ?? "invalid"}), then 'pincer config validate'`);
  const noModel = r.models.length === 0 && r.config.ok;
  if (noModel) next.push("set up a model: pincer onboard");
  for (const m of r.models.filter((m) => !m.ok)) next.push(`model provider ${m.id}: ${m.error ?? "not reachable"}`);
  if (!r.gateway.running) next.push("start the gateway: pincer gateway (or 'pincer gateway install' to keep it running)");
  for (const c of r.channels.filter((c) => c.state === "failed")) next.push(`channel ${c.channel}/${c.account} failed${c.lastError ? `: ${c.lastError}` : ""} — check it with 'pincer channels status --probe'`);
  if (r.config.ok && r.channels.length === 0) next.push("reach the agent from a chat app: pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN");
  if (r.gateway.running) next.push("open the dashboard: pincer dashboard");
  return next;
}

export function renderStatus(r: StatusReport, now: number): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => void lines.push(`${label.padEnd(9)} ${text}`);
  const more = (text: string): void => void lines.push(`${" ".repeat(10)}${text}`);
  const g = r.gateway;
  if (g.running) {
    const facts = [g.pid ? `pid ${g.pid}` : "", g.uptimeSec !== undefined ? `up ${formatAge(g.uptimeSec * 1000)}` : "", g.version ? `v${g.version}` : ""].filter(Boolean);
    row("gateway", `running at ${g.url}${facts.length ? ` (${facts.join(", ")})` : ""}`);
  } else {
    row("gateway", `not running${g.url ? ` (would listen at ${g.url})` : ""}`);
  }
  if (g.note) more(g.note);
  row("config", r.config.ok ? r.config.file : `INVALID: ${r.config.error?.split("\n")[0] ?? ""}`);
  if (r.models.length === 0) row("models", r.config.ok ? "none configured" : "unknown (the config does not load)");
  r.models.forEach((m, i) => {
    const how = m.checked === "probe" ? (m.ok ? `reachable${m.latencyMs !== undefined ? `, ${m.latencyMs} ms` : ""}` : `NOT reachable: ${m.error ?? "no answer"}`) : m.ok ? "credential set (not probed: the gateway is not running)" : `NOT ready: ${m.error ?? "no credential"}`;
    (i === 0 ? (t: string) => row("models", t) : more)(`${m.id}: ${how}`);
  });
  if (r.channels.length === 0) row("channels", "none configured");
  r.channels.forEach((c, i) => (i === 0 ? (t: string) => row("channels", t) : more)(`${c.channel}/${c.account}: ${c.state}${c.lastError ? ` (${c.lastError})` : ""}`));
  if (r.runsInFlight.length === 0) row("runs", g.running ? "none in flight" : "none left in flight");
  else {
    row("runs", `${r.runsInFlight.length} in flight${g.running ? "" : " when the gateway stopped (resumed at its next start)"}`);
    for (const run of r.runsInFlight.slice(0, 5)) more(`${run.id}${run.sessionKey ? ` ${run.sessionKey}` : ""}${run.startedAt ? `, for ${formatAge(now - run.startedAt)}` : ""}`);
  }
  row("today", r.today ? `${r.today.tokens.toLocaleString("en-US")} tokens, $${r.today.costUsd.toFixed(4)}` : "unknown (the store was not read)");
  if (r.lastErrors.length > 0) {
    r.lastErrors.slice(0, 3).forEach((e, i) => (i === 0 ? (t: string) => row("errors", t) : more)(`${e.at ? `${formatAge(now - e.at)} ago: ` : ""}${e.message.split("\n")[0]}`));
  }
  if (g.dashboardUrl) row("web", g.dashboardUrl);
  r.next.forEach((n, i) => (i === 0 ? (t: string) => row("next", t) : more)(n));
  return `${lines.join("\n")}\n`;
}

/** `3 s`, `5 min`, `2 h 10 min`, `3 d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d`;
}
