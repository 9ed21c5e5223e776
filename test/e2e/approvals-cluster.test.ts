// Approvals on the cluster runtime's real ports (NATS + PostgreSQL): a call waiting on one node (the worker's broker,
// its own bus connection and store pool) wakes when the control node answers, through the bus event approvals.<id> —
// the worker's store poll is set far beyond the test, so only the bus can deliver it — and a second worker resuming the
// run finds the same request instead of asking again. (The worker "dies" by closing its store and broker; the process
// kill itself is covered by the cluster suite's worker-death tests, which resume runs through the same claim path.)
import { randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { policySchema } from "../../src/core/config-schema.ts";
import { approvalsSchema } from "../../src/core/safety-config.ts";
import type { RunEvent } from "../../src/core/events.ts";
import { openNatsBus } from "../../src/bus/nats-bus.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createApprovalBroker } from "../../src/routing/approval-broker.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";

const missing = await missingClusterServices();
const instance = `e2eap${randomBytes(4).toString("hex")}`;
const log = pino({ level: "silent" });

afterAll(async () => {
  if (!missing) await removeInstances([instance]);
});

async function openNode() {
  const store = await openPostgresStore({ url: PG_URL, schema: `pincer_${instance}`, log });
  await store.migrate();
  const bus = await openNatsBus({ instance, url: NATS_URL, ackWaitMs: 2_000, maxDeliver: 3, backoffMs: [200], log });
  return { store, bus };
}

describe.skipIf(missing !== undefined)("approvals across processes (NATS + PostgreSQL)", () => {
  it("the control node's answer reaches the waiting worker over the bus; a resumed run waits for the same request", async () => {
    const worker = await openNode();
    const control = await openNode();
    const other = await openNode();
    const config = () => ({ policy: policySchema.parse({}), approvals: approvalsSchema.parse({}) });
    const noPoll = 3_600_000;
    const workerBroker = createApprovalBroker({ store: worker.store, bus: worker.bus, config, now: Date.now, log, pollMs: noPoll });
    const controlBroker = createApprovalBroker({ store: control.store, bus: control.bus, config, now: Date.now, log, pollMs: noPoll });
    const notices: string[] = [];
    const otherBroker = createApprovalBroker({ store: other.store, bus: other.bus, config, now: Date.now, log, pollMs: noPoll, onRequested: (r) => void notices.push(r.id) });
    try {
      await worker.store.sessions.ensure({ key: "agent:default:api:dm:ap", agentId: "default", channel: "api" });
      const run = await worker.store.runs.create({ id: `run_${randomBytes(4).toString("hex")}`, sessionKey: "agent:default:api:dm:ap", agentId: "default", input: "x", status: "running" });
      const events: RunEvent[] = [];
      let waiting: Promise<unknown> | undefined;
      const requested = new Promise<string>((resolve) => {
        const view = workerBroker.safetyFor(run, { emit: (e) => {
          events.push(e);
          if (e.type === "approval_requested") resolve(e.request.id);
        } });
        waiting = view.requestApproval({ callId: "call1", tool: "exec", subject: "git", summary: "git push", reason: "ask" }, new AbortController().signal);
      });
      const id = await requested;
      expect((await control.store.runs.get(run.id))?.status).toBe("waiting_approval");
      expect(await controlBroker.answer(id, { decision: "approve" }, "operator:api")).toMatchObject({ ok: true });
      expect(await waiting).toEqual({ decision: "approved", answer: "once", by: "operator:api", requestId: id });
      expect((await control.store.runs.get(run.id))?.status).toBe("running");
      expect(events.map((e) => e.type)).toEqual(["approval_requested", "approval_answered"]);

      // The worker dies while a second call waits; another worker resumes the run and re-issues the call: it finds the
      // same request (no new one, no second notice) and the control node's answer reaches it over the bus.
      const firstAsk = new Promise<string>((resolve) => {
        const view = workerBroker.safetyFor(run, { emit: (e) => e.type === "approval_requested" && resolve(e.request.id) });
        void view.requestApproval({ callId: "call2", tool: "exec", subject: "rm", summary: "rm x", reason: "exec" }, new AbortController().signal).catch(() => {});
      });
      const firstId = await firstAsk;
      workerBroker.close();
      await worker.store.close();
      const resumedAsk = new Promise<{ id: string; waiting: Promise<unknown> }>((resolve) => {
        const waiting = otherBroker.safetyFor(run, { emit: (e) => e.type === "approval_requested" && resolve({ id: e.request.id, waiting }) })
          .requestApproval({ callId: "call2", tool: "exec", subject: "rm", summary: "rm x", reason: "exec" }, new AbortController().signal);
      });
      const { id: resumedId, waiting: resumed } = await resumedAsk;
      expect(resumedId).toBe(firstId);
      await controlBroker.answer(firstId, { decision: "deny" }, "telegram:1");
      expect(await resumed).toMatchObject({ decision: "denied", by: "telegram:1" });
      expect(notices).toEqual([]);
      expect(await control.store.approvals.list({ runId: run.id })).toHaveLength(2);
    } finally {
      controlBroker.close();
      otherBroker.close();
      await worker.bus.close();
      for (const node of [control, other]) {
        await node.bus.close();
        await node.store.close();
      }
    }
  }, 60_000);
});
