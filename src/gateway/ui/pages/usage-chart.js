// The Usage page's chart: one value per day, stacked by group (model, agent, channel …), drawn with uPlot as bars.
// Owns the uPlot instance (created, resized with its box, destroyed with the component); knows nothing of the API.
import uPlot from "uplot";
import { html, loadStylesheet, useEffect, useRef, useState } from "../lib/html.js";

loadStylesheet("/ui/vendor/uplot.css");

/** Series colours, distinguishable in light and dark themes; the last one is for "other". */
export const PALETTE = ["#e8590c", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f59f00", "#0ca678", "#e64980", "#5c7cfa"];
export const OTHER_COLOR = "#868e96";

/** `YYYY-MM-DD` (a local date) → epoch seconds of its local midnight, uPlot's x unit. */
const toSeconds = (date) => {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d).getTime() / 1000;
};

const cssVar = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/**
 * Stacked daily bars. `dates`: local dates; `series`: [{ label, color, values }] aligned with `dates`, bottom of the
 * stack first; `format(v)`: a value for the axis and the readout. The readout under the chart shows the hovered day.
 */
export function StackedBars({ dates, series, format, label }) {
  const box = useRef();
  const [hover, setHover] = useState(undefined); // index of the hovered day
  useEffect(() => {
    const el = box.current;
    if (!el || dates.length === 0) return undefined;
    // Each drawn series is the running sum up to it, drawn from the top of the stack down so lower parts paint over.
    const sums = [];
    let acc = dates.map(() => 0);
    for (const s of series) {
      acc = acc.map((v, i) => v + (s.values[i] ?? 0));
      sums.push(acc);
    }
    const order = series.map((_, i) => i).reverse();
    const bars = uPlot.paths.bars({ size: [0.7, 48], gap: 1 });
    const muted = cssVar("--muted", "#626a76");
    const grid = cssVar("--border", "#dfe2e6");
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: chartHeight(el),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false }, y: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: muted, grid: { show: false }, ticks: { stroke: grid }, space: 60, values: (_u, ticks) => ticks.map(formatTick) },
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 64, values: (_u, ticks) => ticks.map((t) => format(t)) },
      ],
      series: [
        {},
        ...order.map((i) => ({ label: series[i].label, fill: series[i].color, stroke: series[i].color, width: 0, paths: bars, points: { show: false } })),
      ],
      hooks: { setCursor: [(u) => setHover(u.cursor.idx ?? undefined)] },
    };
    const data = [dates.map(toSeconds), ...order.map((i) => sums[i])];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: chartHeight(el) }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      setHover(undefined);
    };
  }, [dates, series, format]);
  const day = hover ?? dates.length - 1;
  const dayTotal = series.reduce((sum, s) => sum + (s.values[day] ?? 0), 0);
  return html`
    <figure class="usage-chart" aria-label=${label}>
      <div ref=${box} class="usage-chart-box"></div>
      <figcaption class="usage-readout">
        <span class="usage-readout-day">${dates[day] ? formatDay(dates[day]) : ""}: <strong>${format(dayTotal)}</strong></span>
        <ul class="usage-legend">
          ${series.map((s) => html`<li key=${s.label}><span class="swatch" data-color=${s.color} ref=${paintSwatch(s.color)} aria-hidden="true"></span>${s.label} <span class="muted">${format(s.values[day] ?? 0)}</span></li>`)}
        </ul>
      </figcaption>
    </figure>`;
}

/** An x-axis tick (epoch seconds) → "3 Jan". */
const formatTick = (t) => new Date(t * 1000).toLocaleDateString(undefined, { day: "numeric", month: "short" });

/** The chart is shorter on a phone. */
const chartHeight = (el) => (el.clientWidth < 500 ? 200 : 260);

/** A legend swatch's colour, set through the CSSOM (the CSP allows no style attributes). */
const paintSwatch = (color) => (node) => {
  if (node) node.style.background = color;
};

/** "2026-01-03" → "Sat 3 Jan". */
export function formatDay(date) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
}
