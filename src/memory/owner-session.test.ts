import { describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { isOwnerSession } from "./owner-session.ts";

const config = configSchema.parse({
  channels: { telegram: { accounts: { default: { token: "t", owners: ["601", "@Boss"] }, other: { token: "u" } } } },
});
const route = { channel: "telegram", account: "default", chatKind: "dm" as const, chatId: "601", senderId: "601" };

describe("isOwnerSession", () => {
  it("is true in an owner's DM, by id or by username (any case)", () => {
    expect(isOwnerSession({ sessionKey: "agent:a:telegram:dm:601", origin: route }, config)).toBe(true);
    expect(isOwnerSession({ sessionKey: "k", origin: { ...route, senderId: "9", senderUsername: "boss" } }, config)).toBe(true);
  });

  it("is false in a group or thread, in a DM with someone else, and on another account", () => {
    expect(isOwnerSession({ sessionKey: "k", origin: { ...route, chatKind: "group" } }, config)).toBe(false);
    expect(isOwnerSession({ sessionKey: "k", origin: { ...route, senderId: "602" } }, config)).toBe(false);
    expect(isOwnerSession({ sessionKey: "k", origin: { ...route, account: "other" } }, config)).toBe(false);
    expect(isOwnerSession({ sessionKey: "k", origin: { ...route, channel: "constructor" } }, config)).toBe(false);
  });

  it("is true for the operator's surfaces without an origin (CLI, WebChat, OpenAI API) and false for anything else", () => {
    expect(isOwnerSession({ sessionKey: "agent:a:cli:dm:local", origin: undefined }, config)).toBe(true);
    expect(isOwnerSession({ sessionKey: "agent:a:webchat:dm:default", origin: undefined }, config)).toBe(true);
    expect(isOwnerSession({ sessionKey: "agent:a:openai:dm:default", origin: undefined }, config)).toBe(true);
    expect(isOwnerSession({ sessionKey: "agent:a:telegram:group:-100", origin: undefined }, config)).toBe(false);
    expect(isOwnerSession({ sessionKey: "agent:a:cli:group:x", origin: undefined }, config)).toBe(false);
    expect(isOwnerSession({ sessionKey: "garbage", origin: undefined }, config)).toBe(false);
  });
});
