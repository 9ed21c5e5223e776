// The Schedules page: a strip with the scheduler (running, leader, next wake), the heartbeat and the configured hooks;
// the schedules with their next fire (local time and from now), last fire, delivery and actions — Run now, Pause or
// Resume, Edit, Delete (confirmed) —; a row expands to its fire history (status, reason, a link to the run, delivery);
// New schedule opens the form (pages/schedule-form.js). Everything shown is text.
// Data: GET /schedules, GET /automation, GET /schedules/:id/fires; POST /schedules/:id/run|suspend|resume, DELETE.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { Badge, ErrorBanner, Pager, Spinner, Table, confirmDialog } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";
import { ScheduleForm, specText } from "./schedule-form.js";

loadStylesheet("/ui/pages/schedules.css");

const FIRE_TONES = { started: "info", succeeded: "ok", failed: "error", cancelled: "warn", skipped: "neutral" };
const REFRESH_MS = 30_000;

export default function Page() {
  const [data, setData] = useState(undefined);
  const [automation, setAutomation] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [tick, setTick] = useState(0);
  const [open, setOpen] = useState(() => new Set());
  const [notice, setNotice] = useState(undefined); // { tone, text, runId? }
  const [form, setForm] = useState(undefined); // { schedule? } while the form is open

  useEffect(() => {
    let live = true;
    Promise.all([api.get("/schedules"), api.get("/automation")]).then(
      ([list, auto]) => {
        if (!live) return;
        setData(list.data);
        setAutomation(auto);
        setError(undefined);
      },
      (err) => live && setError(err),
    );
    return () => (live = false);
  }, [tick]);
  // Next fires come due and relative times age: reload now and then.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);

  const refresh = () => setTick((n) => n + 1);
  /** Runs an action; its outcome (or error) becomes the notice, then the list reloads. */
  const act = async (fn) => {
    try {
      const outcome = await fn();
      if (outcome) setNotice(outcome);
    } catch (err) {
      setNotice({ tone: "error", text: err.message });
    }
    refresh();
  };
  const toggle = (row) => setOpen((o) => {
    const next = new Set(o);
    if (next.has(row.id)) next.delete(row.id);
    else next.add(row.id);
    return next;
  });

  if (!data) {
    return html`<section class="page schedules-page">
      ${error ? html`<${ErrorBanner} error=${error} onRetry=${refresh} />` : html`<div class="page-loading"><${Spinner} label="Loading schedules…" /></div>`}
    </section>`;
  }
  const now = Date.now();
  const columns = [
    { key: "name", label: "Schedule", render: (s) => html`<span class="sch-name">${s.name}</span><span class="sch-message" title=${s.message}>${s.message}</span>` },
    { key: "expr", label: "When", value: (s) => specText(s), render: (s) => html`<span class="mono sch-spec">${specText(s)}</span>${s.tz ? html`<span class="sch-sub">${s.tz}</span>` : null}` },
    { key: "nextFireAt", label: "Next fire", render: (s) => html`<${NextFire} schedule=${s} now=${now} />` },
    { key: "lastFire", label: "Last fire", value: (s) => s.lastFire?.fireAt, render: (s) => (s.lastFire ? html`<${FireStatus} status=${s.lastFire.status} /> <time class="sch-sub" title=${formatTime(s.lastFire.fireAt)}>${formatRelative(s.lastFire.fireAt, now)}</time>` : html`<span class="muted">never</span>`) },
    { key: "deliver", label: "Deliver", render: (s) => html`<span class="mono sch-deliver">${s.deliver}</span>` },
    { key: "actions", label: "Actions", sortable: false, render: (s) => html`<${RowActions} schedule=${s} act=${act} onEdit=${() => setForm({ schedule: s })} />` },
  ];

  return html`<section class="page schedules-page">
    ${automation ? html`<${AutomationStrip} automation=${automation} now=${now} />` : null}
    <div class="sch-toolbar">
      <button type="button" class="primary" onClick=${() => setForm({})}>New schedule</button>
      <button type="button" class="small" onClick=${refresh}>Refresh</button>
    </div>
    ${error ? html`<${ErrorBanner} error=${`Could not refresh: ${error.message}`} onRetry=${refresh} />` : null}
    ${notice ? html`<div class=${`banner ${notice.tone} sch-notice`} role="status"><span>${notice.text}${notice.runId ? html` <a href=${`#/runs/${seg(notice.runId)}`}>Open the run</a>` : null}</span>
      <button type="button" class="small ghost" aria-label="Dismiss" onClick=${() => setNotice(undefined)}>✕</button></div>` : null}
    <div class="sch-table">
      <${Table} caption="Schedules" columns=${columns} rows=${data} rowKey=${(s) => s.id} onRowClick=${toggle}
        expanded=${(s) => (open.has(s.id) ? html`<${FireHistory} schedule=${s} reload=${tick} />` : null)}
        empty="No schedules yet. New schedule makes one; so does 'pincer cron add' in a terminal." />
    </div>
    ${form ? html`<${ScheduleForm} schedule=${form.schedule} onClose=${() => setForm(undefined)}
      onSaved=${(s, created) => {
        setForm(undefined);
        setNotice({ tone: "info", text: `${created ? "Created" : "Saved"} ${s.name}.${s.nextFireAt ? ` Next fire ${formatTime(s.nextFireAt)} (${formatRelative(s.nextFireAt)}).` : ""}` });
        refresh();
      }} />` : null}
  </section>`;
}

function NextFire({ schedule: s, now }) {
  if (s.suspended) return html`<${Badge} tone="warn">paused<//>`;
  if (!s.nextFireAt) return html`<span class="muted">none (done)</span>`;
  return html`<span class="sch-next" data-next=${s.nextFireAt}><time title=${new Date(s.nextFireAt).toISOString()}>${formatTime(s.nextFireAt)}</time>
    <span class="sch-sub">${formatRelative(s.nextFireAt, now)}</span></span>`;
}

function FireStatus({ status }) {
  return html`<span class=${`pill ${FIRE_TONES[status] ?? "neutral"}`} data-status=${status}>${status}</span>`;
}

/** Run now, Pause/Resume, Edit, Delete; clicks do not toggle the row's history. */
function RowActions({ schedule: s, act, onEdit }) {
  const stop = (fn) => (e) => {
    e.stopPropagation();
    fn();
  };
  const runNow = () => act(async () => {
    const res = await api.post(`/schedules/${seg(s.id)}/run`);
    return res.status === "started"
      ? { tone: "info", text: `Started ${s.name}.`, runId: res.runId ?? undefined }
      : { tone: "warn", text: `${s.name} did not start: ${res.reason ?? res.status}.` };
  });
  const pause = () => act(async () => {
    await api.post(`/schedules/${seg(s.id)}/${s.suspended ? "resume" : "suspend"}`);
    return { tone: "info", text: s.suspended ? `Resumed ${s.name}.` : `Paused ${s.name}: it does not fire until resumed.` };
  });
  const remove = async () => {
    const ok = await confirmDialog({ title: `Delete ${s.name}?`, message: "The schedule and its fire history are deleted. Runs it started stay in Runs.", confirmLabel: "Delete", danger: true });
    if (!ok) return;
    await act(async () => {
      await api.del(`/schedules/${seg(s.id)}`);
      return { tone: "info", text: `Deleted ${s.name}.` };
    });
  };
  return html`<span class="sch-actions" onClick=${(e) => e.stopPropagation()} onKeyDown=${(e) => e.stopPropagation()}>
    <button type="button" class="small" onClick=${stop(runNow)}>Run now</button>
    <button type="button" class="small" onClick=${stop(pause)}>${s.suspended ? "Resume" : "Pause"}</button>
    <button type="button" class="small ghost" onClick=${stop(onEdit)}>Edit</button>
    <button type="button" class="small ghost sch-delete" onClick=${stop(remove)}>Delete</button>
  </span>`;
}

/** One schedule's fires, newest first, paged with the API's `next` cursor; reloaded whenever `reload` changes. */
function FireHistory({ schedule: s, reload }) {
  const [cursors, setCursors] = useState([undefined]); // `before` of each page seen
  const [page, setPage] = useState(undefined);
  const [error, setError] = useState(undefined);
  const before = cursors.at(-1);
  useEffect(() => {
    let live = true;
    // The page shown stays until the next one arrives (no flicker on the periodic reload).
    api.get(`/schedules/${seg(s.id)}/fires?${new URLSearchParams({ limit: "10", ...(before ? { before: String(before) } : {}) })}`).then(
      (res) => live && setPage(res),
      (err) => live && setError(err),
    );
    return () => (live = false);
  }, [s.id, before, reload]);
  const rows = page?.data ?? [];
  return html`<div class="sch-history" data-history=${s.name}>
    <h4>History</h4>
    ${error ? html`<${ErrorBanner} error=${error} />` : !page ? html`<${Spinner} label="Loading fires…" />`
      : rows.length === 0 ? html`<p class="muted">No fires yet.</p>`
      : html`<ol class="sch-fires">
          ${rows.map((f) => html`<li key=${f.fireAt} data-fire=${f.status}>
            <time title=${new Date(f.fireAt).toISOString()}>${formatTime(f.fireAt)}</time>
            <${FireStatus} status=${f.status} />
            ${f.reason ? html`<span class="sch-reason">${f.reason}</span>` : null}
            ${f.runId ? html`<span class="sch-sub">run <a class="mono" href=${`#/runs/${seg(f.runId)}`}>${f.runId}</a></span>` : null}
            ${f.delivery !== "none" ? html`<span class="sch-sub">delivery: ${f.delivery}${f.deliveryError ? ` (${f.deliveryError})` : ""}</span>` : null}
          </li>`)}
        </ol>`}
    <${Pager} page=${cursors.length} hasOlder=${page?.next != null} busy=${!page}
      onNewer=${() => setCursors((c) => c.slice(0, -1))} onOlder=${() => setCursors((c) => [...c, page.next])} />
  </div>`;
}

/** Scheduler, heartbeat and hooks at a glance. */
function AutomationStrip({ automation: a, now }) {
  const sch = a.scheduler;
  const hb = a.heartbeat;
  const when = (ms) => (ms ? html`<time title=${formatTime(ms)}>${formatRelative(ms, now)}</time>` : "—");
  return html`<div class="sch-strip" aria-label="Automation status">
    <div class="sch-tile" data-tile="scheduler">
      <h3>Scheduler</h3>
      <p>${sch.running ? html`<${Badge} tone=${sch.leader ? "ok" : "info"}>${sch.leader ? "firing here" : "standby"}<//>` : html`<${Badge} tone="warn">not running<//>`}</p>
      <p class="sch-sub">${sch.running ? html`${sch.leader ? "" : html`holder <span class="mono">${sch.holder ?? "unknown"}</span> · `}next wake ${when(sch.nextWakeAt)}` : "Schedules fire while the gateway's scheduler runs."}</p>
      <p class="sch-sub">${a.schedules.total} schedule${a.schedules.total === 1 ? "" : "s"}, ${a.schedules.suspended} paused</p>
    </div>
    <div class="sch-tile" data-tile="heartbeat">
      <h3>Heartbeat</h3>
      ${hb.enabled
        ? html`<p><${Badge} tone="ok">every ${hb.every}<//> ${hb.activeHours ? html`<span class="sch-sub">${hb.activeHours}${hb.tz ? ` ${hb.tz}` : ""}</span>` : null}</p>
          <p class="sch-sub">agent ${hb.agent} · deliver ${hb.deliver}</p>
          <p class="sch-sub">next tick ${when(hb.nextTickAt)}${hb.lastTick ? html` · last ${hb.lastTick.status}${hb.lastTick.reason ? ` (${hb.lastTick.reason})` : ""} ${when(hb.lastTick.at)}` : null}</p>`
        : html`<p><${Badge}>off<//></p><p class="sch-sub">Set heartbeat in pincer.yaml to check in periodically.</p>`}
    </div>
    <div class="sch-tile" data-tile="hooks">
      <h3>Hooks</h3>
      ${a.hooks.length === 0
        ? html`<p class="sch-sub">None configured (hooks in pincer.yaml).</p>`
        : html`<ul class="sch-hooks">${a.hooks.map((h) => html`<li key=${h.name}>
            <span class="mono">POST ${h.path}</span> <span class="sch-sub">${h.auth}</span>
            ${h.secretSet === false ? html`<${Badge} tone="error" title=${`${h.secretEnv} is not set in the gateway's environment`}>secret missing<//>` : null}
          </li>`)}</ul>`}
    </div>
  </div>`;
}
