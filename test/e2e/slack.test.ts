// Slack end to end on the embedded runtime: `pincer gateway` as a process talking to the loopback Slack fake with the
// real @slack/web-api and @slack/socket-mode clients. Socket Mode: pairing, approval, mention gating with quiet
// context, chat commands, chunking in a thread, retried 5xx, duplicate delivery. HTTP Events API: signature check.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventCallback, signSlackRequest, startSlackFake, type SlackFake } from "../fakes/slack-api.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
const env = { PINCER_LOG_LEVEL: "warn" };

const TEAM = "C0TEAM";
const ANN = "U0ANN";
const BOB = "U0BOB";
const ANN_DM = "D0ANN"; // the fake's DM channel for U0ANN

const quiet = () => new Promise((r) => setTimeout(r, 1_500));

const echo = (): void => echoLastUserMessage(fx.fake);
const modelCalls = () => fx.fake.requests.length;

/** A home whose only channel is one Slack account (`lines` under accounts.default) on the fake. Not fx.home(): its
 * homes are removed after each test, and this one must outlive all tests of the suite. */
function slackHome(slack: SlackFake, lines: string[]): Promise<Home> {
  return makeHome(fakeProviderConfig(fx.fake.baseURL, [
    "channels:", "  slack:", "    accounts:", "      default:",
    `        bot_token: "${slack.botToken}"`, `        api_root: ${slack.apiRoot}`, ...lines.map((l) => `        ${l}`),
  ].join("\n")));
}

async function startGateway(home: Home): Promise<GatewayProcess> {
  const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env });
  await until("the channel to connect", () => /channel slack\/default: connected/.test(gw.output())).catch((err: unknown) => {
    gw.child.kill("SIGTERM");
    throw err;
  });
  return gw;
}

async function stop(gw: GatewayProcess | undefined, home: Home | undefined, slack: SlackFake | undefined): Promise<void> {
  gw?.child.kill("SIGTERM");
  await gw?.exited;
  await slack?.close();
  await home?.cleanup();
}

