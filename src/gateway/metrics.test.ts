// Gateway metrics fed by a stub dispatcher's events: runs, turn duration, tools, failovers, errors, queue depth, unsubscribe.
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../core/events.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import { createGatewayMetrics, MAX_LABEL_VALUES } from "./metrics.ts";

function stubDispatcher(depth: number) {
  const listeners = new Set<(e: RunEvent) => void>();
  const dispatcher = {
    subscribe(l: (e: RunEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    lanes: { queueDepth: () => depth },
  } as unknown as Dispatcher;
  return { dispatcher, emit: (e: RunEvent) => listeners.forEach((l) => l(e)), listeners };
}

const usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 };

describe("createGatewayMetrics", () => {
  it("counts run events into Prometheus metrics", async () => {
    let t = 0;
    const metrics = createGatewayMetrics({ now: () => t, processMetrics: false });
    const { dispatcher, emit } = stubDispatcher(3);
    metrics.observe({ dispatcher });
    emit({ type: "run_started", runId: "r1", sessionKey: "s", agentId: "default" });
    emit({ type: "tool_call_end", runId: "r1", callId: "c", name: "exec", isError: true, decision: "deny", preview: "" });
    emit({ type: "model_failover", runId: "r1", provider: "openai", model: "gpt-4o", code: "rate_limited", message: "slow down" });
    t = 1_500;
    emit({ type: "run_finished", runId: "r1", status: "failed", reply: "", usage, errorCode: "server_error", error: "down" });
    metrics.countHttp("/healthz", 200);

    const text = await metrics.render();
    expect(text).toContain('pincer_runs_total{status="failed"} 1');
    expect(text).toContain("pincer_turn_duration_seconds_sum 1.5");
    expect(text).toContain('pincer_tool_calls_total{tool="exec",decision="deny"} 1');
    expect(text).toContain('pincer_model_failovers_total{provider="openai",model="gpt-4o",code="rate_limited"} 1');
    expect(text).toContain('pincer_errors_total{code="server_error"} 1');
    expect(text).toContain("pincer_queue_depth 3");
    expect(text).toContain('pincer_http_requests_total{route="/healthz",status="200"} 1');
    expect(text).not.toContain("process_cpu");
  });

  it("gives at most MAX_LABEL_VALUES model and tool names series of their own, counting the rest as other", async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    const { dispatcher, emit } = stubDispatcher(0);
    metrics.observe({ dispatcher });
    for (let i = 0; i < MAX_LABEL_VALUES + 50; i++) {
      emit({ type: "step_finished", runId: "r", step: 0, provider: "fake", model: `m${i}`, usage });
      emit({ type: "model_failover", runId: "r", provider: "fake", model: `m${i}`, code: "bad_request", message: "unknown model" });
      emit({ type: "tool_call_end", runId: "r", callId: "c", name: `tool${i}`, isError: true, decision: "deny", preview: "" });
    }

    const lines = (await metrics.render()).split("\n");
    const series = (name: string): string[] => lines.filter((line) => line.startsWith(`${name}{`));
    expect(series("pincer_model_step_tokens_total")).toHaveLength(3 * (MAX_LABEL_VALUES + 1));
    expect(series("pincer_model_failovers_total")).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(series("pincer_tool_calls_total")).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(lines).toContain('pincer_model_failovers_total{provider="fake",model="other",code="bad_request"} 50');
  });

  it("stops listening after unsubscribe, and each instance has its own registry", async () => {
    const a = createGatewayMetrics();
    const b = createGatewayMetrics();
    const { dispatcher, listeners } = stubDispatcher(0);
    const off = a.observe({ dispatcher });
    off();
    expect(listeners.size).toBe(0);
    b.countError("internal");
    expect(await a.render()).not.toContain('pincer_errors_total{code="internal"}');
    expect(await b.render()).toContain('pincer_errors_total{code="internal"} 1');
  });
});
