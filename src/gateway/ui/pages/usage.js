// The Usage page: tokens and cost per day over 7, 30 or 90 days, grouped by model, agent, channel or provider, as a
// stacked bar chart with the table beside it, and the same numbers as a CSV download; above them the budgets with their
// use this period. Data: GET /usage/daily, /usage.csv, /budgets.
import { html, loadStylesheet, useEffect, useMemo, useState } from "../lib/html.js";
import { api, downloadFile } from "../lib/api.js";
import { EmptyState, ErrorBanner, Segmented, Spinner, Table } from "../lib/components.js";
import { formatCost, formatTokens } from "../lib/format.js";
import { OTHER_COLOR, PALETTE, StackedBars, formatDay } from "./usage-chart.js";
import { BudgetsSection } from "./usage-budgets.js";

loadStylesheet("/ui/pages/usage.css");

const RANGES = [7, 30, 90];
const GROUPS = [
  { id: "model", label: "Model" },
  { id: "agent", label: "Agent" },
  { id: "channel", label: "Channel" },
  { id: "provider", label: "Provider" },
];
const METRICS = [
  { id: "tokens", label: "Tokens", value: (s, i) => s.inputTokens[i] + s.outputTokens[i], format: (v) => formatTokens(Math.round(v)) },
  { id: "cost", label: "Cost", value: (s, i) => s.costUsd[i], format: (v) => formatCost(v) },
];
/** Groups drawn one by one; the rest of them share one "other" bar. */
const MAX_DRAWN = 7;

const NONE = { model: "(unknown model)", agent: "(no agent)", channel: "(no channel)", provider: "(unknown provider)" };
const exact = (n) => (n ?? 0).toLocaleString();

/** Reads and writes the page's choices in its address (#/usage?days=30&by=model&metric=tokens), so a view can be bookmarked. */
function useChoices(route, navigate) {
  const pick = (name, allowed, fallback) => {
    const v = route.query.get(name);
    return allowed.includes(v) ? v : fallback;
  };
  const choices = {
    days: Number(pick("days", RANGES.map(String), "30")),
    by: pick("by", GROUPS.map((g) => g.id), "model"),
    metric: pick("metric", METRICS.map((m) => m.id), "tokens"),
  };
  const set = (change) => {
    const next = { ...choices, ...change };
    navigate(`usage?days=${next.days}&by=${next.by}&metric=${next.metric}`, { replace: true });
  };
  return [choices, set];
}

export default function Page({ route, navigate }) {
  const [{ days, by, metric }, setChoice] = useChoices(route, navigate);
  const [usage, setUsage] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [attempt, setAttempt] = useState(0);
  const [download, setDownload] = useState({ busy: false, error: undefined });

  useEffect(() => {
    let live = true;
    setError(undefined);
    api.get(`/usage/daily?days=${days}&by=${by}`).then(
      (data) => live && setUsage(data),
      (err) => live && setError(err),
    );
    return () => (live = false);
  }, [days, by, attempt]);

  const saveCsv = async () => {
    setDownload({ busy: true, error: undefined });
    try {
      await downloadFile(`/usage.csv?days=${days}&by=${by}`, `pincer-usage-${days}d.csv`);
      setDownload({ busy: false, error: undefined });
    } catch (err) {
      setDownload({ busy: false, error: err });
    }
  };

  // While another range or grouping loads, the last one stays on screen, dimmed.
  const loading = !usage || usage.by !== by || usage.dates.length !== days;
  const controls = html`
    <div class="usage-controls">
      <${Segmented} label="Range" value=${String(days)} onChange=${(v) => setChoice({ days: Number(v) })}
        options=${RANGES.map((d) => ({ id: String(d), label: `${d} days` }))} />
      <${Segmented} label="Group by" value=${by} onChange=${(v) => setChoice({ by: v })} options=${GROUPS} />
      <${Segmented} label="Show" value=${metric} onChange=${(v) => setChoice({ metric: v })} options=${METRICS} />
      ${loading && usage && !error ? html`<${Spinner} label="Loading usage…" />` : null}
      <button type="button" class="small usage-csv" onClick=${saveCsv} disabled=${download.busy}>${download.busy ? "Preparing…" : "Download CSV"}</button>
    </div>`;

  return html`
    <section class="page usage-page">
      <${BudgetsSection} />
      ${controls}
      <${ErrorBanner} error=${download.error && `The CSV could not be downloaded: ${download.error.message}`} onDismiss=${() => setDownload({ busy: false, error: undefined })} />
      ${error
        ? html`<${ErrorBanner} error=${error} onRetry=${() => setAttempt((n) => n + 1)} />`
        : !usage
          ? html`<div class="page-loading"><${Spinner} label="Loading usage…" /></div>`
          : html`<div class=${loading ? "usage-stale" : ""} aria-busy=${loading} data-days=${usage.dates.length} data-by=${usage.by}>
              <${UsageView} usage=${usage} metric=${METRICS.find((m) => m.id === metric)} group=${GROUPS.find((g) => g.id === usage.by)} />
            </div>`}
    </section>`;
}

