// The Overview page (landing page): the gateway at a glance from GET /api/v1/status — version and uptime, each model
// provider's live reachability with its latency (and "Probe again"), channel accounts and their state, runs in flight,
// today's tokens and cost, the latest errors, and the dashboard link. Refreshed when a run starts or finishes.
import { html, loadStylesheet, useEffect, useRef, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { openEventStream } from "../lib/sse.js";
import { Badge, CopyButton, ErrorBanner, Spinner, StatusPill } from "../lib/components.js";
import { formatCost, formatDuration, formatRelative, formatTime, formatTokens, parseSessionKey } from "../lib/format.js";

loadStylesheet("/ui/pages/overview.css");

/** The status is read again this often while the page is open (the server caches provider probes for 30 s). */
const REFRESH_MS = 30_000;

export default function Page() {
  const [state, setState] = useState({ loading: true, error: undefined, status: undefined });
  const [probing, setProbing] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const timer = useRef();

  const load = (probe = false) => {
    if (probe) setProbing(true);
    return api.get(`/status${probe ? "?probe=1" : ""}`).then(
      (status) => setState({ loading: false, error: undefined, status }),
      (err) => setState((s) => ({ loading: false, error: err, status: s.status })),
    ).finally(() => probe && setProbing(false));
  };

  useEffect(() => {
    let live = true;
    const tick = () => {
      if (!live) return;
      void load().finally(() => live && (timer.current = setTimeout(tick, REFRESH_MS)));
    };
    tick();
    return () => {
      live = false;
      clearTimeout(timer.current);
    };
  }, [attempt]);

  // Runs starting and finishing change "runs in flight", today's usage and the errors: read the status again, at most
  // once a second.
  useEffect(() => {
    let pending;
    const close = openEventStream("/runs/stream", {
      onEvent: ({ event }) => {
        if (event !== "run.started" && event !== "run.finished") return;
        pending ??= setTimeout(() => {
          pending = undefined;
          void load();
        }, 1000);
      },
    });
    return () => {
      clearTimeout(pending);
      close();
    };
  }, []);

  const { status, error, loading } = state;
  if (!status) {
    if (loading) return html`<section class="page"><div class="page-loading"><${Spinner} label="Loading the overview…" /></div></section>`;
    return html`<section class="page"><${ErrorBanner} error=${error} onRetry=${() => setAttempt((n) => n + 1)} /></section>`;
  }
  return html`<section class="page overview">
    ${error ? html`<${ErrorBanner} error=${`Could not refresh: ${error.message}`} onRetry=${() => void load()} />` : null}
    <div class="overview-grid">
      <${GatewayCard} status=${status} />
      <${TodayCard} today=${status.today} />
      <${ModelsCard} status=${status} probing=${probing} onProbe=${() => void load(true)} />
      <${ChannelsCard} channels=${status.channels ?? []} />
      <${RunsCard} runs=${status.runs?.inFlight ?? []} />
      <${ErrorsCard} errors=${status.errors ?? []} />
    </div>
  </section>`;
}

function Card({ title, id, action, children, wide = false }) {
  return html`<section class=${`card ov-card${wide ? " wide" : ""}`} aria-labelledby=${id}>
    <header class="ov-card-head"><h2 id=${id}>${title}</h2>${action ?? null}</header>
    ${children}
  </section>`;
}

/** Uptime that counts on between refreshes. */
function Uptime({ startedAt }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return html`<span title=${`since ${formatTime(startedAt)}`}>${formatDuration(Math.max(0, now - startedAt))}</span>`;
}

function GatewayCard({ status }) {
  const model = status.defaultModel;
  return html`<${Card} title="Gateway" id="ov-gateway">
    <dl class="ov-facts">
      <div><dt>Version</dt><dd>${status.version}</dd></div>
      <div><dt>Up for</dt><dd id="ov-uptime"><${Uptime} startedAt=${status.startedAt} /></dd></div>
      ${model ? html`<div><dt>Default model</dt><dd>
        <span class="mono">${model.ref}</span> ${model.ok ? html`<${Badge} tone="ok">ready<//>` : html`<${Badge} tone="error">not usable<//>`}
        ${model.problem ? html`<p class="ov-problem">${model.problem}</p>` : null}
      </dd></div>` : null}
    </dl>
    <div class="ov-link">
      <span class="muted">Dashboard</span>
      <a href=${status.dashboardUrl} class="mono" id="ov-dashboard-url">${status.dashboardUrl}</a>
      <${CopyButton} text=${status.dashboardUrl} label="Copy link" />
    </div>
    <p class="muted ov-hint">Open it in another browser with <code>pincer dashboard</code>, which prints a one-time login link.</p>
  <//>`;
}

function TodayCard({ today }) {
  if (!today) return null;
  const tokens = (today.inputTokens ?? 0) + (today.outputTokens ?? 0);
  const cost = today.costKnown === false || (today.costUsd === 0 && tokens > 0) ? "unknown" : formatCost(today.costUsd ?? 0);
  return html`<${Card} title="Today" id="ov-today" action=${html`<a class="ov-more" href="#/usage">Usage →</a>`}>
    <div class="ov-stats">
      <div class="ov-stat"><span class="ov-num" id="ov-tokens">${formatTokens(tokens)}</span><span class="muted">tokens</span></div>
      <div class="ov-stat"><span class="ov-num" id="ov-cost">${cost}</span><span class="muted">cost</span></div>
      <div class="ov-stat"><span class="ov-num">${String(today.calls ?? 0)}</span><span class="muted">model calls</span></div>
    </div>
    <p class="muted ov-hint">${formatTokens(today.inputTokens ?? 0)} in · ${formatTokens(today.outputTokens ?? 0)} out · ${formatTokens(today.cachedTokens ?? 0)} cached${today.date ? ` · ${today.date}` : ""}</p>
    ${(today.byModel ?? []).length > 1
      ? html`<ul class="ov-list compact">${today.byModel.map((m) => html`<li key=${m.model}><span class="mono">${m.model}</span><span>${formatTokens((m.inputTokens ?? 0) + (m.outputTokens ?? 0))}</span></li>`)}</ul>`
      : null}
  <//>`;
}

function ModelsCard({ status, probing, onProbe }) {
  const models = status.models ?? [];
  return html`<${Card} title="Models" id="ov-models" wide
    action=${html`<button type="button" class="small" onClick=${onProbe} disabled=${probing}>${probing ? "Probing…" : "Probe again"}</button>`}>
    ${models.length === 0
      ? html`<p class="muted">No model provider is configured. Run <code>pincer onboard</code> or add one under <code>models.providers</code> in pincer.yaml.</p>`
      : html`<ul class="ov-list" aria-label="Model providers">${models.map((p) => html`<li key=${p.provider} class="ov-provider" data-provider=${p.provider} data-checked-at=${p.checkedAt}>
          <div class="ov-row">
            <strong>${p.provider}</strong>
            ${p.ok ? html`<${StatusPill} status="ok" label="reachable" />` : html`<${StatusPill} status="error" label=${p.error?.code ? `unreachable: ${p.error.code}` : "unreachable"} />`}
            ${p.latencyMs !== null && p.latencyMs !== undefined ? html`<span class="ov-latency">${Math.round(p.latencyMs)} ms</span>` : null}
            <span class="muted ov-when" title=${formatTime(p.checkedAt)}>checked ${formatRelative(p.checkedAt)}</span>
          </div>
          ${(p.models ?? []).length ? html`<div class="muted ov-models">${p.models.join(", ")}</div>` : null}
          ${(p.unlisted ?? []).length ? html`<div class="ov-problem">Not in the provider's model list: ${p.unlisted.join(", ")}</div>` : null}
          ${p.error ? html`<div class="ov-problem">${p.error.message}${p.error.fix ? html`<br /><span class="muted">Fix: ${p.error.fix}</span>` : null}</div>` : null}
        </li>`)}</ul>`}
  <//>`;
}

function ChannelsCard({ channels }) {
  return html`<${Card} title="Channels" id="ov-channels" action=${html`<a class="ov-more" href="#/channels">Channels →</a>`}>
    ${channels.length === 0
      ? html`<p class="muted">No chat channel is set up. Add one with <code>pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN</code> and restart the gateway; WebChat works without one.</p>`
      : html`<ul class="ov-list" aria-label="Channel accounts">${channels.map((a) => html`<li key=${`${a.channel}/${a.account}`} class="ov-channel" data-account=${`${a.channel}/${a.account}`}>
          <div class="ov-row">
            <strong>${a.channel}/${a.account}</strong>
            <${StatusPill} status=${a.state} />
            ${a.identity ? html`<span class="muted">${a.identity}</span>` : null}
            ${a.inbound ? html`<span class="muted ov-when">${a.inbound.total} in</span>` : null}
          </div>
          ${a.detail ? html`<div class="muted">${a.detail}</div>` : null}
          ${a.lastError ? html`<div class="ov-problem" title=${formatTime(a.lastError.at)}>${a.lastError.message}</div>` : null}
        </li>`)}</ul>`}
  <//>`;
}

function sessionLabel(key) {
  const parts = parseSessionKey(key);
  return parts ? `${parts.channel} · ${parts.peer}` : key;
}

function RunsCard({ runs }) {
  return html`<${Card} title=${`Runs in flight (${runs.length})`} id="ov-runs" action=${html`<a class="ov-more" href="#/runs">Run list →</a>`}>
    ${runs.length === 0
      ? html`<p class="muted">Nothing is running.</p>`
      : html`<ul class="ov-list" aria-label="Runs in flight">${runs.map((r) => html`<li key=${r.id}>
          <div class="ov-row">
            <${StatusPill} status=${r.status} />
            <a href=${`#/runs/${seg(r.id)}`} title=${r.session}>${sessionLabel(r.session)}</a>
            <span class="muted">${r.agent}</span>
            <span class="muted ov-when" title=${formatTime(r.since)}>since ${formatRelative(r.since)}</span>
          </div>
        </li>`)}</ul>`}
  <//>`;
}

function ErrorsCard({ errors }) {
  return html`<${Card} title="Latest errors" id="ov-errors" wide action=${html`<a class="ov-more" href="#/logs">Logs →</a>`}>
    ${errors.length === 0
      ? html`<p class="muted">No errors recently.</p>`
      : html`<ul class="ov-list" aria-label="Latest errors">${errors.map((e, i) => html`<li key=${i}>
          <div class="ov-row">
            <time class="muted" title=${formatTime(e.at)}>${formatRelative(e.at)}</time>
            ${e.code ? html`<${Badge} tone="error">${e.code}<//>` : null}
            <${Badge}>${e.source === "run" ? "run" : "log"}<//>
            ${e.runId ? html`<a href=${`#/runs/${seg(e.runId)}`} class="ov-when">run details</a>` : null}
          </div>
          <div class="ov-error-text">${e.message}</div>
        </li>`)}</ul>`}
  <//>`;
}
