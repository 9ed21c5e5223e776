// The Runs page: every run with its status, session, model, duration, tokens, cost, tool calls and error code, filtered
// and paged by the server (GET /api/v1/runs) and kept live by the runs stream (GET /api/v1/runs/stream). `#/runs/<id>`
// shows one run: its details and its events (input, text, tool calls with arguments, result and audit decision).
import { html, loadStylesheet, useEffect, useRef, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import * as ws from "../lib/ws.js";
import { openEventStream } from "../lib/sse.js";
import { Badge, EmptyState, ErrorBanner, Fields, JsonBlock, Markdown, Pager, Spinner, StatusPill, Table, TextFilter, TimeRangeSelect, rangeStart } from "../lib/components.js";
import { formatDuration, formatRelative, formatTime, formatTokens, formatUsageCost, parseSessionKey } from "../lib/format.js";

loadStylesheet("/ui/pages/runs.css");

const PAGE_SIZE = 50;
const STATUSES = [
  ["", "Any status"],
  ["running", "Running"],
  ["pending", "Waiting"],
  ["succeeded", "Done"],
  ["failed", "Failed"],
  ["cancelled", "Stopped"],
  ["interrupted", "Interrupted"],
];
const FILTERS = ["status", "agent", "model", "range"];

export default function Page({ route, navigate }) {
  if (route.rest) {
    let id;
    try {
      id = decodeURIComponent(route.rest);
    } catch {
      return html`<section class="page"><${EmptyState} title="There is no such run."><a href="#/runs">All runs</a><//></section>`;
    }
    return html`<${RunDetail} key=${id} id=${id} />`;
  }
  return html`<${RunList} query=${route.query} navigate=${navigate} />`;
}

/** "telegram · 12345" for a session key, the key itself when it has another shape. */
function sessionLabel(key) {
  const parts = parseSessionKey(key);
  return parts ? `${parts.channel} · ${parts.peer}` : key;
}

const totalTokens = (usage) => (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);

/** Whether a run (as the stream sends it) belongs in the list under these filters. */
function matches(run, filters) {
  if (filters.status && run.status !== filters.status) return false;
  if (filters.agent && run.agentId !== filters.agent) return false;
  if (filters.model && run.model !== filters.model) return false;
  const since = rangeStart(filters.range);
  return since === undefined || run.createdAt >= since;
}

function RunList({ query, navigate }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ""]));
  const filterKey = FILTERS.map((k) => filters[k]).join("\u0000");
  // `before` of each page visited (the last is the current one), for the filters they were visited with.
  const [paging, setPaging] = useState({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const before = cursors.at(-1);
  const [state, setState] = useState({ loading: true, error: undefined, rows: [], next: null });
  const [attempt, setAttempt] = useState(0);
  const [live, setLive] = useState({ state: "connecting", message: "" });
  const [options, setOptions] = useState({ agents: [], models: [] });
  const view = useRef({ filters, firstPage: true, wasDown: false });
  view.current.filters = filters;
  view.current.firstPage = cursors.length === 1;

  useEffect(() => {
    let current = true;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const k of ["status", "agent", "model"]) if (filters[k]) params.set(k, filters[k]);
    const since = rangeStart(filters.range);
    if (since !== undefined) params.set("since", String(since));
    if (before) params.set("before", before);
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get(`/runs?${params}`).then(
      (res) => current && setState({ loading: false, error: undefined, rows: res.data ?? [], next: res.next ?? null }),
      (err) => current && setState({ loading: false, error: err, rows: [], next: null }),
    );
    return () => (current = false);
  }, [filterKey, before, cursors.length, attempt]);

  // Live: a run that starts or finishes updates its row, or joins the first page when it matches the filters.
  useEffect(() => openEventStream("/runs/stream", {
    onState: (s, message = "") => {
      // Back after a break: events may have been missed, so the page is read again.
      if (s === "open" && view.current.wasDown) setAttempt((n) => n + 1);
      view.current.wasDown = s === "retrying" || view.current.wasDown && s === "connecting";
      setLive({ state: s, message });
    },
    onEvent: ({ event, data }) => {
      if ((event !== "run.started" && event !== "run.finished") || !data || typeof data.id !== "string") return;
      setState((s) => {
        const at = s.rows.findIndex((r) => r.id === data.id);
        if (at >= 0) return { ...s, rows: s.rows.map((r, i) => (i === at ? data : r)) };
        if (!view.current.firstPage || !matches(data, view.current.filters)) return s;
        const rows = [data, ...s.rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).slice(0, PAGE_SIZE);
        return { ...s, rows };
      });
    },
  }), []);

  // Agents and models to pick from: the configured ones (secrets redacted by the server).
  useEffect(() => {
    api.get("/config").then((config) => setOptions(configOptions(config)), () => undefined);
  }, []);

  const setFilter = (key, value) => {
    const params = new URLSearchParams(query);
    if (value) params.set(key, value);
    else params.delete(key);
    const qs = params.toString();
    navigate(`runs${qs ? `?${qs}` : ""}`, { replace: true });
  };
  const filtered = FILTERS.some((k) => filters[k]);

  const columns = [
    { key: "status", label: "Status", render: (r) => html`<${StatusPill} status=${r.status} />` },
    { key: "createdAt", label: "Started", render: (r) => html`<time title=${formatTime(r.createdAt)}>${formatRelative(r.createdAt)}</time>` },
    { key: "sessionKey", label: "Session", render: (r) => html`<span class="run-session" title=${r.sessionKey}>${sessionLabel(r.sessionKey)}</span>` },
    { key: "agentId", label: "Agent" },
    { key: "model", label: "Model", render: (r) => r.model ?? html`<span class="muted">—</span>` },
    { key: "durationMs", label: "Duration", align: "right", render: (r) => (r.durationMs === null || r.durationMs === undefined ? (r.status === "running" ? html`<${Spinner} label="running" />` : "—") : formatDuration(r.durationMs)) },
    { key: "tokens", label: "Tokens", align: "right", value: (r) => totalTokens(r.usage), render: (r) => html`<span title=${`${r.usage?.inputTokens ?? 0} in · ${r.usage?.outputTokens ?? 0} out · ${r.usage?.cachedTokens ?? 0} cached`}>${formatTokens(totalTokens(r.usage))}</span>` },
    { key: "cost", label: "Cost", align: "right", value: (r) => r.usage?.costUsd ?? 0, render: (r) => formatUsageCost(r.usage) || "—" },
    { key: "toolCalls", label: "Tools", align: "right", render: (r) => String(r.toolCalls ?? 0) },
    { key: "errorCode", label: "Error", render: (r) => (r.errorCode ? html`<${Badge} tone="error" title=${r.error ?? ""}>${r.errorCode}<//>` : "") },
  ];

  return html`<section class="page runs-page">
    <form class="filters" role="search" aria-label="Filter runs" onSubmit=${(e) => e.preventDefault()}>
      <label>Status
        <select name="status" value=${filters.status} onChange=${(e) => setFilter("status", e.currentTarget.value)}>
          ${STATUSES.map(([value, label]) => html`<option value=${value} key=${value}>${label}</option>`)}
        </select>
      </label>
      <${TextFilter} label="Agent" name="agent" list="run-agents" value=${filters.agent} onCommit=${(v) => setFilter("agent", v)} />
      <${TextFilter} label="Model" name="model" list="run-models" value=${filters.model} onCommit=${(v) => setFilter("model", v)} />
      <${TimeRangeSelect} value=${filters.range} onChange=${(v) => setFilter("range", v)} />
      <datalist id="run-agents">${options.agents.map((a) => html`<option value=${a} key=${a} />`)}</datalist>
      <datalist id="run-models">${options.models.map((m) => html`<option value=${m} key=${m} />`)}</datalist>
      ${filtered ? html`<button type="button" class="ghost small" onClick=${() => navigate("runs", { replace: true })}>Clear filters</button>` : null}
      <span class="runs-live" data-state=${live.state} title=${live.message}>${LIVE_TEXT[live.state] ?? live.state}</span>
    </form>
    ${live.state === "failed" ? html`<div class="banner warn" role="status"><span>Live updates are off: ${live.message}</span></div>` : null}
    ${state.error
      ? html`<${ErrorBanner} error=${state.error} onRetry=${() => setAttempt((n) => n + 1)} />`
      : state.loading && state.rows.length === 0
        ? html`<div class="page-loading"><${Spinner} label="Loading runs…" /></div>`
        : html`<div class=${state.loading ? "reloading" : ""}>
            <${Table} caption="Runs" columns=${columns} rows=${state.rows} rowKey=${(r) => r.id}
              onRowClick=${(r) => navigate(`runs/${seg(r.id)}`)}
              empty=${filtered ? "No runs match these filters." : "No runs yet. Send a message in Chat or on a channel and it shows up here."} />
            <${Pager} page=${cursors.length} hasOlder=${Boolean(state.next)} busy=${state.loading}
              onNewer=${() => setPaging({ key: filterKey, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors })}
              onOlder=${() => state.next && setPaging({ key: filterKey, cursors: [...cursors, state.next] })} />
          </div>`}
  </section>`;
}

