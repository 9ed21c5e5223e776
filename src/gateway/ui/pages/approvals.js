// The Approvals page: tool calls waiting for an answer (Allow once / Always / Deny), recently answered ones, the
// standing rules `always` answers added (Revoke), and sessions in elevated mode (End). New requests arrive over /ws
// for the sessions this connection follows; the lists reload every 15 s and after each answer.
import { html, loadStylesheet, useCallback, useEffect, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { confirmDialog, EmptyState, ErrorBanner, Spinner, Table } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";
import * as ws from "../lib/ws.js";
import { ApprovalCard, timeLeft, useTick } from "./approvals/approval-card.js";

loadStylesheet("/ui/pages/approvals.css");

const RELOAD_MS = 15_000;
const RECENT = 30;

export default function ApprovalsPage() {
  const now = useTick(5_000);
  const [state, setState] = useState({ loading: true, error: undefined, pending: [], recent: [], rules: [], elevations: [] });
  const load = useCallback(async () => {
    try {
      const [pending, recent, rules, elevations] = await Promise.all([
        api.get("/approvals?status=pending&limit=200"),
        api.get(`/approvals?status=approved,denied,expired&limit=${RECENT}`),
        api.get("/approval-rules"),
        api.get("/elevations"),
      ]);
      setState({ loading: false, error: undefined, pending: pending.data, recent: recent.data, rules: rules.data, elevations: elevations.data });
    } catch (err) {
      setState((s) => ({ ...s, loading: false, error: err }));
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), RELOAD_MS);
    const offs = ["approval.requested", "approval.answered"].map((type) => ws.on(type, () => void load()));
    return () => {
      clearInterval(timer);
      offs.forEach((off) => off());
    };
  }, [load]);

  const revoke = async (rule) => {
    const ok = await confirmDialog({
      title: "Revoke this rule?", confirmLabel: "Revoke", danger: true,
      message: `${rule.tool}${rule.subject ? ` with ${rule.subject}` : ""} will ask for approval again (agent ${rule.agentId}).`,
    });
    if (!ok) return;
    try {
      await api.del(`/approval-rules/${seg(rule.id)}`);
    } catch (err) {
      setState((s) => ({ ...s, error: err }));
    }
    await load();
  };
  const endElevation = async (e) => {
    try {
      await api.del(`/sessions/${seg(e.sessionKey)}/elevate`);
    } catch (err) {
      setState((s) => ({ ...s, error: err }));
    }
    await load();
  };

  if (state.loading) return html`<div class="page-loading"><${Spinner} /></div>`;
  const ruleColumns = [
    { key: "tool", label: "Tool", render: (r) => html`<code>${r.tool}</code>` },
    { key: "subject", label: "With", render: (r) => r.subject ?? html`<span class="muted">any call</span>` },
    { key: "agentId", label: "Agent" },
    { key: "createdBy", label: "Added by" },
    { key: "createdAt", label: "Added", render: (r) => html`<span title=${formatTime(r.createdAt)}>${formatRelative(r.createdAt, now)}</span>` },
    { key: "revoke", label: "", sortable: false, render: (r) => html`<button type="button" class="small danger" aria-label=${`Revoke ${r.tool}${r.subject ? ` ${r.subject}` : ""}`} onClick=${() => revoke(r)}>Revoke</button>` },
  ];
  return html`<div class="approvals-page">
    <${ErrorBanner} error=${state.error?.message} onRetry=${load} />
    ${state.elevations.length > 0
      ? html`<section aria-labelledby="elevated-h">
          <h2 id="elevated-h">Elevated sessions</h2>
          <ul class="elevated-list">${state.elevations.map((e) => html`<li key=${e.sessionKey} class="banner warn">
            <span><a href=${`#/chat/${encodeURIComponent(e.sessionKey)}`}>${e.sessionKey}</a>: ${timeLeft(e.expiresAt, now)} left${e.reason ? ` · ${e.reason}` : ""} (by ${e.requestedBy})</span>
            <button type="button" class="small" onClick=${() => endElevation(e)}>End</button>
          </li>`)}</ul>
        </section>`
      : null}
    <section aria-labelledby="pending-h">
      <h2 id="pending-h">Waiting for an answer <span class="muted">(${state.pending.length})</span></h2>
      ${state.pending.length === 0
        ? html`<${EmptyState} title="Nothing waits for approval.">Calls that policy.tools.ask, exec level ask or a tainted run hold back show up here.<//>`
        : html`<div class="approval-grid">${state.pending.map((r) => html`<${ApprovalCard} key=${r.id} request=${r} showSession=${true} onAnswered=${() => void load()} />`)}</div>`}
    </section>
    <section aria-labelledby="rules-h">
      <h2 id="rules-h">Standing approvals</h2>
      <${Table} caption="Standing approvals" columns=${ruleColumns} rows=${state.rules} rowKey=${(r) => r.id} empty="No standing approvals. An Always answer adds one." />
    </section>
    <section aria-labelledby="recent-h">
      <h2 id="recent-h">Recently answered</h2>
      ${state.recent.length === 0
        ? html`<p class="muted">None yet.</p>`
        : html`<div class="approval-grid">${state.recent.map((r) => html`<${ApprovalCard} key=${r.id} request=${r} showSession=${true} />`)}</div>`}
    </section>
  </div>`;
}
