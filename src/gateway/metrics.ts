// Prometheus metrics for the gateway: run, token, tool, failover, queue and HTTP counters in a registry of their own.
// Run metrics are fed from dispatcher events by `observe`; the HTTP layer counts its own requests and errors.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RunEvent } from "../core/events.ts";
import type { GatewayContext } from "./gateway-context.ts";

export interface GatewayMetrics {
  /** The Content-Type of `render()`'s output (Prometheus text format). */
  readonly contentType: string;
  /** Feeds run/tool/token/failover metrics from the dispatcher's events and the queue-depth gauge; returns an unsubscribe. */
  observe(ctx: Pick<GatewayContext, "dispatcher" | "channels">): () => void;
  /** Counts one HTTP response; `route` is the matched route pattern (bounded cardinality), never the raw URL. */
  countHttp(route: string, status: number): void;
  /** Counts an error by its code (`internal`, `missing_credential`, …). */
  countError(code: string): void;
  /** Prometheus text exposition of every metric in this registry. */
  render(): Promise<string>;
}

export interface GatewayMetricsOptions {
  /** Clock for turn durations, epoch ms. */
  now?: () => number;
  /** Node process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

const TURN_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600]; // seconds

/** Distinct values a free-form label (model, tool) gets series for; later ones are counted as "other". Each series
 * lives as long as the process, and model names come from users (/model) and tool names from the model. */
export const MAX_LABEL_VALUES = 100;

/**
 * Builds the metrics with their own prom-client Registry (never the global default one).
 * Contract: calling it any number of times in one process never throws (each call owns its registry).
 */
export function createGatewayMetrics(opts: GatewayMetricsOptions = {}): GatewayMetrics {
  const now = opts.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  const dispatchers = new Set<GatewayContext["dispatcher"]>();

  const runs = new Counter({ name: "pincer_runs_total", help: "Finished agent runs by terminal status.", labelNames: ["status"], registers });
  const turnDuration = new Histogram({
    name: "pincer_turn_duration_seconds",
    help: "Wall time of an agent run from start to finish.",
    buckets: TURN_BUCKETS,
    registers,
  });
  const stepTokens = new Counter({
    name: "pincer_model_step_tokens_total",
    help: "Tokens used by model steps; kind is input, output or cached (cached is part of input).",
    labelNames: ["provider", "model", "kind"],
    registers,
  });
  const toolCalls = new Counter({ name: "pincer_tool_calls_total", help: "Tool calls by tool and gate decision.", labelNames: ["tool", "decision"], registers });
  const failovers = new Counter({
    name: "pincer_model_failovers_total",
    help: "Model attempts that failed and were failed over, by provider, model and error code.",
    labelNames: ["provider", "model", "code"],
    registers,
  });
  new Gauge({
    name: "pincer_queue_depth",
    help: "Messages waiting behind an active run, over all sessions.",
    registers,
    collect() {
      let depth = 0;
      for (const d of dispatchers) depth += d.lanes.queueDepth();
      this.set(depth);
    },
  });
  const channelSources = new Set<() => GatewayContext["channels"]>();
  const CHANNEL_STATES = ["starting", "connected", "reconnecting", "stopped", "failed"];
  new Gauge({
    name: "pincer_channel_state",
    help: "Each chat channel account's connection state (1 for the current state, 0 for the others).",
    labelNames: ["channel", "account", "state"],
    registers,
    collect() {
      this.reset();
      for (const source of channelSources) {
        for (const s of source()?.status() ?? []) {
          for (const state of CHANNEL_STATES) this.set({ channel: s.channel, account: s.account, state }, s.state === state ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: "pincer_channel_inbound_total",
    help: "Inbound chat messages by channel, account and outcome (run, command, paired, context, dropped, duplicate, failed, malformed).",
    labelNames: ["channel", "account", "outcome"],
    registers,
    collect() {
      this.reset();
      for (const source of channelSources) {
        for (const [key, n] of source()?.stats.inbound ?? []) {
          const [channel = "", account = "", outcome = ""] = key.split("/");
          this.set({ channel, account, outcome }, n);
        }
      }
    },
  });
  new Gauge({
    name: "pincer_channel_replies_total",
    help: "Replies delivered to chats (sent) or given up on (failed), by channel and account.",
    labelNames: ["channel", "account", "result"],
    registers,
    collect() {
      this.reset();
      for (const source of channelSources) {
        for (const [key, n] of source()?.stats.replies ?? []) {
          const [channel = "", account = "", result = ""] = key.split("/");
          this.set({ channel, account, result }, n);
        }
      }
    },
  });
  const httpRequests = new Counter({ name: "pincer_http_requests_total", help: "HTTP responses by route pattern and status.", labelNames: ["route", "status"], registers });
  const errors = new Counter({ name: "pincer_errors_total", help: "Errors by code: failed runs and HTTP-layer bugs.", labelNames: ["code"], registers });
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const startedAt = new Map<string, number>(); // runId → epoch ms
  const modelLabel = boundedLabel();
  const toolLabel = boundedLabel();

  const onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case "run_started":
        startedAt.set(event.runId, now());
        break;
      case "step_finished": {
        const labels = { provider: event.provider, model: modelLabel(event.model) };
        stepTokens.inc({ ...labels, kind: "input" }, event.usage.inputTokens);
        stepTokens.inc({ ...labels, kind: "output" }, event.usage.outputTokens);
        stepTokens.inc({ ...labels, kind: "cached" }, event.usage.cachedTokens);
        break;
      }
      case "tool_call_end":
        toolCalls.inc({ tool: toolLabel(event.name), decision: event.decision });
        break;
      case "model_failover":
        failovers.inc({ provider: event.provider, model: modelLabel(event.model), code: event.code });
        break;
      case "run_finished": {
        runs.inc({ status: event.status });
        if (event.errorCode) errors.inc({ code: event.errorCode });
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
    contentType: registry.contentType,
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
    countHttp: (route, status) => httpRequests.inc({ route, status: String(status) }),
    countError: (code) => errors.inc({ code }),
    render: () => registry.metrics(),
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