const LIVE_TEXT = { connecting: "connecting…", open: "live", retrying: "reconnecting…", failed: "not live" };

/** Agent ids and `provider/model` names from the effective config, for the filters' suggestions. */
function configOptions(config) {
  const agents = Object.keys(config?.agents ?? {});
  const models = new Set();
  for (const tier of Object.values(config?.models?.tiers ?? {})) {
    if (typeof tier?.primary === "string") models.add(tier.primary);
    for (const m of Array.isArray(tier?.fallbacks) ? tier.fallbacks : []) if (typeof m === "string") models.add(m);
  }
  return { agents: agents.sort(), models: [...models].sort() };
}

const ACTIVE = new Set(["pending", "running"]);

function RunDetail({ id }) {
  const [state, setState] = useState({ loading: true, error: undefined, run: undefined });
  const [attempt, setAttempt] = useState(0);
  const reload = () => setAttempt((n) => n + 1);

  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api.get(`/runs/${seg(id)}`).then(
      (run) => current && setState({ loading: false, error: undefined, run }),
      (err) => current && setState((s) => ({ loading: false, error: err, run: s.run })),
    );
    return () => (current = false);
  }, [id, attempt]);

  const active = state.run && ACTIVE.has(state.run.status);
  const session = state.run?.sessionKey;
  // While the run is in flight: follow its session over /ws and reload on each tool call and at the end.
  useEffect(() => {
    if (!active || !session) return undefined;
    let timer;
    const soon = (frame) => {
      if (frame.runId !== id) return;
      clearTimeout(timer);
      timer = setTimeout(reload, frame.type === "run.final" ? 0 : 250);
    };
    const attach = () => void ws.request({ type: "sessions.history", session, limit: 1 });
    const offs = [ws.on("run.tool_start", soon), ws.on("run.tool_end", soon), ws.on("run.final", soon), ws.onState((s) => s === "open" && attach())];
    if (ws.connState() === "open") attach();
    // The runs stream too, in case the run finishes on another process or the socket is down.
    const close = openEventStream("/runs/stream", { onEvent: ({ event, data }) => event === "run.finished" && data?.id === id && reload() });
    return () => {
      clearTimeout(timer);
      close();
      for (const off of offs) off();
    };
  }, [active, session, id]);

  const { run, error, loading } = state;
  if (!run) {
    if (loading) return html`<section class="page"><div class="page-loading"><${Spinner} label="Loading the run…" /></div></section>`;
    return html`<section class="page">
      <p><a href="#/runs">← All runs</a></p>
      ${error?.status === 404
        ? html`<${EmptyState} title="There is no such run.">It may have been removed with its session. <a href="#/runs">All runs</a><//>`
        : html`<${ErrorBanner} error=${error} onRetry=${reload} />`}
    </section>`;
  }
  const events = Array.isArray(run.events) ? run.events : [];
  const tools = events.filter((e) => e.type === "tool");
  return html`<section class="page run-detail">
    <p class="run-crumbs"><a href="#/runs">← All runs</a></p>
    <header class="run-head">
      <h2><${StatusPill} status=${run.status} /> <span class="mono">${run.id}</span></h2>
      ${loading ? html`<${Spinner} label="Refreshing…" />` : null}
    </header>
    ${error ? html`<${ErrorBanner} error=${error} onRetry=${reload} />` : null}
    ${run.errorCode || run.error
      ? html`<div class="banner error run-error" role="alert"><span><strong>${run.errorCode ?? "error"}</strong>${run.error ? `: ${run.error}` : ""}</span></div>`
      : null}
    <div class="card run-fields">
      <${Fields} items=${[
        ["Session", html`<a href=${`#/sessions/${seg(run.sessionKey)}`} title=${run.sessionKey}>${sessionLabel(run.sessionKey)}</a>`],
        ["Agent", run.agentId],
        ["Model", run.model ?? "—"],
        ["Started", html`<time title=${formatTime(run.startedAt ?? run.createdAt)}>${formatRelative(run.startedAt ?? run.createdAt)}</time>`],
        ["Duration", run.durationMs === null || run.durationMs === undefined ? (active ? "running…" : "—") : formatDuration(run.durationMs)],
        ["Tokens", `${formatTokens(run.usage?.inputTokens ?? 0)} in · ${formatTokens(run.usage?.outputTokens ?? 0)} out · ${formatTokens(run.usage?.cachedTokens ?? 0)} cached`],
        ["Cost", formatUsageCost(run.usage) || "—"],
        ["Tool calls", String(run.toolCalls ?? tools.length)],
        ["Attempts", run.attempt > 1 ? String(run.attempt) : ""],
        ["Parent run", run.parentRunId ? html`<a href=${`#/runs/${seg(run.parentRunId)}`}>${run.parentRunId}</a>` : ""],
      ]} />
    </div>
    <h3>Events</h3>
    ${events.length === 0
      ? html`<${EmptyState} title=${active ? "Nothing recorded yet." : "This run recorded no events."}>${run.input ? html`Input: ${run.input}` : null}<//>`
      : html`<ol class="run-events">${events.map((e, i) => html`<li key=${e.type === "tool" ? e.callId || i : i} class=${`run-event run-event-${e.type}`}><${EventView} event=${e} /></li>`)}</ol>`}
    ${!active && run.reply && !events.some((e) => e.type === "text")
      ? html`<h3>Reply</h3><div class="card"><${Markdown} text=${run.reply} /></div>`
      : null}
  </section>`;
}

const TOOL_STATUS = { ok: ["ok", "ok"], error: ["error", "error"], no_result: ["warn", "no result"] };

function EventView({ event }) {
  if (event.type === "input") {
    return html`<div class="run-event-head"><${Badge}>input<//><time class="muted" title=${formatTime(event.at)}>${formatRelative(event.at)}</time></div>
      <p class="run-input-text">${event.text}</p>`;
  }
  if (event.type === "text") {
    return html`<div class="run-event-head"><${Badge} tone="info">answer<//><time class="muted" title=${formatTime(event.at)}>${formatRelative(event.at)}</time></div>
      <${Markdown} text=${event.text} />`;
  }
  if (event.type === "tool") {
    const [tone, label] = TOOL_STATUS[event.status] ?? ["neutral", event.status];
    return html`<details class="run-tool" open>
      <summary>
        <span class="run-tool-name mono">${event.name}</span>
        ${event.decision ? html`<${Badge} tone=${event.decision === "deny" ? "error" : "ok"} title=${event.reason ?? ""}>${event.decision === "deny" ? "denied" : "allowed"}<//>` : html`<${Badge} title="No audit record was found for this call">not audited<//>`}
        ${event.decision === "deny" ? null : html`<${Badge} tone=${tone}>${label}<//>`}
        ${event.durationMs !== null && event.durationMs !== undefined ? html`<span class="muted">${formatDuration(event.durationMs)}</span>` : null}
      </summary>
      ${event.reason ? html`<p class="run-tool-reason muted">Decision: ${event.reason}</p>` : null}
      <div class="run-tool-io">
        <div><h4>Arguments</h4><${JsonBlock} value=${event.args ?? {}} class="run-tool-args" /></div>
        <div><h4>Result</h4>${event.result === null || event.result === undefined
          ? html`<p class="muted">${event.status === "no_result" ? "No result was recorded (the run was cut off)." : "—"}</p>`
          : html`<${JsonBlock} value=${event.result} class=${`run-tool-result ${event.status === "error" ? "is-error" : ""}`} />`}</div>
      </div>
    </details>`;
  }
  return html`<${JsonBlock} value=${event} />`;
}
