// The Store contract suite: every Store implementation (SQLite, PostgreSQL, in-memory) runs these same cases.
// Backend-only concerns (files, pragmas, permissions) are tested beside each backend, not here.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ZERO_USAGE } from "../core/domain.ts";
import type { AuditRecord, UsageRecord } from "../core/domain.ts";
import type { Store } from "./store.ts";
import { describeClusterContract } from "./store-cluster-contract.ts";
import { describeChannelContract } from "./store-channel-contract.ts";
import { describeApiContract } from "./store-api-contract.ts";
import { describeSessionStatsContract } from "./store-sessions-contract.ts";
import { describeSkillsContract } from "./store-skills-contract.ts";
import { describeMemoryContract } from "./store-memory-contract.ts";
import { describeSchedulesContract } from "./store-schedules-contract.ts";

const T0 = Date.UTC(2025, 0, 1); // epoch ms

/**
 * Registers the contract cases. `make` returns a store over a fresh, empty, unmigrated database;
 * the suite migrates it and closes it after each case. Time is faked (Date only), so the store must
 * read its clock through `Date.now()` or an injected clock that does.
 */
export function describeStore(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let pendingBefore: string[];
    let applied: string[];
    const tick = (ms = 1000) => vi.setSystemTime(Date.now() + ms);

    beforeEach(async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(T0);
      store = await make();
      pendingBefore = await store.pendingMigrations();
      applied = await store.migrate();
    });
    afterEach(async () => {
      await store.close();
      vi.useRealTimers();
    });

    const ensure = (key: string, agentId = "main") => store.sessions.ensure({ key, agentId, channel: "telegram" });

    it("migrate applies what was pending, then is idempotent", async () => {
      expect(pendingBefore).toEqual(["001_initial", "002_cluster_coordination", "003_channels", "004_journal_run", "005_session_title", "006_skills", "007_context", "008_memory", "009_automation", "010_safety"]);
      expect(applied).toEqual(pendingBefore);
      expect(await store.migrate()).toEqual([]);
      expect(await store.pendingMigrations()).toEqual([]);
    });

    describe("sessions", () => {
      it("ensure creates once and returns the existing session afterwards", async () => {
        const first = await ensure("s1");
        tick();
        const again = await store.sessions.ensure({ key: "s1", agentId: "other", channel: "slack" });
        expect(first).toEqual({ key: "s1", agentId: "main", channel: "telegram", modelOverride: undefined, queueMode: undefined, activation: undefined, title: undefined, createdAt: T0, updatedAt: T0 });
        expect(again).toEqual(first);
        expect(await store.sessions.get("missing")).toBeUndefined();
      });

      it("lists most recently active first, filtered by agent and limited", async () => {
        await ensure("a");
        tick();
        await ensure("b");
        tick();
        await ensure("c", "helper");
        tick();
        await store.transcript.append("a", undefined, [{ role: "user", content: "hi" }]);
        expect((await store.sessions.list()).map((s) => s.key)).toEqual(["a", "c", "b"]);
        expect((await store.sessions.list({ agentId: "main" })).map((s) => s.key)).toEqual(["a", "b"]);
        expect((await store.sessions.list({ limit: 1 })).map((s) => s.key)).toEqual(["a"]);
      });

      it("breaks ties by key, byte-wise whatever the database's collation", async () => {
        for (const key of ["b", "a", "B", "_"]) await ensure(key);
        expect((await store.sessions.list()).map((s) => s.key)).toEqual(["B", "_", "a", "b"]);
      });

      it("update sets and clears overrides and bumps updatedAt", async () => {
        await ensure("s1");
        tick();
        await store.sessions.update("s1", { modelOverride: "openai/gpt-5", queueMode: "collect" });
        expect(await store.sessions.get("s1")).toMatchObject({ modelOverride: "openai/gpt-5", queueMode: "collect", updatedAt: T0 + 1000 });
        await store.sessions.update("s1", { modelOverride: undefined });
        expect(await store.sessions.get("s1")).toMatchObject({ modelOverride: undefined, queueMode: "collect" });
      });

      it("clearTranscript deletes messages and the title they gave, but keeps runs", async () => {
        await ensure("s1");
        await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hi" });
        await store.transcript.append("s1", "r1", [{ role: "user", content: { role: "user", content: "hi" } }]);
        expect((await store.sessions.get("s1"))?.title).toBe("hi");
        await store.sessions.clearTranscript("s1");
        expect(await store.transcript.list("s1")).toEqual([]);
        expect((await store.sessions.get("s1"))?.title).toBeUndefined();
        expect(await store.runs.get("r1")).toBeDefined();
      });

      it("keeps a compaction on the session, reads the transcript after its point, and clears it with the transcript", async () => {
        await ensure("s1");
        const rows = await store.transcript.append("s1", "r1", ["a", "b", "c", "d"].map((t) => ({ role: "user" as const, content: t })));
        expect((await store.sessions.get("s1"))?.compaction).toBeUndefined();
        await store.sessions.saveCompaction("s1", { summary: "the user said a and b", throughId: rows[1]!.id, at: 1_700_000_000_123 });
        const session = await store.sessions.get("s1");
        expect(session?.compaction).toEqual({ summary: "the user said a and b", throughId: rows[1]!.id, at: 1_700_000_000_123 });
        const after = await store.transcript.list("s1", { afterId: session!.compaction!.throughId });
        expect(after.map((m) => m.content)).toEqual(["c", "d"]);
        expect((await store.transcript.list("s1", { afterId: rows[1]!.id, limit: 1 })).map((m) => m.content)).toEqual(["d"]);
        expect(await store.transcript.list("s1")).toHaveLength(4);
        await store.sessions.clearTranscript("s1");
        expect((await store.sessions.get("s1"))?.compaction).toBeUndefined();
      });

      it("takes the title from the first user message, keeps it, and lets update rename it", async () => {
        await ensure("s1");
        await store.transcript.append("s1", "r1", [{ role: "assistant", content: { role: "assistant", content: "Hello! How can I help?" } }]);
        expect((await store.sessions.get("s1"))?.title).toBeUndefined();
        await store.transcript.append("s1", "r1", [{ role: "user", content: { role: "user", content: [{ type: "text", text: "Plan my   trip\nto Rome" }] } }]);
        await store.transcript.append("s1", "r2", [{ role: "user", content: { role: "user", content: "something else" } }]);
        expect((await store.sessions.get("s1"))?.title).toBe("Plan my trip");
        await store.sessions.update("s1", { title: "Rome 2026" });
        await store.transcript.append("s1", "r3", [{ role: "user", content: { role: "user", content: "more" } }]);
        expect((await store.sessions.get("s1"))?.title).toBe("Rome 2026");
      });

      it("finds sessions by title, key or message text, case-insensitively, with LIKE wildcards taken literally", async () => {
        await ensure("agent:main:telegram:dm:42");
        await ensure("b");
        await ensure("c");
        await store.transcript.append("b", undefined, [{ role: "user", content: { role: "user", content: "Budget for Q3" } }]);
        await store.transcript.append("c", undefined, [{ role: "user", content: { role: "user", content: "hello" } }]);
        await store.transcript.append("c", undefined, [{ role: "assistant", content: { role: "assistant", content: "the 100% answer about BUDGETS" } }]);
        const keys = async (query: string) => (await store.sessions.list({ query })).map((s) => s.key).sort();
        expect(await keys("budget")).toEqual(["b", "c"]);
        expect(await keys("TELEGRAM")).toEqual(["agent:main:telegram:dm:42"]);
        expect(await keys("100%")).toEqual(["c"]);
        expect(await keys("%")).toEqual(["c"]);
        expect(await keys("_")).toEqual([]);
        expect(await keys("nothing like it")).toEqual([]);
      });

      it("delete removes the session with its transcript, runs and group context, and keeps usage and audit", async () => {
        await ensure("s1");
        await ensure("s2");
        await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hi" });
        await store.transcript.append("s1", "r1", [{ role: "user", content: "hi" }]);
        await store.transcript.append("s2", undefined, [{ role: "user", content: "other" }]);
        await store.groupContext.append({ sessionKey: "s1", sender: "bob", text: "psst", at: T0 }, 10);
        await store.usage.record({ runId: "r1", sessionKey: "s1", agentId: "main", provider: "p", model: "m", inputTokens: 5, outputTokens: 1, cachedTokens: 0, costUsd: 0.01, at: T0 });
        expect(await store.sessions.delete("s1")).toBe(true);
        expect(await store.sessions.get("s1")).toBeUndefined();
        expect(await store.transcript.list("s1")).toEqual([]);
        expect(await store.runs.get("r1")).toBeUndefined();
        expect(await store.groupContext.take("s1")).toEqual([]);
        expect((await store.usage.sessionTotal("s1")).inputTokens).toBe(5);
        expect(await store.transcript.list("s2")).toHaveLength(1);
        expect(await store.sessions.delete("s1")).toBe(false);
      });
    });

    describe("transcript", () => {
      it("appends in order and returns stored rows", async () => {
        await ensure("s1");
        const rows = await store.transcript.append("s1", "r1", [
          { role: "user", content: { role: "user", content: "one" } },
          { role: "assistant", content: [{ type: "text", text: "two" }] },
          { role: "tool", content: "three" },
        ]);
        expect(rows.map((r) => r.role)).toEqual(["user", "assistant", "tool"]);
        expect(rows[0]).toMatchObject({ sessionKey: "s1", runId: "r1", content: { role: "user", content: "one" }, createdAt: T0 });
        expect(rows[1]!.id).toBeGreaterThan(rows[0]!.id);
        expect(await store.transcript.list("s1")).toEqual(rows);
        expect(await store.transcript.append("s1", undefined, [])).toEqual([]);
      });

      it("limit keeps the newest N, oldest first, per session", async () => {
        await ensure("s1");
        await ensure("s2");
        for (const n of [1, 2, 3, 4]) await store.transcript.append("s1", undefined, [{ role: "user", content: n }]);
        await store.transcript.append("s2", undefined, [{ role: "user", content: 99 }]);
        expect((await store.transcript.list("s1", { limit: 2 })).map((m) => m.content)).toEqual([3, 4]);
        expect((await store.transcript.list("s1")).map((m) => m.content)).toEqual([1, 2, 3, 4]);
      });

      it("requires an existing session (ensure first)", async () => {
        await expect(store.transcript.append("missing", undefined, [{ role: "user", content: "x" }])).rejects.toThrow();
        await expect(store.runs.create({ id: "r1", sessionKey: "missing", agentId: "main", input: "x" })).rejects.toThrow();
      });
    });

    describe("runs", () => {
      it("creates pending with zero usage", async () => {
        await ensure("s1");
        const run = await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello", parentRunId: "r0" });
        expect(run).toEqual({
          id: "r1", sessionKey: "s1", agentId: "main", parentRunId: "r0", status: "pending", input: "hello",
          reply: undefined, errorCode: undefined, error: undefined, model: undefined, usage: ZERO_USAGE,
          createdAt: T0, startedAt: undefined, finishedAt: undefined, attempt: 0, worker: undefined,
        });
        expect(await store.runs.get("r1")).toEqual(run);
        expect(await store.runs.get("missing")).toBeUndefined();
      });

      it("lists a session's sub-agent runs by key prefix (wildcards literal) and by having a parent", async () => {
        for (const key of ["a_b", "a_b:sub:c1", "a_b:sub:c1:sub:g1", "aXb:sub:c2"]) await ensure(key);
        await store.runs.create({ id: "top", sessionKey: "a_b", agentId: "main", input: "x" });
        await store.runs.create({ id: "c1", sessionKey: "a_b:sub:c1", agentId: "main", input: "x", parentRunId: "top" });
        await store.runs.create({ id: "g1", sessionKey: "a_b:sub:c1:sub:g1", agentId: "main", input: "x", parentRunId: "c1" });
        await store.runs.create({ id: "c2", sessionKey: "aXb:sub:c2", agentId: "main", input: "x", parentRunId: "other" });
        expect((await store.runs.list({ sessionKeyPrefix: "a_b:sub:" })).map((r) => r.id).sort()).toEqual(["c1", "g1"]);
        expect((await store.runs.list({ hasParent: true })).map((r) => r.id).sort()).toEqual(["c1", "c2", "g1"]);
        expect((await store.runs.list({ hasParent: false })).map((r) => r.id)).toEqual(["top"]);
      });

      it("creates a running run claimed by a worker: attempt 1, as a claim right after creating it", async () => {
        await ensure("s1");
        const run = await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello", status: "running", startedAt: T0, worker: "w1" });
        expect(run).toMatchObject({ status: "running", startedAt: T0, attempt: 1, worker: "w1" });
        expect(await store.runs.get("r1")).toEqual(run);
        expect(await store.runs.claim("r1", { from: ["running"], worker: "w2" })).toMatchObject({ attempt: 2, worker: "w2" });
      });

      it("creates a run with its messages in the transcript and its journal entries marked processed", async () => {
        await ensure("s1");
        const { entry } = await store.journal.append({ channel: "webchat", account: "web", platformMessageId: "m1", sessionKey: "s1", payload: {} });
        tick();
        await store.runs.create({
          id: "r1", sessionKey: "s1", agentId: "main", input: "hello", status: "running", startedAt: T0, worker: "w1",
          messages: [{ role: "user", content: { role: "user", content: "hello" } }], journalIds: [entry.id],
        });
        expect(await store.transcript.list("s1")).toMatchObject([{ runId: "r1", role: "user", content: { role: "user", content: "hello" }, createdAt: T0 + 1000 }]);
        expect((await store.sessions.get("s1"))?.updatedAt).toBe(T0 + 1000);
        expect(await store.journal.pending()).toEqual([]);
        expect((await store.journal.append({ channel: "webchat", account: "web", platformMessageId: "m1", sessionKey: "s1", payload: {} })).entry)
          .toMatchObject({ status: "processed", runId: "r1" });
      });

      it("update sets only the given fields", async () => {
        await ensure("s1");
        await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello" });
        await store.runs.update("r1", { status: "running", startedAt: T0 + 1 });
        const usage = { inputTokens: 10, outputTokens: 5, cachedTokens: 2, costUsd: 0.25 };
        await store.runs.update("r1", { status: "succeeded", reply: "hi!", model: "openai/gpt-5", usage, finishedAt: T0 + 2 });
        expect(await store.runs.get("r1")).toMatchObject({
          status: "succeeded", input: "hello", reply: "hi!", model: "openai/gpt-5", usage, startedAt: T0 + 1, finishedAt: T0 + 2, errorCode: undefined,
        });
      });

      describe("record", () => {
        const step = (over: Partial<UsageRecord> = {}): UsageRecord => ({
          runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-5",
          inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25, at: T0, idempotencyKey: "r1:1:0", ...over,
        });
        const usage = { inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25 };

        it("writes usage, messages under the run, session activity and the patch", async () => {
          await ensure("s1");
          const run = await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello" });
          tick();
          await store.runs.record(run, {
            usage: step(),
            messages: [{ role: "assistant", content: { role: "assistant", content: "one" } }, { role: "tool", content: "two" }],
            patch: { status: "succeeded", reply: "one", usage, finishedAt: T0 + 1000 },
          });
          expect(await store.usage.sessionTotal("s1")).toEqual(usage);
          expect(await store.transcript.list("s1")).toMatchObject([
            { runId: "r1", role: "assistant", content: { role: "assistant", content: "one" }, createdAt: T0 + 1000 },
            { runId: "r1", role: "tool", content: "two" },
          ]);
          expect((await store.sessions.get("s1"))?.updatedAt).toBe(T0 + 1000);
          expect(await store.runs.get("r1")).toMatchObject({ status: "succeeded", reply: "one", usage, finishedAt: T0 + 1000, input: "hello" });
        });

        it("writes any part alone, and counts a usage entry recorded before only once", async () => {
          await ensure("s1");
          const run = await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello" });
          await store.runs.record(run, { usage: step() });
          await store.runs.record(run, { usage: step(), patch: { usage } });
          await store.runs.record(run, { messages: [{ role: "user", content: "more" }] });
          await store.runs.record(run, { patch: { status: "failed", errorCode: "timeout" } });
          await store.runs.record(run, {});
          expect(await store.usage.sessionTotal("s1")).toEqual(usage);
          expect((await store.transcript.list("s1")).map((m) => m.content)).toEqual(["more"]);
          expect(await store.runs.get("r1")).toMatchObject({ status: "failed", errorCode: "timeout", usage });
        });

        it("stores nothing when any part fails", async () => {
          await ensure("s1");
          await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hello" });
          // The messages go to a session that does not exist: their insert fails after the usage insert ran.
          const write = store.runs.record({ id: "r1", sessionKey: "missing" }, {
            usage: step({ sessionKey: "missing" }), messages: [{ role: "assistant", content: "lost" }], patch: { status: "succeeded" },
          });
          await expect(write).rejects.toThrow();
          expect(await store.usage.totals()).toEqual([]);
          expect(await store.runs.get("r1")).toMatchObject({ status: "pending" });
        });
      });

      it("lists newest first, by session and status", async () => {
        await ensure("s1");
        await ensure("s2");
        await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "1", createdAt: T0 + 1 });
        await store.runs.create({ id: "r2", sessionKey: "s1", agentId: "main", input: "2", createdAt: T0 + 2 });
        await store.runs.create({ id: "r3", sessionKey: "s2", agentId: "main", input: "3", createdAt: T0 + 3 });
        await store.runs.update("r1", { status: "running" });
        await store.runs.update("r2", { status: "failed", errorCode: "timeout", error: "model timed out" });
        const ids = async (opts: Parameters<Store["runs"]["list"]>[0]) => (await store.runs.list(opts)).map((r) => r.id);
        expect(await ids({})).toEqual(["r3", "r2", "r1"]);
        expect(await ids({ sessionKey: "s1" })).toEqual(["r2", "r1"]);
        expect(await ids({ status: ["pending", "running"] })).toEqual(["r3", "r1"]);
        expect(await ids({ status: [] })).toEqual([]);
        expect(await ids({ limit: 1 })).toEqual(["r3"]);
      });
    });

    describe("usage", () => {
      const usage = (over: Partial<UsageRecord>): UsageRecord => ({
        runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-5",
        inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25, at: T0, ...over,
      });

      it("totals group by provider and model; sessionTotal sums one session", async () => {
        await store.usage.record(usage({}));
        await store.usage.record(usage({ at: T0 + 10, costUsd: 0.5 }));
        await store.usage.record(usage({ sessionKey: "s2", provider: "anthropic", model: "claude", at: T0 + 20 }));
        expect(await store.usage.totals()).toEqual([
          { provider: "anthropic", model: "claude", calls: 1, inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25 },
          { provider: "openai", model: "gpt-5", calls: 2, inputTokens: 200, outputTokens: 20, cachedTokens: 2, costUsd: 0.75 },
        ]);
        expect((await store.usage.totals({ since: T0 + 10 })).map((t) => t.calls)).toEqual([1, 1]);
        expect((await store.usage.totals({ sessionKey: "s2" })).map((t) => t.provider)).toEqual(["anthropic"]);
        expect(await store.usage.sessionTotal("s1")).toEqual({ inputTokens: 200, outputTokens: 20, cachedTokens: 2, costUsd: 0.75 });
        expect(await store.usage.sessionTotal("none")).toEqual(ZERO_USAGE);
      });

      it("orders totals byte-wise by provider and model", async () => {
        for (const [provider, model] of [["openai", "b"], ["openai", "B"], ["Zed", "x"]] as const) await store.usage.record(usage({ provider, model }));
        expect((await store.usage.totals()).map((t) => `${t.provider}/${t.model}`)).toEqual(["Zed/x", "openai/B", "openai/b"]);
      });
    });

    describe("audit", () => {
      const audit = (over: Partial<AuditRecord>): AuditRecord => ({
        at: T0, kind: "tool.call", decision: "allow", runId: "r1", sessionKey: "s1", tool: "exec", reason: undefined, detail: undefined, ...over,
      });

      it("lists newest first with filters", async () => {
        await store.audit.write(audit({ detail: { command: "ls", exitCode: 0 } }));
        await store.audit.write(audit({ at: T0 + 1, decision: "deny", reason: "policy" }));
        await store.audit.write(audit({ at: T0 + 2, kind: "run.interrupted", decision: "info", runId: "r2", tool: undefined }));
        const all = await store.audit.list();
        expect(all.map((a) => a.at)).toEqual([T0 + 2, T0 + 1, T0]);
        expect(all[2]).toMatchObject({ id: expect.any(Number), detail: { command: "ls", exitCode: 0 }, reason: undefined });
        expect((await store.audit.list({ runId: "r1" })).map((a) => a.decision)).toEqual(["deny", "allow"]);
        expect((await store.audit.list({ kind: "run.interrupted" })).map((a) => a.runId)).toEqual(["r2"]);
        expect(await store.audit.list({ limit: 1 })).toHaveLength(1);
      });
    });

    describe("journal", () => {
      const inbound = (id: string, account = "bot1") => ({ channel: "telegram", account, platformMessageId: id, sessionKey: "s1", payload: { text: id } });

      it("appends once and reports duplicates with the original entry", async () => {
        const first = await store.journal.append(inbound("m1"));
        expect(first).toEqual({
          duplicate: false,
          entry: { id: expect.any(Number), channel: "telegram", account: "bot1", platformMessageId: "m1", sessionKey: "s1", payload: { text: "m1" }, status: "received", receivedAt: T0 },
        });
        const again = await store.journal.append({ ...inbound("m1"), payload: { text: "retry" } });
        expect(again).toEqual({ duplicate: true, entry: first.entry });
        expect((await store.journal.append(inbound("m1", "bot2"))).duplicate).toBe(false);
      });

      it("lets exactly one of 20 concurrent appends of the same message win", async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.journal.append(inbound("same"))));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.entry.id)).size).toBe(1);
      });

      it("pending lists received entries oldest first until marked", async () => {
        const a = await store.journal.append(inbound("a"));
        const b = await store.journal.append(inbound("b"));
        const c = await store.journal.append(inbound("c"));
        await store.journal.mark(b.entry.id, "processed");
        await store.journal.mark(c.entry.id, "failed");
        expect((await store.journal.pending()).map((e) => e.id)).toEqual([a.entry.id]);
      });

      it("keeps the run that took a message, and returns it with a duplicate", async () => {
        const { entry } = await store.journal.append(inbound("m1"));
        expect(entry.runId).toBeUndefined();
        await store.journal.mark(entry.id, "processed", "run-1");
        await store.journal.mark(entry.id, "processed");
        expect(await store.journal.append(inbound("m1"))).toEqual({ duplicate: true, entry: { ...entry, status: "processed", runId: "run-1" } });
      });
    });

    describeClusterContract({ store: () => store, tick, T0 });

    describeChannelContract({ store: () => store, tick, T0 });

    describeApiContract({ store: () => store, tick, T0 });

    describeSessionStatsContract({ store: () => store, tick, T0 });

    describeSkillsContract({ store: () => store, tick });
    describeMemoryContract({ store: () => store, tick, T0 });
    describeSchedulesContract({ store: () => store, tick, T0 });
  });
}
