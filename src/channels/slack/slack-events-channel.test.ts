// SlackEventsChannel (`mode: http`): the webhook verifies Slack's v0 signature before anything else, answers the URL
// verification challenge, and answers 200 only once the event was delivered.
import { tmpdir } from "node:os";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventCallback, signSlackRequest, startSlackFake, type SlackFake } from "../../../test/fakes/slack-api.ts";
import { slackAccountSchema } from "../../core/channel-config.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import { hasWebhook, type ChannelSink } from "../kit/channel.ts";
import { createSlackChannel } from "./index.ts";
import { signatureMatches, type SlackEventsChannel } from "./slack-events-channel.ts";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW_MS = 1_800_000_000_000;
const nowS = NOW_MS / 1000;

let fake: SlackFake;
let channel: SlackEventsChannel;
let got: InboundMessage[];
let malformed: string[];

beforeEach(async () => {
  fake = await startSlackFake();
  got = [];
  malformed = [];
});

afterEach(async () => {
  await channel.stop();
  await fake.close();
});

async function startHttpChannel(sink: ChannelSink = { reportMalformed: (p) => void malformed.push(p), deliver: async (m) => void got.push(m) }): Promise<void> {
  const config = slackAccountSchema.parse({ bot_token: fake.botToken, signing_secret: SECRET, mode: "http", api_root: fake.apiRoot });
  const created = createSlackChannel({ account: "work", config, log: pino({ level: "silent" }), stateDir: tmpdir(), now: () => NOW_MS });
  if (!hasWebhook(created)) throw new Error("http mode must expose a webhook");
  channel = created as SlackEventsChannel;
  await channel.start(sink);
}

function request(body: string, headers: Record<string, string>): Request {
  return new Request(`http://gateway${channel.webhookPath}`, { method: "POST", headers, body });
}

const messageBody = (text: string, ts = `${nowS}.000100`): string =>
  JSON.stringify(eventCallback({ type: "message", channel: "C1", channel_type: "channel", user: "U1", text, ts, event_ts: ts }));

