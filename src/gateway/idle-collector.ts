// Gives memory back to the operating system when the gateway goes quiet after work: one full garbage collection
// that compacts V8's heap and releases its emptied pages. It knows nothing of turns; the caller says what busy means.

/** V8's gc extension (`--expose-gc`). */
type GcExtension = (options?: { type?: "major" | "minor"; execution?: "sync" | "async"; flavor?: "regular" | "last-resort" }) => void;

export interface IdleCollectorOptions {
  /** True while work is in flight (turns running); the process is never quiet then. */
  busy: () => boolean;
  /** How long the process must have been quiet before it collects (ms). */
  quietMs?: number;
  /** How much the resident set must have grown since the last collection before another is worth it (bytes). */
  minGrowthBytes?: number;
  /** How often quietness is checked (ms). */
  tickMs?: number;
  /** Resident set size now (bytes); default `process.memoryUsage.rss()`. */
  rss?: () => number;
  /** CPU time the process has used so far (µs); default user + system of `process.cpuUsage()`. */
  cpuMicros?: () => number;
  /** The collection; default a `loadFullCollection()`, loaded when first needed. */
  collect?: () => void;
  /** Told after each collection (log fields). */
  onCollect?: (report: CollectionReport) => void;
}

/** One collection: the resident set before and after it, and how long it blocked. */
export interface CollectionReport {
  rssBeforeMb: number;
  rssAfterMb: number;
  ms: number;
}

export interface IdleCollector {
  /** One check, as the timer runs it every `tickMs`: whether the process was quiet and, if so long enough, collects. */
  tick(): void;
  /** Stops the timer. Idempotent. */
  stop(): void;
}

const QUIET_MS = 5_000;
const MIN_GROWTH_BYTES = 4 * 1024 * 1024;
const TICK_MS = 1_000;
/** CPU share of a tick below which that tick counts as quiet (a scrape of /metrics or a health probe stays below). */
const QUIET_CPU_SHARE = 0.02;

/**
 * Starts the collector: every `tickMs` it looks at the CPU the process used since the last tick and at `busy()`;
 * once the process has been quiet for `quietMs`, it collects: the first time in any case (start-up leaves garbage and a
 * grown young generation behind), later only if the resident set grew by `minGrowthBytes` since the last collection.
 * Under steady load it never runs.
 * Contract: never throws from its timer (a failed collection is skipped); the timer does not keep the process alive.
 */
export function startIdleCollector(opts: IdleCollectorOptions): IdleCollector {
  const quietMs = opts.quietMs ?? QUIET_MS;
  const tickMs = opts.tickMs ?? TICK_MS;
  const minGrowth = opts.minGrowthBytes ?? MIN_GROWTH_BYTES;
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const cpuMicros = opts.cpuMicros ?? (() => { const u = process.cpuUsage(); return u.user + u.system; });
  let collect = opts.collect;
  let baseline = 0; // start-up itself is work: the first quiet spell always collects
  let lastCpu = cpuMicros();
  let quietFor = 0; // ms
  const tick = (): void => {
    const cpu = cpuMicros();
    const quiet = !opts.busy() && cpu - lastCpu < tickMs * 1000 * QUIET_CPU_SHARE;
    lastCpu = cpu;
    quietFor = quiet ? quietFor + tickMs : 0;
    if (quietFor < quietMs) return;
    const rssBefore = rss();
    if (rssBefore - baseline < minGrowth) return;
    const started = performance.now();
    try {
      collect ??= loadFullCollection();
      collect();
    } catch {
      // Without the gc extension (a Node that refuses the flag) there is nothing to do; memory stays as V8 left it.
    }
    baseline = rss();
    opts.onCollect?.({ rssBeforeMb: toMb(rssBefore), rssAfterMb: toMb(baseline), ms: Math.round(performance.now() - started) });
    lastCpu = cpuMicros(); // the collection's own CPU is not activity
    quietFor = 0;
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}

function toMb(bytes: number): number {
  return Math.round(bytes / 104_857.6) / 10;
}

/**
 * Returns a full, compacting garbage collection that also shrinks the young generation and returns V8's pooled
 * pages to the operating system (V8's "last resort" collection: several rounds, as under memory pressure); it
 * blocks for tens of ms on a gateway's heap. Uses `gc` when Node was started with `--expose-gc`, else takes V8's gc
 * extension from a fresh context (about 170 KB, kept), without exposing it to the rest of the process.
 */
export function loadFullCollection(): () => void {
  const gc = loadGcExtension();
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}

function loadGcExtension(): GcExtension {
  const exposed = (globalThis as { gc?: GcExtension }).gc;
  if (typeof exposed === "function") return exposed;
  // The flag only decides whether contexts created from now on get `gc`; it is turned off again right away. node:v8 and
  // node:vm are taken here, at the first collection, so start-up does not load them.
  const { setFlagsFromString } = process.getBuiltinModule("node:v8");
  setFlagsFromString("--expose-gc");
  try {
    return process.getBuiltinModule("node:vm").runInNewContext("gc") as GcExtension;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}
