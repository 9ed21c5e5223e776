// The Audit page: the audit log (tool decisions, config reloads, pairing, interrupted runs …) newest first, filtered
// and paged by the server (GET /api/v1/audit); a row expands to the record's details. Everything shown is text.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { Badge, ErrorBanner, Fields, JsonBlock, Pager, Spinner, Table, TextFilter, TimeRangeSelect, rangeStart } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";

loadStylesheet("/ui/pages/audit.css");

const PAGE_SIZE = 100;
const FILTERS = ["kind", "tool", "decision", "run", "range"];
/** Kinds the gateway writes today, offered as suggestions; any other kind can be typed. */
const KNOWN_KINDS = ["tool.call", "config.reload", "pairing.requested", "pairing.approved", "pairing.denied", "run.interrupted", "queue.preempt", "reply.failed", "journal.replay_failed", "journal.unreadable"];
const DECISIONS = [["", "Any decision"], ["allow", "Allowed"], ["deny", "Denied"], ["info", "Info"]];
const DECISION_TONE = { allow: "ok", deny: "error", info: "neutral" };
const DECISION_TEXT = { allow: "allowed", deny: "denied", info: "info" };

export default function Page({ route, navigate }) {
  const query = route.query;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ""]));
  const filterKey = FILTERS.map((k) => filters[k]).join("\u0000");
  const [paging, setPaging] = useState({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const before = cursors.at(-1);
  const [state, setState] = useState({ loading: true, error: undefined, rows: [], next: null });
  const [attempt, setAttempt] = useState(0);
  const [open, setOpen] = useState(() => new Set());

  useEffect(() => {
    let current = true;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const k of ["kind", "tool", "decision", "run"]) if (filters[k]) params.set(k, filters[k]);
    const since = rangeStart(filters.range);
    if (since !== undefined) params.set("since", String(since));
    if (before !== undefined) params.set("before", String(before));
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get(`/audit?${params}`).then(
      (res) => current && setState({ loading: false, error: undefined, rows: res.data ?? [], next: res.next ?? null }),
      (err) => current && setState({ loading: false, error: err, rows: [], next: null }),
    );
    return () => (current = false);
  }, [filterKey, before, cursors.length, attempt]);

  const setFilter = (key, value) => {
    const params = new URLSearchParams(query);
    if (value) params.set(key, value);
    else params.delete(key);
    const qs = params.toString();
    navigate(`audit${qs ? `?${qs}` : ""}`, { replace: true });
  };
  const toggle = (row) => setOpen((o) => {
    const next = new Set(o);
    if (next.has(row.id)) next.delete(row.id);
    else next.add(row.id);
    return next;
  });
  const filtered = FILTERS.some((k) => filters[k]);
  const stop = (e) => e.stopPropagation();

  const columns = [
    { key: "at", label: "Time", render: (r) => html`<time title=${formatTime(r.at)}>${formatRelative(r.at)}</time>` },
    { key: "kind", label: "Kind", render: (r) => html`<span class="mono">${r.kind}</span>` },
    { key: "decision", label: "Decision", render: (r) => html`<${Badge} tone=${DECISION_TONE[r.decision] ?? "neutral"}>${DECISION_TEXT[r.decision] ?? r.decision}<//>` },
    { key: "tool", label: "Tool", render: (r) => (r.tool ? html`<span class="mono">${r.tool}</span>` : "") },
    { key: "runId", label: "Run", render: (r) => (r.runId ? html`<a class="mono" href=${`#/runs/${seg(r.runId)}`} onClick=${stop}>${shortId(r.runId)}</a>` : "") },
    { key: "reason", label: "Reason", sortable: false, render: (r) => html`<span class="audit-reason" title=${r.reason ?? ""}>${r.reason ?? ""}</span>` },
  ];

  return html`<section class="page audit-page">
    <form class="filters" role="search" aria-label="Filter the audit log" onSubmit=${(e) => e.preventDefault()}>
      <${TextFilter} label="Kind" name="kind" list="audit-kinds" value=${filters.kind} onCommit=${(v) => setFilter("kind", v)} />
      <${TextFilter} label="Tool" name="tool" value=${filters.tool} onCommit=${(v) => setFilter("tool", v)} />
      <label>Decision
        <select name="decision" value=${filters.decision} onChange=${(e) => setFilter("decision", e.currentTarget.value)}>
          ${DECISIONS.map(([value, label]) => html`<option value=${value} key=${value}>${label}</option>`)}
        </select>
      </label>
      <${TextFilter} label="Run" name="run" placeholder="run id" value=${filters.run} onCommit=${(v) => setFilter("run", v)} />
      <${TimeRangeSelect} value=${filters.range} onChange=${(v) => setFilter("range", v)} />
      <datalist id="audit-kinds">${KNOWN_KINDS.map((k) => html`<option value=${k} key=${k} />`)}</datalist>
      ${filtered ? html`<button type="button" class="ghost small" onClick=${() => navigate("audit", { replace: true })}>Clear filters</button>` : null}
    </form>
    ${state.error
      ? html`<${ErrorBanner} error=${state.error} onRetry=${() => setAttempt((n) => n + 1)} />`
      : state.loading && state.rows.length === 0
        ? html`<div class="page-loading"><${Spinner} label="Loading the audit log…" /></div>`
        : html`<div class=${state.loading ? "reloading" : ""}>
            <${Table} caption="Audit log" columns=${columns} rows=${state.rows} rowKey=${(r) => String(r.id)} onRowClick=${toggle}
              expanded=${(r) => (open.has(r.id) ? html`<${AuditDetail} record=${r} />` : null)}
              empty=${filtered ? "No audit records match these filters." : "The audit log is empty. Tool calls, config reloads and pairing show up here."} />
            <${Pager} page=${cursors.length} hasOlder=${state.next !== null && state.next !== undefined} busy=${state.loading}
              onNewer=${() => setPaging({ key: filterKey, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors })}
              onOlder=${() => state.next !== null && setPaging({ key: filterKey, cursors: [...cursors, state.next] })} />
          </div>`}
  </section>`;
}

/** `run_0mf3k2x1a9b8c7d6e5f4` → `run_0mf3k2x1a9…`; the full id is in the link and the details. */
const shortId = (id) => (id.length > 16 ? `${id.slice(0, 14)}…` : id);

function AuditDetail({ record }) {
  const detail = record.detail && typeof record.detail === "object" && Object.keys(record.detail).length > 0 ? record.detail : undefined;
  return html`<div class="audit-detail">
    <${Fields} items=${[
      ["Time", formatTime(record.at)],
      ["Record", `#${record.id}`],
      ["Run", record.runId ? html`<a class="mono" href=${`#/runs/${seg(record.runId)}`}>${record.runId}</a>` : ""],
      ["Session", record.sessionKey ? html`<a href=${`#/sessions/${seg(record.sessionKey)}`}>${record.sessionKey}</a>` : ""],
      ["Reason", record.reason ?? ""],
    ]} />
    ${detail ? html`<h4>Details</h4><${JsonBlock} value=${detail} />` : html`<p class="muted">No further details were recorded.</p>`}
  </div>`;
}
