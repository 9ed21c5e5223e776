// Pure mapping of Slack events: which events are delivered, how they map, and Slack markup → readable text.
import { describe, expect, it } from "vitest";
import { readMessageEvent, toInbound, toReadableText, type SlackMessageEvent, type SlackSelf } from "./slack-inbound.ts";

const self: SlackSelf = { userId: "UBOT", botId: "BBOT", name: "pincer" };
const body = (event: Record<string, unknown>): Record<string, unknown> => ({ type: "event_callback", event_id: "Ev1", event });
const base = { type: "message", channel: "C1", channel_type: "channel", user: "U1", text: "hi", ts: "1700000000.000100" };
const map = (event: Record<string, unknown>) => {
  const read = readMessageEvent(body(event), self);
  return read.kind === "message" ? toInbound(read.event, { account: "work", self }) : undefined;
};

describe("readMessageEvent", () => {
  it("delivers plain messages, file shares, thread broadcasts, other bots and app mentions", () => {
    for (const extra of [{}, { subtype: "file_share" }, { subtype: "thread_broadcast" }, { subtype: "bot_message", user: undefined, bot_id: "BOTHER" }]) {
      expect(readMessageEvent(body({ ...base, ...extra }), self).kind).toBe("message");
    }
    expect(readMessageEvent(body({ type: "app_mention", channel: "C1", user: "U1", text: "<@UBOT>", ts: "1.2" }), self).kind).toBe("message");
  });

  it("ignores edits, deletions, joins, its own posts and other event types", () => {
    for (const extra of [{ subtype: "message_changed" }, { subtype: "message_deleted" }, { subtype: "channel_join" }, { user: "UBOT" }, { user: undefined, bot_id: "BBOT", subtype: "bot_message" }, { type: "reaction_added" }]) {
      expect(readMessageEvent(body({ ...base, ...extra }), self).kind).toBe("ignored");
    }
  });

  it.each([
    ["non-string text", { ...base, text: 42 }, "event.text"],
    ["non-array files", { ...base, subtype: "file_share", files: { id: "F1" } }, "event.files"],
    ["a file that is not an object", { ...base, files: ["F1"] }, "event.files.0"],
    ["no channel", { ...base, channel: undefined }, "event.channel"],
    ["a numeric ts", { ...base, ts: 1700000000.0001 }, "event.ts"],
    ["a nested array as user", { ...base, user: [[[["U1"]]]] }, "event.user"],
  ])("reports %s as malformed, naming the field", (_name, event, field) => {
    const read = readMessageEvent(body(event), self);
    expect(read.kind).toBe("malformed");
    expect(read.kind === "malformed" && read.problem).toContain(field);
  });

  it.each([["null", null], ["an array", [1, 2]], ["a number", 7], ["a string", "nonsense"], ["an event that is an array", { type: "event_callback", event: [] }]])(
    "reports %s as a body as malformed",
    (_name, value) => {
      expect(readMessageEvent(value, self).kind).toBe("malformed");
    },
  );
});

describe("toInbound", () => {
  it("maps chat kinds: im → dm; channel, group and mpim → group; an app_mention in a D… channel → dm", () => {
    expect(map({ ...base, channel: "D1", channel_type: "im" })?.chat.kind).toBe("dm");
    expect(["channel", "group", "mpim"].map((t) => map({ ...base, channel_type: t })?.chat.kind)).toEqual(["group", "group", "group"]);
    expect(map({ type: "app_mention", channel: "D9", user: "U1", text: "x", ts: "1.2" })?.chat.kind).toBe("dm");
  });

  it("gives a thread reply its threadId, and replyTo with fromBot from parent_user_id", () => {
    const reply = map({ ...base, ts: "1700000005.000100", thread_ts: "1700000000.000100", parent_user_id: "U2" });
    expect(reply).toMatchObject({ threadId: "1700000000.000100", replyTo: { messageId: "C1:1700000000.000100", fromBot: false } });
    const parent = map({ ...base, thread_ts: base.ts });
    expect(parent?.threadId).toBeUndefined();
    expect(parent?.replyTo).toBeUndefined();
  });

  it("marks other bots' posts isBot and uses their display name", () => {
    expect(map({ ...base, user: undefined, bot_id: "BOTHER", subtype: "bot_message", username: "deploybot" })?.sender).toEqual({ id: "BOTHER", name: "deploybot", isBot: true });
  });

  it("maps files by mimetype and skips files without a URL", () => {
    const file = (mimetype: string, name: string) => ({ id: "F1", name, mimetype, size: 3, url_private: `https://files.slack.com/${name}`, url_private_download: `https://files.slack.com/dl/${name}` });
    const msg = map({ ...base, subtype: "file_share", files: [file("audio/mp4", "a.m4a"), file("video/mp4", "v.mp4"), file("application/pdf", "d.pdf"), { id: "F9", mode: "hidden_by_limit" }] });
    expect(msg?.media.map((m) => [m.kind, m.ref])).toEqual([
      ["audio", "https://files.slack.com/dl/a.m4a"], ["video", "https://files.slack.com/dl/v.mp4"], ["file", "https://files.slack.com/dl/d.pdf"],
    ]);
  });

  it("takes names from the context", () => {
    const read = readMessageEvent(body({ ...base, text: "ask <@U2>" }), self);
    const event = (read.kind === "message" ? read.event : undefined) as SlackMessageEvent;
    const msg = toInbound(event, { account: "work", self, userNames: new Map([["U1", "Ann"], ["U2", "Bob"]]), senderUsername: "ann", chatTitle: "#general" });
    expect(msg).toMatchObject({ sender: { id: "U1", name: "Ann", username: "ann" }, chat: { title: "#general" }, text: "ask @Bob" });
  });
});

describe("toReadableText", () => {
  it.each([
    ["<@UBOT> hi", "@pincer hi"],
    ["<@U2> and <@U3|carol>", "@Bob and @carol"],
    ["<@U9>", "@U9"],
    ["in <#C2|random> or <#C3>", "in #random or #C3"],
    ["<!here> <!channel> <!subteam^S1|@devs>", "@here @channel @devs"],
    ["<https://x.io>", "https://x.io"],
    ["<https://x.io|x.io>", "x.io"],
    ["<https://x.io/a|the docs>", "the docs (https://x.io/a)"],
    ["<mailto:a@b.co|a@b.co>", "a@b.co"],
    ["a &lt;b&gt; &amp;lt;", "a <b> &lt;"],
  ])("%j → %j", (slack, readable) => {
    expect(toReadableText(slack, { self, userNames: new Map([["U2", "Bob"]]) })).toBe(readable);
  });
});
