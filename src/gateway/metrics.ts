// Prometheus metrics for the gateway: run, token, tool, failover, queue and HTTP metrics, owned by each instance.
// Run metrics are fed from dispatcher events by `observe`; the HTTP layer counts its own requests and errors. The
// gateway's own metrics are plain in-process counters rendered by prometheus-text.ts; prom-client (Node process
// metrics) is imported on the first `render()`, so a gateway that is never scraped never loads it.
import type { Registry } from "prom-client";
import type { RunEvent } from "../core/events.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { CounterFamily, HistogramFamily, PROMETHEUS_CONTENT_TYPE, renderFamily, type Sample } from "./prometheus-text.ts";

export interface GatewayMetrics {
  /** The Content-Type of `render()`'s output (Prometheus text format). */
  readonly contentType: string;
  /** Feeds run/tool/token/failover metrics from the dispatcher's events and the queue-depth gauge; returns an unsubscribe. */
  observe(ctx: Pick<GatewayContext, "dispatcher" | "channels">): () => void;
  /** Counts one HTTP response; `route` is the matched route pattern (bounded cardinality), never the raw URL. */
  countHttp(route: string, status: number): void;
  /** Counts an error by its code (`internal`, `missing_credential`, …). */
  countError(code: string): void;
  /** Prometheus text exposition of every metric of this instance. */
  render(): Promise<string>;
}

