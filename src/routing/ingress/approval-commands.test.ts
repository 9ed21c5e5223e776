import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../core/config-schema.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import { openSqliteStore } from "../../store/index.ts";
import type { Store } from "../../store/store.ts";
import type { ApprovalService } from "../approval-service.ts";
import { addPendingRequest, CODE_TTL_MS, createFakeApprovals } from "../approval-test-kit.ts";
import type { Dispatcher } from "../dispatcher.ts";
import { parseCommand, runCommand, type CommandContext } from "./chat-commands.ts";

const SESSION = "agent:main:telegram:dm:7";
const config = configSchema.parse({ policy: { elevated: { enabled: true, allow: ["browser"] } } });
let store: Store;
let clock: number;
let approvals: ApprovalService;

beforeEach(async () => {
  clock = Date.parse("2026-03-01T10:00:00Z");
  store = await openSqliteStore({ path: ":memory:" });
  await store.sessions.ensure({ key: SESSION, agentId: "main", channel: "telegram" });
  approvals = createFakeApprovals({ store, now: () => clock, code: () => "K7P2QX" });
  await store.runs.create({
    id: "run_1", sessionKey: SESSION, agentId: "main", input: "deploy",
    origin: { channel: "telegram", account: "main", chatKind: "dm", chatId: "7", senderId: "7" },
  });
});
afterEach(() => store.close());

const dispatcher = { stop: () => ({ runId: undefined, dropped: 0 }), lanes: { activeRunId: () => undefined, queueDepth: () => 0 } } as unknown as Dispatcher;

function context(opts: { owner: boolean; senderId?: string; account?: string; service?: ApprovalService | undefined }): CommandContext {
  const msg: InboundMessage = {
    channel: "telegram", account: opts.account ?? "main", messageId: "1", chat: { kind: "dm", id: opts.senderId ?? "7" },
    sender: { id: opts.senderId ?? "7", isBot: false }, text: "", mentioned: true, media: [], at: 0,
  };
  return {
    msg, sessionKey: SESSION, agentId: "main", owner: opts.owner, config, dmScope: "per-channel-peer", store, dispatcher,
    knownModels: () => [], isUsableModel: () => false, approvals: "service" in opts ? opts.service : approvals, now: () => clock,
  };
}

const run = (text: string, ctx: CommandContext): Promise<string> => runCommand(parseCommand(text)!, ctx);

describe("/approve and /deny", () => {
  it("lets an owner approve once, recorded as answered by the owner's channel id", async () => {
    await addPendingRequest(store, { id: "ap_1", runId: "run_1", sessionKey: SESSION }, clock);
    expect(await run("/approve ap_1", context({ owner: true }))).toBe("Approved ap_1 (exec) once.");
    expect(await store.approvals.get("ap_1")).toMatchObject({ status: "approved", answer: "once", answeredBy: "telegram:7" });
  });

  it("adds a narrow rule on always and says how to revoke it", async () => {
    await addPendingRequest(store, { id: "ap_2", runId: "run_1", sessionKey: SESSION }, clock);
    const reply = await run("/approve ap_2 always", context({ owner: true }));
    expect(reply).toBe("Approved ap_2 (exec). From now on exec with git runs without asking; revoke it in the Control UI or with 'pincer approvals revoke'.");
    expect(await store.approvals.rules()).toMatchObject([{ tool: "exec", subject: "git", createdBy: "telegram:7", fromRequest: "ap_2" }]);
  });

  it("denies, and says so when the request was answered already", async () => {
    await addPendingRequest(store, { id: "ap_3", runId: "run_1", sessionKey: SESSION }, clock);
    expect(await run("/deny ap_3", context({ owner: true }))).toBe("Denied ap_3 (exec). The model is told and carries on.");
    expect(await run("/approve ap_3", context({ owner: true }))).toBe("Request ap_3 was already answered (denied by telegram:7).");
  });

  it("refuses a non-owner, changes nothing and audits the refusal", async () => {
    await addPendingRequest(store, { id: "ap_4", runId: "run_1", sessionKey: SESSION }, clock);
    const reply = await run("/approve ap_4 always", context({ owner: false, senderId: "666" }));
    expect(reply).toBe("Only an owner can answer approval requests. Owners are listed in channels.telegram.accounts.main.owners (your id: 666).");
    expect((await store.approvals.get("ap_4"))?.status).toBe("pending");
    const [record] = await store.audit.list({ kind: "approval.refused" });
    expect(record).toMatchObject({ decision: "deny", reason: "sender is not an owner", detail: { command: "/approve", args: "ap_4 always", senderId: "666" } });
  });

  it("refuses an owner of another account for a request of this one", async () => {
    await addPendingRequest(store, { id: "ap_5", runId: "run_1", sessionKey: SESSION }, clock);
    expect(await run("/approve ap_5", context({ owner: true, account: "other" }))).toMatch(/^Request ap_5 did not come from this chat account; answer it in the Control UI/);
    expect((await store.approvals.get("ap_5"))?.status).toBe("pending");
  });

  it("answers unknown ids, bad usage and a missing service with what to do", async () => {
    expect(await run("/approve nope", context({ owner: true }))).toBe('No approval request "nope". Pending ones are listed by /status.');
    expect(await run("/approve", context({ owner: true }))).toBe("Usage: /approve <id> [always]");
    expect(await run("/deny ap_1 always", context({ owner: true }))).toBe("Usage: /deny <id>");
    expect(await run("/approve ap_1", context({ owner: true, service: undefined }))).toMatch(/^Approvals are not available here/);
  });
});

