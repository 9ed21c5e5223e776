import { describe, expect, it } from "vitest";
import { telegramAccountSchema } from "../../core/channel-config.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import { decideAccess, isMentioned, matchesSender } from "./access-policy.ts";
import { pickAgent, sessionKeyFor } from "./session-routing.ts";
import { PAIRING_ALPHABET, newPairingCode } from "./pairing-code.ts";

const account = (extra: Record<string, unknown> = {}) => telegramAccountSchema.parse({ token: "1:a", ...extra });
const facts = { approved: false, activation: undefined, isCommand: false };

function msg(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    channel: "telegram", account: "default", messageId: "1:1", chat: { kind: "dm", id: "7" },
    sender: { id: "7", name: "Ann", username: "ann", isBot: false }, text: "hi", mentioned: false, media: [], at: 0, ...over,
  };
}
const group = (over: Partial<InboundMessage> = {}) => msg({ chat: { kind: "group", id: "-100" }, ...over });

describe("decideAccess: DMs", () => {
  it("pairs unknown senders by default; approved, listed and owner senders pass", () => {
    expect(decideAccess(msg(), account(), facts)).toEqual({ action: "pair" });
    expect(decideAccess(msg(), account(), { ...facts, approved: true })).toEqual({ action: "accept" });
    expect(decideAccess(msg(), account({ allow_from: ["@Ann"] }), facts)).toEqual({ action: "accept" });
    expect(decideAccess(msg(), account({ owners: [7] }), facts)).toEqual({ action: "accept" });
  });

  it("follows allowlist, open and disabled", () => {
    expect(decideAccess(msg(), account({ dm_policy: "allowlist" }), facts).action).toBe("drop");
    expect(decideAccess(msg(), account({ dm_policy: "allowlist", allow_from: ["*"] }), facts).action).toBe("accept");
    expect(decideAccess(msg(), account({ dm_policy: "open" }), facts).action).toBe("accept");
    expect(decideAccess(msg(), account({ dm_policy: "disabled", allow_from: ["7"] }), facts).action).toBe("drop");
  });
});

describe("decideAccess: groups", () => {
  it("drops groups that are not listed (allowlist), or when groups are disabled", () => {
    expect(decideAccess(group({ mentioned: true }), account(), facts)).toMatchObject({ action: "drop", reason: "group -100 is not listed under groups" });
    expect(decideAccess(group({ mentioned: true }), account({ group_policy: "disabled", groups: { "-100": {} } }), facts).action).toBe("drop");
    expect(decideAccess(group({ mentioned: true }), account({ group_policy: "open" }), facts).action).toBe("accept");
  });

  it("needs a mention (a reply to the bot or a pattern counts); else the message is quiet context", () => {
    const cfg = account({ groups: { "-100": {} }, mention_patterns: ["\\bpincer\\b"] });
    expect(decideAccess(group(), cfg, facts)).toEqual({ action: "context", reason: "not mentioned" });
    expect(decideAccess(group({ mentioned: true }), cfg, facts).action).toBe("accept");
    expect(decideAccess(group({ replyTo: { messageId: "x", fromBot: true } }), cfg, facts).action).toBe("accept");
    expect(decideAccess(group({ text: "hey Pincer, help" }), cfg, facts).action).toBe("accept");
    expect(decideAccess(group({ text: "/status" }), cfg, { ...facts, isCommand: true }).action).toBe("accept");
  });

  it("lets per-group settings and /activation override the account", () => {
    expect(decideAccess(group(), account({ groups: { "*": { require_mention: false } } }), facts).action).toBe("accept");
    expect(decideAccess(group(), account({ groups: { "-100": {} } }), { ...facts, activation: "always" }).action).toBe("accept");
    expect(decideAccess(group({ mentioned: true }), account({ groups: { "-100": { enabled: false } } }), facts).action).toBe("drop");
    const onlyBob = account({ groups: { "-100": { allow_from: ["bob"] } } });
    expect(decideAccess(group({ mentioned: true }), onlyBob, facts)).toMatchObject({ action: "drop", reason: "sender not in this group's allow_from" });
  });

  it("ignores bots unless allowed, and never answers a bot replying to this bot", () => {
    const bot = { id: "9", name: "other", isBot: true };
    const cfg = account({ groups: { "-100": {} } });
    expect(decideAccess(group({ sender: bot, mentioned: true }), cfg, facts).action).toBe("drop");
    const allowing = account({ groups: { "-100": {} }, allow_bots: true });
    expect(decideAccess(group({ sender: bot, mentioned: true }), allowing, facts).action).toBe("accept");
    expect(decideAccess(group({ sender: bot, replyTo: { messageId: "x", fromBot: true } }), allowing, facts)).toMatchObject({ action: "drop", reason: "a bot replying to this bot (loop guard)" });
  });
});

describe("helpers", () => {
  it("matches senders by id, @username or *", () => {
    const s = { id: "7", username: "Ann", isBot: false };
    expect(matchesSender(["7"], s)).toBe(true);
    expect(matchesSender(["@ann"], s)).toBe(true);
    expect(matchesSender(["bob", "8"], s)).toBe(false);
    expect(matchesSender(["*"], s)).toBe(true);
  });

  it("treats an invalid pattern as no match", () => {
    expect(isMentioned(msg({ text: "x" }), ["("])).toBe(false);
  });

  it("makes 8-character codes without look-alikes", () => {
    for (let i = 0; i < 50; i++) {
      const code = newPairingCode();
      expect(code).toHaveLength(8);
      expect([...code].every((c) => PAIRING_ALPHABET.includes(c))).toBe(true);
    }
    expect(PAIRING_ALPHABET).not.toMatch(/[01OIL]/);
  });
});

describe("session routing", () => {
  it("keys DMs by dm_scope, groups by group, threads on their own", () => {
    expect(sessionKeyFor(msg(), "default", "per-channel-peer")).toBe("agent:default:telegram:dm:7");
    expect(sessionKeyFor(msg({ account: "work" }), "default", "per-channel-peer")).toBe("agent:default:telegram:dm:work/7");
    expect(sessionKeyFor(msg(), "default", "per-peer")).toBe("agent:default:any:dm:7");
    expect(sessionKeyFor(msg(), "default", "main")).toBe("agent:default:main:dm:main");
    expect(sessionKeyFor(group(), "default", "main")).toBe("agent:default:telegram:group:-100");
    expect(sessionKeyFor(group({ threadId: "5" }), "default", "main")).toBe("agent:default:telegram:thread:-100/5");
  });

  it("picks the most specific binding", () => {
    const bindings = [
      { agent: "chan", match: { channel: "telegram" as const } },
      { agent: "acct", match: { channel: "telegram" as const, account: "default" } },
      { agent: "peer", match: { channel: "telegram" as const, peer: { kind: "group" as const, id: "-100" } } },
    ];
    expect(pickAgent(group(), bindings, ["default"])).toBe("peer");
    expect(pickAgent(msg(), bindings, ["default"])).toBe("acct");
    expect(pickAgent(msg({ channel: "slack" }), bindings, ["main", "default"])).toBe("default");
    expect(pickAgent(msg({ channel: "slack" }), [], ["main"])).toBe("main");
  });
});
