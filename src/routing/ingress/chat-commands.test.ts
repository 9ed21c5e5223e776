import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../core/config-schema.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import { openSqliteStore } from "../../store/index.ts";
import type { Store } from "../../store/store.ts";
import type { Dispatcher, TurnRequest } from "../dispatcher.ts";
import { parseCommand, runCommand, type CommandContext } from "./chat-commands.ts";

const SESSION = "agent:main:telegram:group:-100";
let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  await store.sessions.ensure({ key: SESSION, agentId: "main", channel: "telegram" });
});
afterEach(() => store.close());

/** A dispatcher that records what is sent and answers with `reply`; `active` names a running reply. */
function fakeDispatcher(opts: { active?: string; reply?: string }): Dispatcher & { sent: TurnRequest[] } {
  const sent: TurnRequest[] = [];
  return {
    sent,
    send: async (req: TurnRequest) => {
      sent.push(req);
      return { disposition: "started", result: Promise.resolve({ runId: "r", status: "succeeded", reply: opts.reply ?? "", usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 }, model: undefined, errorCode: undefined, error: undefined }) };
    },
    lanes: { activeRunId: () => opts.active, activeSessions: () => [], queueDepth: () => 0 },
  } as unknown as Dispatcher & { sent: TurnRequest[] };
}

function context(dispatcher: Dispatcher, owner: boolean): CommandContext {
  const msg: InboundMessage = {
    channel: "telegram", account: "main", messageId: "1", chat: { kind: "group", id: "-100" }, sender: { id: "7", isBot: false },
    text: "/compact", mentioned: true, media: [], at: 0,
  };
  return {
    msg, sessionKey: SESSION, agentId: "main", owner, config: configSchema.parse({}), dmScope: "per-peer", store, dispatcher,
    knownModels: () => [], isUsableModel: () => false,
  };
}

describe("/compact", () => {
  it("sends the compaction as a followup run of the session and answers with its reply", async () => {
    const dispatcher = fakeDispatcher({ reply: "Compacted: 4 older message(s) summarised." });
    const reply = await runCommand(parseCommand("/compact the budget")!, context(dispatcher, true));
    expect(reply).toBe("Compacted: 4 older message(s) summarised.");
    expect(dispatcher.sent).toEqual([{ agentId: "main", sessionKey: SESSION, channel: "telegram", text: "/compact the budget", queueMode: "followup" }]);
  });

  it("is refused to a non-owner in a group, and while a reply is running", async () => {
    const idle = fakeDispatcher({});
    expect(await runCommand(parseCommand("/compact")!, context(idle, false))).toMatch(/^Only an owner can compact the conversation here\./);
    const busy = fakeDispatcher({ active: "run_1" });
    expect(await runCommand(parseCommand("/compact")!, context(busy, true))).toBe("A reply is running. Send /compact again when it has finished (or /stop it).");
    expect([...idle.sent, ...busy.sent]).toEqual([]);
  });
});

describe("/status", () => {
  it("shows the history's share of the model's window and that it never compacted", async () => {
    await store.transcript.append(SESSION, "r1", [{ role: "user", content: { role: "user", content: "x".repeat(4_000) } }]);
    const reply = await runCommand(parseCommand("/status")!, context(fakeDispatcher({}), true));
    expect(reply).toContain("Context: history about 1,004 of 32,000 tokens (3%); never compacted");
  });
});