function UsageView({ usage, metric, group }) {
  const name = (key) => (key === "" ? NONE[usage.by] : key);
  const drawn = useMemo(() => chartSeries(usage, metric, name), [usage, metric]);
  const rangeText = `${formatDay(usage.dates[0])} – ${formatDay(usage.dates.at(-1))}`;
  if (usage.total.calls === 0) {
    return html`<${EmptyState} title=${`No model calls in the last ${usage.dates.length} days.`}>Usage shows up here once an agent has answered a message.<//>`;
  }
  return html`
    <${Totals} total=${usage.total} />
    <div class="usage-grid">
      <div class="card usage-card">
        <h2 class="usage-title">${metric.label} per day by ${group.label.toLowerCase()} <span class="muted">${rangeText}</span></h2>
        <${StackedBars} dates=${usage.dates} series=${drawn} format=${metric.format} label=${`${metric.label} per day by ${group.label.toLowerCase()}`} />
      </div>
      <div class="usage-card-table">
        <h2 class="usage-title">By ${group.label.toLowerCase()}</h2>
        <${GroupTable} usage=${usage} group=${group} name=${name} />
      </div>
    </div>
    <details class="usage-days">
      <summary>Per day</summary>
      <${DayTable} usage=${usage} />
    </details>`;
}

/** The chart's series: the biggest groups (by the metric) on their own, the rest summed as "other", biggest at the bottom. */
function chartSeries(usage, metric, name) {
  const values = (s) => usage.dates.map((_, i) => metric.value(s, i));
  const ranked = usage.series
    .map((s) => ({ s, values: values(s) }))
    .map((x) => ({ ...x, sum: x.values.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.sum - a.sum);
  const shown = ranked.length > MAX_DRAWN + 1 ? ranked.slice(0, MAX_DRAWN) : ranked;
  const out = shown.map((x, i) => ({ label: name(x.s.key), color: PALETTE[i % PALETTE.length], values: x.values }));
  const rest = ranked.slice(shown.length);
  if (rest.length > 0) {
    out.push({ label: `${rest.length} others`, color: OTHER_COLOR, values: usage.dates.map((_, i) => rest.reduce((sum, x) => sum + x.values[i], 0)) });
  }
  return out;
}

function Totals({ total }) {
  const items = [
    { label: "Model calls", value: exact(total.calls), exact: total.calls },
    { label: "Input tokens", value: formatTokens(total.inputTokens), exact: total.inputTokens },
    { label: "Output tokens", value: formatTokens(total.outputTokens), exact: total.outputTokens },
    { label: "Cached tokens", value: formatTokens(total.cachedTokens), exact: total.cachedTokens },
    { label: "Cost", value: formatCost(total.costUsd), exact: total.costUsd },
  ];
  return html`<dl class="usage-totals">
    ${items.map((i) => html`<div key=${i.label} class="usage-total"><dt>${i.label}</dt><dd title=${String(i.exact)}>${i.value}</dd></div>`)}
  </dl>`;
}

/** A number cell that carries its exact value (data-value) for tests and copy-paste, and shows it with separators. */
const num = (n) => html`<span data-value=${n}>${exact(n)}</span>`;
const cost = (n) => html`<span data-value=${n}>${formatCost(n)}</span>`;

function GroupTable({ usage, group, name }) {
  const rows = usage.series.map((s) => ({ key: s.key, label: name(s.key), ...s.total }));
  const columns = [
    { key: "label", label: group.label, render: (r) => html`<span class=${`usage-key ${r.key === "" ? "muted" : ""}`}>${r.label}</span>` },
    { key: "calls", label: "Calls", align: "right", render: (r) => num(r.calls) },
    { key: "inputTokens", label: "Input", align: "right", render: (r) => num(r.inputTokens) },
    { key: "outputTokens", label: "Output", align: "right", render: (r) => num(r.outputTokens) },
    { key: "cachedTokens", label: "Cached", align: "right", render: (r) => num(r.cachedTokens) },
    { key: "costUsd", label: "Cost", align: "right", render: (r) => cost(r.costUsd) },
  ];
  const footer = { label: "Total", ...usage.total };
  return html`<${Table} caption=${`Usage by ${group.label.toLowerCase()}`} columns=${columns} rows=${rows} rowKey=${(r) => r.key}
    footer=${columns.map((c) => (c.key === "label" ? html`<strong>Total</strong>` : c.render(footer)))} />`;
}

function DayTable({ usage }) {
  const rows = usage.dates
    .map((date, i) => {
      const sum = (field) => usage.series.reduce((acc, s) => acc + s[field][i], 0);
      return { date, calls: sum("calls"), inputTokens: sum("inputTokens"), outputTokens: sum("outputTokens"), cachedTokens: sum("cachedTokens"), costUsd: sum("costUsd") };
    })
    .filter((r) => r.calls > 0)
    .reverse();
  const columns = [
    { key: "date", label: "Day", render: (r) => formatDay(r.date) },
    { key: "calls", label: "Calls", align: "right", render: (r) => num(r.calls) },
    { key: "inputTokens", label: "Input", align: "right", render: (r) => num(r.inputTokens) },
    { key: "outputTokens", label: "Output", align: "right", render: (r) => num(r.outputTokens) },
    { key: "cachedTokens", label: "Cached", align: "right", render: (r) => num(r.cachedTokens) },
    { key: "costUsd", label: "Cost", align: "right", render: (r) => cost(r.costUsd) },
  ];
  return html`<${Table} caption="Usage per day" columns=${columns} rows=${rows} rowKey=${(r) => r.date} empty="No model calls on any day of this range." />`;
}
