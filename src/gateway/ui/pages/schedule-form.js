// The Schedules page's create/edit form in a dialog: name, when (cron, every or at, with a time zone), message, agent,
// session, delivery, concurrency, catch-up, and paused (new schedules). The gateway checks it (the same checks as
// `pincer cron add`); a refusal shows its message and marks the field it names.
import { html, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { ErrorBanner, Modal } from "../lib/components.js";

const KINDS = [["cron", "Cron expression"], ["every", "Every"], ["at", "Once at"]];
const PLACEHOLDER = { cron: "0 8 * * 1-5", every: "30m", at: "2026-12-24T09:00" };
const HINT = {
  cron: "Minute hour day month weekday, e.g. 0 8 * * 1-5 = 08:00 on weekdays.",
  every: "A duration: 10s, 30m, 2h, 1d.",
  at: "A date and time, read in the time zone below (or the gateway's).",
};
const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

/** `cron 0 8 * * 1-5`, `every 30m`, `at 24 Dec 2026, 09:00`. */
export function specText(s) {
  if (s.kind !== "at") return `${s.kind} ${s.expr}`;
  const ms = Date.parse(s.expr);
  return Number.isNaN(ms) ? `at ${s.expr}` : `at ${new Date(ms).toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", ...(s.tz ? { timeZone: s.tz } : {}) })}`;
}

/** An `at` instant as date-time text in the schedule's zone (without a zone the instant stays as stored: the browser's
 * zone need not be the gateway's). */
function atText(iso, tz) {
  const parts = new Intl.DateTimeFormat("en-CA", { ...(tz ? { timeZone: tz } : {}), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

function initialFields(s) {
  if (!s) return { name: "", kind: "cron", expr: "", tz: "", message: "", agent: "default", session: "isolated", deliver: "none", concurrency: "forbid", catchup: "skip", suspended: false };
  return {
    name: s.name, kind: s.kind, expr: s.kind === "at" && s.tz ? atText(s.expr, s.tz) : s.expr, tz: s.tz ?? "", message: s.message, agent: s.agent,
    session: s.session, deliver: s.deliver, concurrency: s.concurrency, catchup: s.catchup, suspended: s.suspended,
  };
}

/** `schedule`: the one to edit, absent for a new one. `onSaved(schedule, created)`. */
export function ScheduleForm({ schedule, onClose, onSaved }) {
  const editing = Boolean(schedule);
  const [f, setF] = useState(() => initialFields(schedule));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const set = (key) => (e) => setF((old) => ({ ...old, [key]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value }));
  const invalid = (name) => (error?.param === name || (name === "expr" && ["cron", "every", "at"].includes(error?.param)) ? "true" : undefined);

  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body = {
      name: f.name.trim(), [f.kind]: f.expr.trim(), message: f.message, agent: f.agent.trim(), session: f.session.trim(), deliver: f.deliver.trim(),
      concurrency: f.concurrency, catchup: f.catchup,
    };
    const tz = f.tz.trim();
    if (tz) body.tz = tz;
    else if (editing) body.tz = null;
    try {
      const res = editing ? await api.patch(`/schedules/${seg(schedule.id)}`, body) : await api.post("/schedules", { ...body, suspended: f.suspended });
      onSaved(res.schedule, !editing);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const actions = html`
    <button type="button" class="ghost" onClick=${onClose}>Cancel</button>
    <button type="submit" form="schedule-form" class="primary" disabled=${busy}>${busy ? "Saving…" : editing ? "Save" : "Create"}</button>`;
  return html`<${Modal} title=${editing ? `Edit ${schedule.name}` : "New schedule"} onClose=${onClose} actions=${actions}>
    <form id="schedule-form" class="sch-form" onSubmit=${save} novalidate>
      ${error ? html`<${ErrorBanner} error=${error} />` : null}
      <label>Name<input type="text" name="name" required value=${f.name} onInput=${set("name")} aria-invalid=${invalid("name")} placeholder="morning-brief" spellcheck=${false} autocapitalize="off" /></label>
      <div class="sch-when">
        <label>When
          <select name="kind" value=${f.kind} onChange=${set("kind")}>${KINDS.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}</select>
        </label>
        <label class="sch-expr"><span class="sr-only">${KINDS.find(([v]) => v === f.kind)?.[1]}</span>
          <input type="text" name="expr" value=${f.expr} onInput=${set("expr")} aria-invalid=${invalid("expr")} placeholder=${PLACEHOLDER[f.kind]} spellcheck=${false} autocapitalize="off" />
        </label>
      </div>
      <p class="sch-hint muted">${HINT[f.kind]}</p>
      <label>Time zone<input type="text" name="tz" list="sch-zones" value=${f.tz} onInput=${set("tz")} aria-invalid=${invalid("tz")} placeholder="the gateway's (e.g. Europe/Paris)" spellcheck=${false} autocapitalize="off" /></label>
      <datalist id="sch-zones">${ZONES.map((z) => html`<option key=${z} value=${z} />`)}</datalist>
      <label>Message<textarea name="message" rows="3" value=${f.message} onInput=${set("message")} aria-invalid=${invalid("message")} placeholder="What the agent is asked each time"></textarea></label>
      <div class="sch-grid">
        <label>Agent<input type="text" name="agent" value=${f.agent} onInput=${set("agent")} aria-invalid=${invalid("agent")} spellcheck=${false} autocapitalize="off" /></label>
        <label>Session<input type="text" name="session" value=${f.session} onInput=${set("session")} aria-invalid=${invalid("session")} placeholder="isolated, main or a session key" spellcheck=${false} autocapitalize="off" /></label>
        <label>Deliver to<input type="text" name="deliver" value=${f.deliver} onInput=${set("deliver")} aria-invalid=${invalid("deliver")} placeholder="none, telegram:main:123456, webhook:https://…" spellcheck=${false} autocapitalize="off" /></label>
        <label>If still running
          <select name="concurrency" value=${f.concurrency} onChange=${set("concurrency")}>
            <option value="forbid">skip this fire</option><option value="allow">run another</option><option value="replace">cancel the old run</option>
          </select>
        </label>
        <label>Missed while down
          <select name="catchup" value=${f.catchup} onChange=${set("catchup")}>
            <option value="skip">skip it</option><option value="once">run it once</option>
          </select>
        </label>
      </div>
      ${editing ? null : html`<label class="check"><input type="checkbox" name="suspended" checked=${f.suspended} onChange=${set("suspended")} /> Create it paused</label>`}
    </form>
  <//>`;
}
