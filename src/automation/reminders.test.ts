// The schedule tool over the reminders view: `when` parsing, reminders bound to the conversation and its chat,
// the per-chat limit, cancel only of the chat's own reminders, audit records, and who is offered the tool.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Run } from "../core/domain.ts";
import { ToolError } from "../core/errors.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { createScheduleTool, parseWhen } from "../tools/builtin/schedule-tool.ts";
import type { ToolContext } from "../tools/tool.ts";
import { MAX_REMINDERS_PER_SESSION, remindersFor } from "./reminders.ts";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const SESSION = "agent:default:telegram:dm:42";
const run = (over: Partial<Run> = {}): Run => ({
  id: "run1", sessionKey: SESSION, agentId: "default", parentRunId: undefined, status: "running", input: "remind me", reply: undefined,
  errorCode: undefined, error: undefined, model: undefined, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 },
  createdAt: T0, startedAt: T0, finishedAt: undefined, attempt: 1, worker: undefined, trigger: "message",
  origin: { channel: "telegram", account: "main", chatKind: "dm", chatId: "42", messageId: "9" }, ...over,
});
const ctx = {} as ToolContext;

let store: Store;
let changed = 0;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  changed = 0;
});
afterEach(() => store.close());

const toolFor = (r: Run = run()) => {
  const view = remindersFor(r, { store, now: () => T0, knownAgent: (id) => id === "default", changed: () => changed++ });
  if (!view) throw new Error("no reminders for this run");
  return createScheduleTool(view);
};

describe("parseWhen", () => {
  it("reads relative times, intervals, cron expressions and date-times", () => {
    expect(parseWhen("in 20m")).toEqual({ kind: "in", ms: 1_200_000 });
    expect(parseWhen("IN 10S")).toEqual({ kind: "in", ms: 10_000 });
    expect(parseWhen("every 1h")).toEqual({ kind: "every", expr: "1h" });
    expect(parseWhen("0 8 * * 1-5")).toEqual({ kind: "cron", expr: "0 8 * * 1-5" });
    expect(parseWhen("2026-12-24T09:00")).toEqual({ kind: "at", expr: "2026-12-24T09:00" });
    expect(parseWhen("2026-12-24T09:00:00+01:00")).toEqual({ kind: "at", expr: "2026-12-24T09:00:00+01:00" });
    for (const bad of ["tomorrow", "in 0m", "every 5", "* * * * * *", "in 20 minutes"]) expect(parseWhen(bad)).toBeUndefined();
  });
});

describe("the schedule tool", () => {
  it("creates a reminder for this chat in this conversation, audited, and wakes the scheduler", async () => {
    const result = await toolFor().execute({ action: "create", when: "in 20m", message: "tell them to call mom", name: "mom" }, ctx);
    expect(result.text).toMatch(/^created sch_\S+ \(mom\); next: 2026-03-01T12:20:00.000Z$/);
    const [created] = await store.schedules.list();
    expect(created).toMatchObject({
      name: "mom", kind: "at", expr: "2026-03-01T12:20:00.000Z", message: "tell them to call mom", agentId: "default", session: SESSION,
      deliver: "telegram:main:42", concurrency: "allow", catchup: "once", createdBy: `tool:${SESSION}`, nextFireAt: T0 + 1_200_000,
    });
    expect(changed).toBe(1);
    expect(await store.audit.list({ kind: "schedule.create" })).toEqual([expect.objectContaining({ runId: "run1", sessionKey: SESSION, tool: "schedule", detail: expect.objectContaining({ scheduleId: created?.id }) })]);
  });

  it("delivers a group chat's reminders to that group", async () => {
    await toolFor(run({ origin: { channel: "slack", account: "work", chatKind: "group", chatId: "C1" } })).execute({ action: "create", when: "every 1h", message: "stand up" }, ctx);
    expect((await store.schedules.list())[0]).toMatchObject({ deliver: "slack:work:group:C1", kind: "every", expr: "1h", name: expect.stringMatching(/^reminder-[0-9a-f]{8}$/) });
  });

  it("refuses bad times: unreadable, past, too frequent, a cron expression croner refuses", async () => {
    const tool = toolFor();
    const refuse = (args: Record<string, unknown>) => tool.execute({ action: "create", message: "x", ...args }, ctx);
    await expect(refuse({ when: "soonish" })).rejects.toThrow(/argument "when"/);
    await expect(refuse({ when: "2020-01-01T00:00:00Z" })).rejects.toThrow(/in the past/);
    await expect(refuse({ when: "every 30s" })).rejects.toThrow(/every minute/);
    await expect(refuse({ when: "99 8 * * *" })).rejects.toThrow(/cron/);
    await expect(refuse({ when: "0 8 * * *", tz: "Mars/Olympus" })).rejects.toThrow(/time zone/);
    await expect(tool.execute({ action: "create", when: "in 5m" }, ctx)).rejects.toThrow(/needs when and message/);
    expect(await store.schedules.list()).toEqual([]);
  });

  it("limits reminders per chat", async () => {
    const tool = toolFor();
    for (let i = 0; i < MAX_REMINDERS_PER_SESSION; i++) await tool.execute({ action: "create", when: `in ${i + 1}m`, message: `r${i}` }, ctx);
    const err = await tool.execute({ action: "create", when: "in 1h", message: "one more" }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe("limit");
  });

  it("lists and cancels only this conversation's reminders", async () => {
    await toolFor().execute({ action: "create", when: "in 1h", message: "mine", name: "mine" }, ctx);
    await toolFor(run({ sessionKey: "agent:default:telegram:dm:7" })).execute({ action: "create", when: "in 1h", message: "theirs", name: "theirs" }, ctx);
    const tool = toolFor();
    expect((await tool.execute({ action: "list" }, ctx)).text).toMatch(/^sch_\S+ mine: at 2026-03-01T13:00:00.000Z; next 2026-03-01T13:00:00.000Z; "mine"$/);
    await expect(tool.execute({ action: "cancel", id: "theirs" }, ctx)).rejects.toThrow(/no reminder "theirs" in this chat/);
    expect((await tool.execute({ action: "cancel", id: "mine" }, ctx)).text).toMatch(/^cancelled sch_\S+ \(mine\)$/);
    expect((await tool.execute({ action: "list" }, ctx)).text).toBe("no reminders in this chat");
    expect((await store.schedules.list()).map((s) => s.name)).toEqual(["theirs"]);
    expect(await store.audit.list({ kind: "schedule.cancel" })).toHaveLength(1);
  });

  it("is offered only to runs answering a chat message", () => {
    const opts = { store, now: () => T0, knownAgent: () => true };
    expect(remindersFor(run(), opts)).toBeDefined();
    expect(remindersFor(run({ origin: undefined }), opts)).toBeUndefined();
    expect(remindersFor(run({ trigger: "schedule" }), opts)).toBeUndefined();
    expect(remindersFor(run({ trigger: "hook" }), opts)).toBeUndefined();
    expect(remindersFor(run({ parentRunId: "run0" }), opts)).toBeUndefined();
  });
});