describe("SlackEventsChannel", () => {
  it("serves /channels/slack/<account>/events and reports connected", async () => {
    await startHttpChannel();
    expect(channel.webhookPath).toBe("/channels/slack/work/events");
    expect(channel.health()).toMatchObject({ state: "connected", identity: "UBOT (pincer)" });
  });

  it("delivers a correctly signed event and answers 200", async () => {
    await startHttpChannel();
    const body = messageBody("hi <@UBOT>");
    const res = await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS)));
    expect(res.status).toBe(200);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ messageId: `C1:${nowS}.000100`, chat: { kind: "group", id: "C1" }, mentioned: true, text: "hi @pincer" });
  });

  it("refuses a wrong, missing or stale signature with 401 and delivers nothing", async () => {
    await startHttpChannel();
    const body = messageBody("hi");
    const wrong = await channel.handleWebhook(request(body, signSlackRequest(body, "not-the-secret", nowS)));
    const missing = await channel.handleWebhook(request(body, { "content-type": "application/json" }));
    const stale = await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS - 301)));
    const tampered = await channel.handleWebhook(request(messageBody("changed"), signSlackRequest(body, SECRET, nowS)));
    expect([wrong.status, missing.status, stale.status, tampered.status]).toEqual([401, 401, 401, 401]);
    expect(await wrong.text()).toBe("signature mismatch: check the signing secret");
    expect(await stale.text()).toBe("stale request: X-Slack-Request-Timestamp is more than 5 minutes from now");
    expect(got).toEqual([]);
  });

  it("answers 400 to malformed JSON and to payloads it does not handle", async () => {
    await startHttpChannel();
    const notJson = "{nope";
    const interactive = JSON.stringify({ type: "block_actions", actions: [] });
    expect((await channel.handleWebhook(request(notJson, signSlackRequest(notJson, SECRET, nowS)))).status).toBe(400);
    expect((await channel.handleWebhook(request(interactive, signSlackRequest(interactive, SECRET, nowS)))).status).toBe(400);
    expect(got).toEqual([]);
  });

  it("refuses missing signature headers, a stale timestamp and a non-JSON content type before reading the body", async () => {
    await startHttpChannel();
    const unread = (headers: Record<string, string>): Request => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull: (c) => (sent++ < 2_048 ? c.enqueue(new Uint8Array(1024)) : c.close()), // 2 MiB, past the cap
      });
      return new Request(`http://gateway${channel.webhookPath}`, { method: "POST", headers, body, duplex: "half" } as RequestInit);
    };
    const requests = [
      unread({ "content-type": "application/json" }),
      unread(signSlackRequest("", SECRET, nowS - 301)),
      unread({ ...signSlackRequest("", SECRET, nowS), "content-type": "application/x-www-form-urlencoded" }),
    ];
    const statuses = [];
    for (const req of requests) statuses.push((await channel.handleWebhook(req)).status);
    expect(statuses).toEqual([401, 401, 415]);
    expect(requests.map((r) => r.bodyUsed)).toEqual([false, false, false]);
  });

  it("acknowledges a signed event of the wrong shape with 200, reports it and delivers nothing", async () => {
    await startHttpChannel();
    const body = JSON.stringify(eventCallback({ type: "message", channel: "C1", user: "U1", text: { rich: true }, ts: `${nowS}.000300` }));
    const res = await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS)));
    expect(res.status).toBe(200);
    expect(got).toEqual([]);
    expect(malformed).toEqual(["Slack message event: event.text: Invalid input: expected string, received object"]);
  });

  it("answers Slack's url_verification with the challenge", async () => {
    await startHttpChannel();
    const body = JSON.stringify({ token: "t", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    const res = await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("answers 500 when deliver rejects, so Slack retries", async () => {
    await startHttpChannel({ reportMalformed: () => undefined, deliver: async () => Promise.reject(new Error("journal down")) });
    const body = messageBody("hi");
    expect((await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS)))).status).toBe(500);
  });

  it("answers 200 without delivering an event it ignores, and 503 once stopped", async () => {
    await startHttpChannel();
    const edit = JSON.stringify(eventCallback({ type: "message", subtype: "message_changed", channel: "C1", ts: `${nowS}.000200` }));
    expect((await channel.handleWebhook(request(edit, signSlackRequest(edit, SECRET, nowS)))).status).toBe(200);
    await channel.stop();
    const body = messageBody("late");
    expect((await channel.handleWebhook(request(body, signSlackRequest(body, SECRET, nowS)))).status).toBe(503);
    expect(got).toEqual([]);
  });
});

describe("signatureMatches", () => {
  // The worked example of https://api.slack.com/authentication/verifying-requests-from-slack.
  const example = {
    signingSecret: SECRET,
    timestamp: 1_531_420_618,
    nowMs: 1_531_420_618_000 + 60_000,
    rawBody:
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA" +
      "&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
      "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
  };

  it("accepts Slack's documented example", () => {
    expect(signatureMatches(example)).toBe(true);
  });

  it("refuses another body, secret, timestamp or version, a padded signature, an empty secret and a stale or future timestamp", () => {
    const refused = [
      { ...example, rawBody: `${example.rawBody}&x=1` },
      { ...example, signingSecret: "not-the-secret" },
      { ...example, timestamp: example.timestamp + 1 },
      { ...example, signature: example.signature.replace("v0=", "v1=") },
      { ...example, signature: `${example.signature}00` },
      { ...example, signingSecret: "" },
      { ...example, nowMs: (example.timestamp + 301) * 1000 },
      { ...example, nowMs: (example.timestamp - 301) * 1000 },
    ];
    expect(refused.map((opts) => signatureMatches(opts))).toEqual(refused.map(() => false));
  });
});
