import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import { payerOfRun } from "./run-payer.ts";

const ORIGIN = { channel: "telegram", account: "main", chatKind: "dm" as const, chatId: "42", senderId: "42" };

let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
});
afterEach(() => store.close());

describe("payerOfRun", () => {
  it("a chat run pays as its session, agent and sender; a sub-agent's grandchild as itself and the chat's sender", async () => {
    for (const key of ["agent:main:telegram:dm:42", "agent:main:telegram:dm:42:sub:1", "agent:main:telegram:dm:42:sub:1:sub:2"]) await store.sessions.ensure({ key, agentId: "main", channel: "telegram" });
    const parent = await store.runs.create({ id: "p", sessionKey: "agent:main:telegram:dm:42", agentId: "main", input: "hi", origin: ORIGIN });
    expect(await payerOfRun(store, parent)).toEqual({ runId: "p", sessionKey: parent.sessionKey, agentId: "main", sender: "telegram:42", origin: ORIGIN });
    await store.runs.create({ id: "c", sessionKey: `${parent.sessionKey}:sub:1`, agentId: "helper", input: "task", parentRunId: "p" });
    const grandchild = await store.runs.create({ id: "g", sessionKey: `${parent.sessionKey}:sub:1:sub:2`, agentId: "helper", input: "task", parentRunId: "c" });
    expect(await payerOfRun(store, grandchild)).toEqual({ runId: "g", sessionKey: grandchild.sessionKey, agentId: "helper", sender: "telegram:42", origin: ORIGIN });
  });

  it("a run without an origin (API, schedule without a chat) has no sender", async () => {
    await store.sessions.ensure({ key: "agent:main:api:dm:x", agentId: "main", channel: "api" });
    const run = await store.runs.create({ id: "a", sessionKey: "agent:main:api:dm:x", agentId: "main", input: "hi" });
    expect(await payerOfRun(store, run)).toEqual({ runId: "a", sessionKey: run.sessionKey, agentId: "main" });
  });
});
