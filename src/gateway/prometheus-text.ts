// Counters, a histogram and gauge samples for the gateway's own metrics, rendered in the Prometheus text format
// (0.0.4) exactly as prom-client renders them. Process metrics stay with prom-client (see metrics.ts).

/** The Content-Type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** One sample: label values in the family's label-name order, and its value. */
export interface Sample {
  labels: readonly string[];
  value: number;
}

/** A counter family: one series per distinct label-value tuple, in the order they first appeared. */
export class CounterFamily {
  readonly #series = new Map<string, Sample>();
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];

  constructor(opts: { name: string; help: string; labelNames: readonly string[] }) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
  }

  /** Adds `value` (default 1) to the series of `labels`. Contract: throws on a negative or non-finite value, as prom-client does. */
  inc(labels: readonly string[], value = 1): void {
    if (value && !Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
    if (value < 0) throw new Error("It is not possible to decrease a counter");
    const key = labels.join("\u0000");
    const series = this.#series.get(key);
    if (series) series.value += value;
    else this.#series.set(key, { labels: [...labels], value });
  }

  render(): string {
    return renderFamily({ name: this.name, help: this.help, type: "counter", labelNames: this.labelNames, samples: this.#series.values() });
  }
}

/** A histogram without labels: cumulative buckets (upper bounds inclusive), sum and count. */
export class HistogramFamily {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];

  constructor(opts: { name: string; help: string; buckets: readonly number[] }) {
    this.name = opts.name;
    this.help = opts.help;
    this.buckets = opts.buckets;
    this.#counts = opts.buckets.map(() => 0);
  }

  /** Contract: throws on a non-finite value, as prom-client does. */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
    const i = this.buckets.findIndex((bound) => value <= bound);
    if (i >= 0) this.#counts[i]! += 1;
    this.#sum += value;
    this.#count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeText(this.help)}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    this.buckets.forEach((bound, i) => {
      cumulative += this.#counts[i]!;
      lines.push(`${this.name}_bucket{le="${bound}"} ${formatValue(cumulative)}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${formatValue(this.#count)}`);
    lines.push(`${this.name}_sum ${formatValue(this.#sum)}`, `${this.name}_count ${formatValue(this.#count)}`);
    return lines.join("\n");
  }
}

/** One metric family as text: HELP and TYPE lines, then one line per sample (no trailing newline). */
export function renderFamily(family: { name: string; help: string; type: "counter" | "gauge"; labelNames: readonly string[]; samples: Iterable<Sample> }): string {
  const lines = [`# HELP ${family.name} ${escapeText(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const { labels, value } of family.samples) {
    const pairs = family.labelNames.map((name, i) => `${name}="${escapeText(labels[i] ?? "").replace(/"/g, '\\"')}"`);
    lines.push(`${family.name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}`);
  }
  return lines.join("\n");
}

function escapeText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "Nan"; // prom-client's spelling
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}
