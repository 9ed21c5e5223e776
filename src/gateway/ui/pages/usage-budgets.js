// The Usage page's budgets section: each configured budget (a session budget: its top spenders) with tokens and cost
// used against its limits, a progress bar and when it resets. Data: GET /budgets. Renders nothing without budgets.
import { html, useEffect, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { ErrorBanner, Table } from "../lib/components.js";
import { formatCost } from "../lib/format.js";

const exact = (n) => (n ?? 0).toLocaleString();
const PERIOD = { day: "daily", month: "monthly" };

export function BudgetsSection() {
  const [budgets, setBudgets] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    api.get("/budgets").then((body) => live && setBudgets(body.data), (err) => live && setError(err));
    return () => (live = false);
  }, [attempt]);
  if (error) return html`<${ErrorBanner} error=${error} onRetry=${() => setAttempt((n) => n + 1)} />`;
  if (!budgets || budgets.length === 0) return null;
  const rows = budgets.flatMap((b) =>
    b.statuses.length > 0
      ? b.statuses.map((s) => ({ key: `${b.index}:${s.subject}`, budget: b, status: s }))
      : [{ key: `${b.index}:none`, budget: b, status: undefined }]);
  const columns = [
    { key: "scope", label: "Budget", value: (r) => r.budget.scope, render: (r) => html`<span class="budget-scope">${r.budget.scope}</span>${r.status && r.budget.scope === "session" ? html`<div class="muted budget-subject">${r.status.subject.replace(/^session /, "")}</div>` : null}` },
    { key: "period", label: "Period", value: (r) => r.budget.period, render: (r) => PERIOD[r.budget.period] ?? r.budget.period },
    { key: "action", label: "Action", value: (r) => r.budget.action, render: (r) => (r.budget.action === "downgrade" ? `downgrade to ${r.budget.downgradeTo}` : r.budget.action) },
    { key: "tokens", label: "Tokens", align: "right", value: (r) => r.status?.tokens ?? 0, render: (r) => limitText(exact(r.status?.tokens), r.budget.maxTokens === null ? undefined : exact(r.budget.maxTokens)) },
    { key: "cost", label: "Cost", align: "right", value: (r) => r.status?.costUsd ?? 0, render: (r) => costCell(r) },
    { key: "used", label: "Used", value: (r) => r.status?.used ?? 0, render: (r) => (r.status ? html`<${UseBar} used=${r.status.used} label=${`${r.budget.scope} ${PERIOD[r.budget.period]}`} />` : html`<span class="muted">no session spent anything yet</span>`) },
    { key: "resets", label: "Resets", value: (r) => r.status?.resetsAt ?? 0, render: (r) => r.status?.resetsAtText ?? "" },
  ];
  return html`
    <section class="card usage-budgets" aria-labelledby="usage-budgets-title">
      <h2 class="budgets-title" id="usage-budgets-title">Budgets <span class="muted">this period; unknown prices count against token limits only</span></h2>
      <${Table} caption="Budgets and their use this period" columns=${columns} rows=${rows} rowKey=${(r) => r.key} />
    </section>`;
}

const limitText = (used, max) => (max === undefined ? used : html`${used} <span class="muted">of ${max}</span>`);

function costCell(r) {
  const s = r.status;
  const used = formatCost(s?.costUsd ?? 0);
  const unknown = s && s.unpricedCalls > 0 ? html`<div class="muted budget-unknown">+ ${exact(s.unpricedCalls)} call(s) at unknown price</div>` : null;
  return html`${limitText(used, r.budget.maxUsd === null ? undefined : formatCost(r.budget.maxUsd))}${unknown}`;
}

/** A bar filled to the share used (capped at 100 %), amber from 80 %, red once the limit is reached. */
function UseBar({ used, label }) {
  const percent = Math.floor(used * 100);
  const tone = used >= 1 ? "over" : used >= 0.8 ? "near" : "ok";
  return html`<div class="budget-use">
    <div class=${`budget-bar budget-${tone}`} role="progressbar" aria-label=${`${label}: used`} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.min(percent, 100)}
      aria-valuetext=${`${percent}%`}>
      <div class="budget-fill" style=${{ width: `${Math.min(percent, 100)}%` }}></div>
    </div>
    <span class="budget-percent" data-value=${used}>${percent}%</span>
  </div>`;
}