describe("Slack in Socket Mode", () => {
  let slack: SlackFake;
  let home: Home;
  let gw: GatewayProcess;
  const sentTo = (channel: string) => slack.sent.filter((s) => s.channel === channel);

  beforeAll(async () => {
    slack = await startSlackFake();
    slack.addUser(ANN, "Ann");
    slack.addUser(BOB, "Bob");
    slack.addChannel(TEAM, "team");
    echo();
    home = await slackHome(slack, [`app_token: "${slack.appToken}"`, "groups:", `  "${TEAM}": {}`]);
    gw = await startGateway(home);
  }, 90_000);

  afterAll(() => stop(gw, home, slack), 30_000);

  it("gives an unknown DM a pairing code without calling the model; approval lets the next DM through", async () => {
    const before = modelCalls();
    slack.dm(ANN, "hello?");
    const [pairing] = await until("the pairing code", () => (sentTo(ANN_DM).length >= 1 ? sentTo(ANN_DM) : undefined));
    const code = /pincer pairing approve slack ([A-Z2-9]{8})/.exec(pairing!.text)?.[1];
    expect(code).toBeDefined();
    expect(code).not.toMatch(/[01OIL]/);
    expect(modelCalls()).toBe(before);

    const list = await home.cli(["pairing", "list", "--json"], { env });
    expect(JSON.parse(list.stdout).pending).toMatchObject([{ channel: "slack", code, senderId: ANN, senderName: "Ann" }]);
    const approve = await home.cli(["pairing", "approve", "slack", code!.toLowerCase(), "--notify"], { env });
    expect(approve.stderr).toBe("");
    expect(approve.code).toBe(0);
    await until("the approval notice", () => sentTo(ANN_DM).find((s) => /approved/.test(s.text)));

    slack.dm(ANN, "what is two and two");
    const answer = await until("the answer", () => sentTo(ANN_DM).find((s) => s.text === "echo: what is two and two"));
    expect(answer.mrkdwn).toBe(true);
    expect(answer.thread_ts).toBeUndefined(); // DMs stay flat
    expect(modelCalls()).toBe(before + 1);
  }, 90_000);

  it("keeps unmentioned channel messages as context and answers a mention in the message's thread", async () => {
    const before = modelCalls();
    const sentBefore = sentTo(TEAM).length;
    slack.channelMessage(TEAM, BOB, "the deploy is on friday");
    await quiet();
    expect(modelCalls()).toBe(before);
    expect(sentTo(TEAM).length).toBe(sentBefore);

    const { ts } = slack.mention(TEAM, ANN, "when is the deploy?"); // a `message` and an `app_mention` event
    const reply = await until("the channel answer", () => sentTo(TEAM).find((s) => s.text.startsWith("echo:")));
    expect(reply.thread_ts).toBe(ts);
    expect(reply.text).toContain("Bob: the deploy is on friday");
    expect(reply.text).toContain("Ann: @pincer when is the deploy?");
    await quiet();
    expect(modelCalls()).toBe(before + 1); // the app_mention twin of the message started no second run
    expect(sentTo(TEAM).filter((s) => s.text.startsWith("echo:"))).toHaveLength(1);
  }, 60_000);

  it("answers /status and /new typed as text without a model call", async () => {
    const before = modelCalls();
    slack.dm(ANN, "/status");
    const status = await until("the status", () => sentTo(ANN_DM).find((s) => s.text.startsWith("Agent: default")));
    expect(status.text).toMatch(/Model: default/);
    expect(status.text).toMatch(/Session: agent:default:slack:dm:U0ANN/);
    expect(status.text).toMatch(/Tokens: \d+ in, \d+ out/);
    slack.dm(ANN, "/new");
    await until("the /new answer", () => sentTo(ANN_DM).find((s) => /New conversation started/.test(s.text)));
    expect(modelCalls()).toBe(before);
  }, 60_000);

  it("sends a long answer in chunks under Slack's limit into the thread, and retries a 5xx without duplicating", async () => {
    const paragraph = (i: number) => `Paragraph ${i}. ` + "lorem ipsum dolor sit amet ".repeat(30).trim() + ".";
    const long = Array.from({ length: 14 }, (_, i) => paragraph(i)).join("\n\n");
    fx.fake.enqueue({ text: long });
    slack.failNext("chat.postMessage", 1, 502);
    const before = sentTo(TEAM).length;
    const postsBefore = slack.calls.filter((c) => c.method === "chat.postMessage").length;
    const { ts } = slack.mention(TEAM, ANN, "tell me a lot");
    const chunks = await until("all chunks", () => {
      const mine = sentTo(TEAM).slice(before);
      return mine.some((s) => s.text.includes("Paragraph 13.")) ? mine : undefined;
    });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(4000);
    expect(chunks.filter((c) => c.text.startsWith("Paragraph 0."))).toHaveLength(1); // the 502 was retried once, not sent twice
    expect(slack.calls.filter((c) => c.method === "chat.postMessage").length - postsBefore).toBe(chunks.length + 1);
    expect(chunks.map((c) => c.text).join("\n\n").replace(/\s+/g, " ")).toBe(long.replace(/\s+/g, " "));
    // Slack replies in threads (ThreadedReplies): with reply_to_mode "first" every chunk still stays in the thread.
    for (const c of chunks) expect(c.thread_ts).toBe(ts);
  }, 60_000);

  it("starts no second run for a redelivery of the same Slack message", async () => {
    const before = modelCalls();
    const { ts } = slack.dm(ANN, "only once please");
    await until("the answer", () => sentTo(ANN_DM).find((s) => s.text === "echo: only once please"));
    const again = slack.injectMessage({ channel: ANN_DM, channel_type: "im", user: ANN, text: "only once please", ts });
    await until("the duplicate's ack", () => slack.acks.includes(again.envelopeId));
    await quiet();
    expect(sentTo(ANN_DM).filter((s) => s.text === "echo: only once please")).toHaveLength(1);
    expect(modelCalls()).toBe(before + 1);
  }, 60_000);
});

describe("Slack over the HTTP Events API", () => {
  const SECRET = "e2e-signing-secret";
  const CAT = "U0CAT";
  let slack: SlackFake;
  let home: Home;
  let gw: GatewayProcess;

  beforeAll(async () => {
    slack = await startSlackFake();
    slack.addUser(CAT, "Cat");
    echo();
    home = await slackHome(slack, ["mode: http", `signing_secret: "${SECRET}"`, `allow_from: ["${CAT}"]`]);
    gw = await startGateway(home);
  }, 90_000);

  afterAll(() => stop(gw, home, slack), 30_000);

  it("refuses unsigned and badly signed events without journaling them, and answers a signed one", async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000100`;
    const event = { type: "message", channel: "D0CAT", channel_type: "im", user: CAT, text: "via http", ts, event_ts: ts, team: "T0FAKE" };
    const body = JSON.stringify(eventCallback(event, { botUserId: slack.botUserId }));
    const post = (headers: Record<string, string>) => fetch(`${gw.url}/channels/slack/default/events`, { method: "POST", headers, body });
    const before = modelCalls();

    expect((await post({ "content-type": "application/json" })).status).toBe(401);
    expect((await post(signSlackRequest(body, "not-the-secret"))).status).toBe(401);
    const stale = signSlackRequest(body, SECRET, Math.floor(Date.now() / 1000) - 600);
    expect((await post(stale)).status).toBe(401);
    await quiet();
    expect(modelCalls()).toBe(before);
    expect(slack.sent).toHaveLength(0);

    // The same message, now signed: had a refused request been journaled, this would be dropped as a duplicate.
    const ok = await post(signSlackRequest(body, SECRET));
    expect(ok.status).toBe(200);
    const reply = await until("the answer", () => slack.sent.find((s) => s.text === "echo: via http"));
    expect(reply.channel).toBe("D0CAT");
    expect(modelCalls()).toBe(before + 1);
  }, 60_000);
});