export interface GatewayMetricsOptions {
  /** Clock for turn durations, epoch ms. */
  now?: () => number;
  /** Node process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

const CHANNEL_STATES = ["starting", "connected", "reconnecting", "stopped", "failed"];
const TURN_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600]; // seconds

/** Distinct values a free-form label (model, tool) gets series for; later ones are counted as "other". Each series
 * lives as long as the process, and model names come from users (/model) and tool names from the model. */
export const MAX_LABEL_VALUES = 100;

/**
 * Builds the metrics; each call owns its series, and its process metrics (when on) a prom-client Registry of their own,
 * never the global default one, created on the first `render()`. GC and event-loop metrics count from that moment.
 * Contract: calling it any number of times in one process never throws.
 */
export function createGatewayMetrics(opts: GatewayMetricsOptions = {}): GatewayMetrics {
  const now = opts.now ?? Date.now;
  const dispatchers = new Set<GatewayContext["dispatcher"]>();
  const channelSources = new Set<() => GatewayContext["channels"]>();

  const runs = new CounterFamily({ name: "pincer_runs_total", help: "Finished agent runs by terminal status.", labelNames: ["status"] });
  const turnDuration = new HistogramFamily({ name: "pincer_turn_duration_seconds", help: "Wall time of an agent run from start to finish.", buckets: TURN_BUCKETS });
  const stepTokens = new CounterFamily({
    name: "pincer_model_step_tokens_total",
    help: "Tokens used by model steps; kind is input, output or cached (cached is part of input).",
    labelNames: ["provider", "model", "kind"],
  });
  const toolCalls = new CounterFamily({ name: "pincer_tool_calls_total", help: "Tool calls by tool and gate decision.", labelNames: ["tool", "decision"] });
  const failovers = new CounterFamily({
    name: "pincer_model_failovers_total",
    help: "Model attempts that failed and were failed over, by provider, model and error code.",
    labelNames: ["provider", "model", "code"],
  });
  const httpRequests = new CounterFamily({ name: "pincer_http_requests_total", help: "HTTP responses by route pattern and status.", labelNames: ["route", "status"] });
  const errors = new CounterFamily({ name: "pincer_errors_total", help: "Errors by code: failed runs and HTTP-layer bugs.", labelNames: ["code"] });

  const channelStats = (pick: (stats: NonNullable<GatewayContext["channels"]>["stats"]) => Iterable<[string, number]>): Sample[] => {
    const samples = new Gauges();
    for (const source of channelSources) {
      const channels = source();
      if (channels) for (const [key, n] of pick(channels.stats)) samples.set(splitKey(key), n);
    }
    return samples.list();
  };
  // Gauges are read at scrape time, in this order, between the counters registered before and after them.
  const gauges = (): string[] => {
    let depth = 0;
    for (const d of dispatchers) depth += d.lanes.queueDepth();
    const states = new Gauges();
    for (const source of channelSources) {
      for (const s of source()?.status() ?? []) {
        for (const state of CHANNEL_STATES) states.set([s.channel, s.account, state], s.state === state ? 1 : 0);
      }
    }
    return [
      renderFamily({ name: "pincer_queue_depth", help: "Messages waiting behind an active run, over all sessions.", type: "gauge", labelNames: [], samples: [{ labels: [], value: depth }] }),
      renderFamily({
        name: "pincer_channel_state",
        help: "Each chat channel account's connection state (1 for the current state, 0 for the others).",
        type: "gauge",
        labelNames: ["channel", "account", "state"],
        samples: states.list(),
      }),
      renderFamily({
        name: "pincer_channel_inbound_total",
        help: "Inbound chat messages by channel, account and outcome (run, command, paired, context, dropped, duplicate, failed, malformed).",
        type: "gauge",
        labelNames: ["channel", "account", "outcome"],
        samples: channelStats((stats) => stats.inbound),
      }),
      renderFamily({
        name: "pincer_channel_replies_total",
        help: "Replies delivered to chats (sent) or given up on (failed), by channel and account.",
        type: "gauge",
        labelNames: ["channel", "account", "result"],
        samples: channelStats((stats) => stats.replies),
      }),
    ];
  };
  let processRegistry: Promise<Registry> | undefined;
  const loadProcessRegistry = async (): Promise<Registry> => {
    const { Registry, collectDefaultMetrics } = await import("prom-client");
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    return registry;
  };

  const startedAt = new Map<string, number>(); // runId → epoch ms
  const modelLabel = boundedLabel();
  const toolLabel = boundedLabel();

  const onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case "run_started":
        startedAt.set(event.runId, now());
        break;
      case "step_finished": {
        const model = modelLabel(event.model);
        stepTokens.inc([event.provider, model, "input"], event.usage.inputTokens);
        stepTokens.inc([event.provider, model, "output"], event.usage.outputTokens);
        stepTokens.inc([event.provider, model, "cached"], event.usage.cachedTokens);
        break;
      }
      case "tool_call_end":
        toolCalls.inc([toolLabel(event.name), event.decision]);
        break;
      case "model_failover":
        failovers.inc([event.provider, modelLabel(event.model), event.code]);
        break;
      case "run_finished": {
        runs.inc([event.status]);
        if (event.errorCode) errors.inc([event.errorCode]);
        const start = startedAt.get(event.runId);
        startedAt.delete(event.runId);
        if (start !== undefined) turnDuration.observe(Math.max(0, now() - start) / 1000);
        break;
      }
      default:
        break;
    }
  };

  return {
    contentType: PROMETHEUS_CONTENT_TYPE,
    observe(ctx) {
      const { dispatcher } = ctx;
      dispatchers.add(dispatcher);
      // Channels start after the gateway listens: read them at scrape time.
      const channels = (): GatewayContext["channels"] => ctx.channels;
      channelSources.add(channels);
      const unsubscribe = dispatcher.subscribe(onEvent);
      return () => {
        unsubscribe();
        dispatchers.delete(dispatcher);
        channelSources.delete(channels);
      };
    },
    countHttp: (route, status) => httpRequests.inc([route, String(status)]),
    countError: (code) => errors.inc([code]),
    async render() {
      const own = [runs.render(), turnDuration.render(), stepTokens.render(), toolCalls.render(), failovers.render(), ...gauges(), httpRequests.render(), errors.render()];
      if (opts.processMetrics === false) return `${own.join("\n\n")}\n`;
      processRegistry ??= loadProcessRegistry();
      return `${own.join("\n\n")}\n\n${await (await processRegistry).metrics()}`;
    },
  };
}

/** Maps a label value to itself for the first MAX_LABEL_VALUES distinct values, and to "other" after that. */
function boundedLabel(): (value: string) => string {
  const known = new Set<string>();
  return (value) => {
    if (known.has(value)) return value;
    if (known.size >= MAX_LABEL_VALUES) return "other";
    known.add(value);
    return value;
  };
}

/** Gauge samples of one scrape: setting the same labels again replaces the value and keeps its place (as prom-client's `set`). */
class Gauges {
  readonly #samples = new Map<string, Sample>();
  set(labels: string[], value: number): void {
    const key = labels.join("\u0000");
    const sample = this.#samples.get(key);
    if (sample) sample.value = value;
    else this.#samples.set(key, { labels, value });
  }
  list(): Sample[] {
    return [...this.#samples.values()];
  }
}

/** `channel/account/outcome` → its three label values. */
function splitKey(key: string): string[] {
  const [channel = "", account = "", outcome = ""] = key.split("/");
  return [channel, account, outcome];
}
