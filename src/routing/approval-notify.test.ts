import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import { openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import { notifyApprovalRequested } from "./approval-notify.ts";
import { addPendingRequest } from "./approval-test-kit.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const config = configSchema.parse({
  channels: { telegram: { accounts: { main: { token: "1:a", owners: ["7", "@boss"] } } } },
});
let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
});
afterEach(() => store.close());

const deps = () => ({ store, config: () => config, now: () => NOW });
const route = (o: Partial<ReplyRoute>): ReplyRoute => ({ channel: "telegram", account: "main", chatKind: "dm", chatId: "7", senderId: "7", ...o });

async function runFrom(id: string, origin: ReplyRoute | undefined, createdAt = NOW - 1000) {
  const sessionKey = `agent:main:telegram:${origin?.chatKind ?? "dm"}:${origin?.chatId ?? "x"}`;
  await store.sessions.ensure({ key: sessionKey, agentId: "main", channel: "telegram" });
  return store.runs.create({ id, sessionKey, agentId: "main", input: "hi", createdAt, ...(origin ? { origin } : {}) });
}

describe("notifyApprovalRequested", () => {
  it("sends the notice to the run's chat when it is an owner's DM: tool, summary, why, answers", async () => {
    const run = await runFrom("run_1", route({}));
    const request = await addPendingRequest(store, {
      id: "ap_1", runId: run.id, sessionKey: run.sessionKey, reason: "taint",
      taintSources: [{ kind: "web", label: "web_fetch https://evil.example/page", at: NOW }], summary: "cat ~/.pincer/auth.json",
    }, NOW);
    expect(await notifyApprovalRequested(request, run, deps())).toEqual([{ channel: "telegram", account: "main", chatId: "7" }]);
    const [notice] = await store.notices.pending("telegram", "main");
    expect(notice?.text).toBe([
      "Approval needed (ap_1): exec",
      "cat ~/.pincer/auth.json",
      "Why: the run holds untrusted content (web_fetch https://evil.example/page).",
      "Session: agent:main:telegram:dm:7. Expires in 10 min.",
      "Answer: /approve ap_1 · /approve ap_1 always · /deny ap_1",
    ].join("\n"));
  });

  it("sends a group run's request to the owners' DMs seen before, never to the group", async () => {
    await runFrom("run_old", route({ chatId: "dm-boss", senderId: "42", senderUsername: "Boss" }), NOW - 86_400_000);
    await runFrom("run_stranger", route({ chatId: "dm-x", senderId: "99" }), NOW - 2000);
    const run = await runFrom("run_2", route({ chatKind: "group", chatId: "-100", senderId: "99" }));
    const request = await addPendingRequest(store, { id: "ap_2", runId: run.id, sessionKey: run.sessionKey }, NOW);
    expect(await notifyApprovalRequested(request, run, deps())).toEqual([{ channel: "telegram", account: "main", chatId: "dm-boss" }]);
  });

  it("sends nothing for runs without a chat or accounts without owners", async () => {
    const run = await runFrom("run_3", undefined);
    const request = await addPendingRequest(store, { id: "ap_3", runId: run.id, sessionKey: run.sessionKey }, NOW);
    expect(await notifyApprovalRequested(request, run, deps())).toEqual([]);
    const other = await runFrom("run_4", route({ account: "unknown" }));
    expect(await notifyApprovalRequested(request, other, deps())).toEqual([]);
    expect(await store.notices.pending("telegram", "main")).toEqual([]);
  });

  it("clips a long summary to one line", async () => {
    const run = await runFrom("run_5", route({}));
    const request = await addPendingRequest(store, { id: "ap_5", runId: run.id, sessionKey: run.sessionKey, summary: `echo ${"x".repeat(2000)}\nrm -rf /` }, NOW);
    await notifyApprovalRequested(request, run, deps());
    const [notice] = await store.notices.pending("telegram", "main");
    const summary = notice!.text.split("\n")[1]!;
    expect(summary).toHaveLength(400);
    expect(summary.endsWith("…")).toBe(true);
  });
});