describe("/elevate", () => {
  it("answers with the code and what it allows, then turns on with the right code", async () => {
    const offer = await run("/elevate on 30 fix the deploy", context({ owner: true }));
    expect(offer).toBe([
      "To turn on elevated mode for 30 min in this conversation, send: /elevate confirm K7P2QX",
      "While on: exec runs on the host instead of the sandbox; these tools are allowed too: browser. Blocked binaries and deny rules still apply.",
      "The code is valid 5 minutes. It ends at expiry, with /elevate off or /new.",
    ].join("\n"));
    expect(await run("/elevate confirm WRONG1", context({ owner: true }))).toBe("Elevated mode was not turned on: the code does not match. Ask for a new code with /elevate on.");
    expect(await run("/elevate confirm K7P2QX", context({ owner: true }))).toBe("Elevated mode is on for 30 min (until 10:30 UTC). End it with /elevate off.");
    expect(await store.elevations.get(SESSION)).toMatchObject({ status: "active", reason: "fix the deploy", requestedBy: "telegram:7" });
  });

  it("refuses a code after it expired", async () => {
    await run("/elevate on", context({ owner: true }));
    clock += CODE_TTL_MS + 1;
    expect(await run("/elevate confirm K7P2QX", context({ owner: true }))).toBe("Elevated mode was not turned on: the code has expired. Ask for a new code with /elevate on.");
  });

  it("shows in /status with the time left, ends with /elevate off, and is refused to non-owners", async () => {
    await run("/elevate on 20", context({ owner: true }));
    await run("/elevate confirm K7P2QX", context({ owner: true }));
    clock += 5 * 60_000;
    await addPendingRequest(store, { id: "ap_9", runId: "run_1", sessionKey: SESSION }, clock);
    const status = await run("/status", context({ owner: true }));
    expect(status).toContain("Elevated: on, 15 min left");
    expect(status).toContain('• ap_9 exec "git push origin main", expires in 10 min');
    expect(await run("/elevate on", context({ owner: false, senderId: "666" }))).toMatch(/^Only an owner can turn on elevated mode\./);
    expect(await store.audit.list({ kind: "elevation.refused" })).toHaveLength(1);
    expect(await run("/elevate off", context({ owner: true }))).toBe("Elevated mode is off.");
    expect(await run("/elevate off", context({ owner: true }))).toBe("Elevated mode was not on.");
  });

  it("ends with /new", async () => {
    await run("/elevate on", context({ owner: true }));
    await run("/elevate confirm K7P2QX", context({ owner: true }));
    await run("/new", context({ owner: true }));
    expect(await store.elevations.get(SESSION)).toMatchObject({ status: "ended", endReason: "/new" });
  });

  it("is refused when policy.elevated is off, with the reason", async () => {
    const off = createFakeApprovals({ store, now: () => clock, elevated: { enabled: false, default_minutes: 15, max_minutes: 120 } });
    expect(await run("/elevate on", context({ owner: true, service: off }))).toBe("Elevated mode was not started: elevated mode is off (policy.elevated.enabled is false).");
  });
});
