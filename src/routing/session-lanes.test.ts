// Unit tests for per-session queueing: no overlap, followup/collect/steer/interrupt, /stop, parallel sessions,
// cleanup. A fake `start` hands out runs the test finishes by hand.
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../core/domain.ts";
import { SessionLanes, type LaneJob, type LaneOutcome } from "./session-lanes.ts";

interface FakeRun {
  id: string;
  job: LaneJob;
  steering: string[];
  abortReason: "cancelled" | "interrupted" | undefined;
  finish: (status?: string) => void;
}

/** Lanes over a fake `start`: each run waits until the test calls `finish`. */
function makeLanes() {
  const runs: FakeRun[] = [];
  const audits: AuditRecord[] = [];
  const lanes = new SessionLanes<LaneOutcome>({
    now: () => 1_000,
    audit: async (record) => {
      audits.push(record);
    },
    start: (job, bind) => {
      const { promise, resolve } = Promise.withResolvers<LaneOutcome>();
      const run: FakeRun = {
        id: `run-${runs.length + 1}`,
        job,
        steering: [],
        abortReason: undefined,
        finish: (status = "succeeded") => resolve({ runId: run.id, status }),
      };
      bind({ abort: (reason) => (run.abortReason = reason), steering: run.steering, runId: () => run.id });
      runs.push(run);
      return promise;
    },
  });
  return { lanes, runs, audits };
}

describe("SessionLanes", () => {
  it("runs followups of one session one at a time, in order", async () => {
    const { lanes, runs } = makeLanes();
    const a = lanes.submit("s1", "A", "followup");
    const b = lanes.submit("s1", "B", "followup");
    const c = lanes.submit("s1", "C", "followup");
    expect([a.disposition, b.disposition, c.disposition]).toEqual(["started", "queued", "queued"]);
    expect(runs).toHaveLength(1);

    runs[0]!.finish();
    await a.result;

    expect(runs.map((r) => r.job.text)).toEqual(["A", "B"]);
    expect(lanes.queueDepth("s1")).toBe(1);
  });

  it("merges consecutive collect messages into one job", async () => {
    const { lanes, runs } = makeLanes();
    const a = lanes.submit("s1", "A", "collect");
    const b = lanes.submit("s1", "B", "collect");
    const c = lanes.submit("s1", "C", "collect");
    expect([b.disposition, c.disposition]).toEqual(["queued", "merged"]);

    runs[0]!.finish();
    await a.result;
    runs[1]!.finish();

    expect(runs[1]!.job.text).toBe("B\n\nC");
    expect(await Promise.all([b.result, c.result])).toEqual([{ runId: "run-2", status: "succeeded" }, { runId: "run-2", status: "succeeded" }]);
  });

  it("steers into the active run and answers the steer with that run's outcome", async () => {
    const { lanes, runs } = makeLanes();
    lanes.submit("s1", "A", "followup");
    const b = lanes.submit("s1", "B", "steer");
    expect(b.disposition).toBe("steered");
    expect(runs[0]!.steering).toEqual(["B"]);

    runs[0]!.steering.splice(0); // the agent loop took it
    runs[0]!.finish();

    expect(await b.result).toEqual({ runId: "run-1", status: "succeeded" });
    expect(runs).toHaveLength(1);
  });

  it("runs steering that was never taken as a follow-up answered by that run", async () => {
    const { lanes, runs } = makeLanes();
    const a = lanes.submit("s1", "A", "followup");
    const b = lanes.submit("s1", "B", "steer");

    runs[0]!.finish();
    await a.result;
    runs[1]!.finish();

    expect(runs[1]!.job.text).toBe("B");
    expect(await b.result).toEqual({ runId: "run-2", status: "succeeded" });
  });

  it("interrupt aborts the active run, audits the preemption and runs next", async () => {
    const { lanes, runs, audits } = makeLanes();
    const a = lanes.submit("s1", "A", "followup");
    lanes.submit("s1", "B", "followup");
    const c = lanes.submit("s1", "C", "interrupt");
    expect(c.disposition).toBe("interrupting");
    expect(runs[0]!.abortReason).toBe("interrupted");
    expect(audits).toEqual([expect.objectContaining({ kind: "queue.preempt", sessionKey: "s1", runId: "run-1", detail: { preemptedRunId: "run-1" } })]);

    runs[0]!.finish("interrupted");
    await a.result;

    expect(runs[1]!.job.text).toBe("C");
  });

  it("stop cancels the active run and answers queued messages with its outcome", async () => {
    const { lanes, runs } = makeLanes();
    lanes.submit("s1", "A", "followup");
    const b = lanes.submit("s1", "B", "followup");
    const c = lanes.submit("s1", "C", "collect");

    const stopped = lanes.stop("s1");
    runs[0]!.finish("cancelled");

    expect(stopped).toEqual({ runId: "run-1", dropped: 2 });
    expect(runs[0]!.abortReason).toBe("cancelled");
    expect(await Promise.all([b.result, c.result])).toEqual([{ runId: "run-1", status: "cancelled" }, { runId: "run-1", status: "cancelled" }]);
    expect(runs).toHaveLength(1);
  });

  it("stop drops steering not yet injected instead of running it after the stop", async () => {
    const { lanes, runs } = makeLanes();
    lanes.submit("s1", "A", "followup");
    const b = lanes.submit("s1", "B", "steer");
    const c = lanes.submit("s1", "C", "followup");

    lanes.stop("s1");
    runs[0]!.finish("cancelled");

    expect(await b.result).toEqual({ runId: "run-1", status: "cancelled" });
    expect(runs).toHaveLength(1);
    expect(await c.result).toEqual({ runId: "run-1", status: "cancelled" });
  });

  it("runs different sessions in parallel", () => {
    const { lanes, runs } = makeLanes();

    const dispositions = [lanes.submit("s1", "A", "followup").disposition, lanes.submit("s2", "B", "followup").disposition];

    expect(dispositions).toEqual(["started", "started"]);
    expect(runs).toHaveLength(2);
    expect(lanes.activeSessions()).toEqual(["s1", "s2"]);
  });

  it("forgets a session once it is idle", async () => {
    const { lanes, runs } = makeLanes();
    const a = lanes.submit("s1", "A", "followup");

    runs[0]!.finish();
    await a.result;

    expect(lanes.activeSessions()).toEqual([]);
    expect(lanes.activeRunId("s1")).toBeUndefined();
  });

  it("answers with a failed outcome when start rejects, and runs the next message", async () => {
    const runs: LaneJob[] = [];
    const lanes = new SessionLanes<LaneOutcome>({
      now: () => 0,
      audit: async () => {},
      start: (job, bind) => {
        runs.push(job);
        bind({ abort: () => {}, steering: [], runId: () => undefined });
        return runs.length === 1 ? Promise.reject(new Error("store is down")) : new Promise(() => {});
      },
    });
    const a = lanes.submit("s1", "A", "followup");
    lanes.submit("s1", "B", "followup");

    expect(await a.result).toEqual({ runId: "", status: "failed", error: "store is down" });
    expect(runs.map((j) => j.text)).toEqual(["A", "B"]);
  });
});
