// Discord end to end on the embedded runtime: `pincer gateway` as a process talking to the loopback Discord fake
// (REST + gateway WebSocket) with the real discord.js client. Pairing, approval, mention gating with quiet context,
// chat commands, chunking under 2,000 characters, retried 5xx, duplicate deliveries, and no pings on any message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDiscordFake, type DiscordFake, type FakeSentMessage } from "../fakes/discord-api.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const DISCORD_LIMIT = 2000;
const fx = useCliFixture();


const echo = (): void => echoLastUserMessage(fx.fake);

/** Every message the bot sends must mention nobody: allowed_mentions with an empty parse list. */
function expectNoPings(messages: FakeSentMessage[]): void {
  for (const m of messages) expect(m.allowedMentions, m.content.slice(0, 40)).toMatchObject({ parse: [] });
}

describe("Discord on the embedded runtime", () => {
  let dc: DiscordFake;
  let home: Home;
  let gw: GatewayProcess;
  const env = { PINCER_LOG_LEVEL: "warn" };
  const dmOf = (who: "alice" | "bob") => dc.dmChannelId(dc.users[who]);
  const sentTo = (channelId: string) => dc.sent.filter((s) => s.channelId === channelId);
  const modelCalls = () => fx.fake.requests.length;
  const posts = () => dc.calls.filter((c) => c === "POST /channels/:id/messages").length;
  const start = async (logLevel = "warn"): Promise<void> => {
    gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { ...env, PINCER_LOG_LEVEL: logLevel } });
    await until("the channel to connect", () => /channel discord\/default: connected/.test(gw.output()));
  };

  beforeAll(async () => {
    dc = await startDiscordFake();
    echo();
    // Not fx.home(): that one is removed after the first test, and the restart below needs the same state dir.
    home = await makeHome(
      fakeProviderConfig(fx.fake.baseURL, [
        "channels:",
        "  discord:",
        "    accounts:",
        "      default:",
        `        token: "${dc.token}"`,
        `        api_root: ${dc.apiRoot}`,
        "        groups:",
        `          "${dc.channel.id}": {}`,
      ].join("\n")),
    );
    await start();
  }, 120_000);

  afterAll(async () => {
    gw?.child.kill("SIGTERM");
    await gw?.exited;
    await dc?.close();
    await home?.cleanup();
  }, 30_000);

  it("gives an unknown DM a pairing code without calling the model; approval lets the next DM through", async () => {
    const alice = dc.users.alice;
    const before = modelCalls();
    dc.dm(alice, "hello?");
    const [pairing] = await until("the pairing code", () => (sentTo(dmOf("alice")).length >= 1 ? sentTo(dmOf("alice")) : undefined));
    const code = /pincer pairing approve discord ([A-Z2-9]{8})/.exec(pairing!.content)?.[1];
    expect(code).toBeDefined();
    expect(code).not.toMatch(/[01OIL]/);
    expect(modelCalls()).toBe(before);

    const list = await home.cli(["pairing", "list", "--json"], { env });
    expect(JSON.parse(list.stdout).pending).toMatchObject([{ channel: "discord", code, senderId: alice.id, senderName: "Alice" }]);
    const approve = await home.cli(["pairing", "approve", "discord", code!.toLowerCase(), "--notify"], { env });
    expect(approve.stderr).toBe("");
    expect(approve.code).toBe(0);
    await until("the approval notice", () => sentTo(dmOf("alice")).find((s) => /approved/.test(s.content)));

    dc.dm(alice, "what is two and two");
    const answer = await until("the answer", () => sentTo(dmOf("alice")).find((s) => s.content === "echo: what is two and two"));
    expect(answer.messageReference).toBeUndefined(); // DMs are not quoted
    expect(dc.typing).toContain(dmOf("alice"));
    expectNoPings(sentTo(dmOf("alice")));
  }, 90_000);

  it("keeps unmentioned channel messages as context and answers a mention as a reply to it", async () => {
    const before = modelCalls();
    const sentBefore = sentTo(dc.channel.id).length;
    dc.guildMessage(dc.users.bob, "the deploy is on friday");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(modelCalls()).toBe(before);
    expect(sentTo(dc.channel.id).length).toBe(sentBefore);

    const mention = dc.mention(dc.users.alice, "when is the deploy?");
    const reply = await until("the channel answer", () => sentTo(dc.channel.id).find((s) => s.content.startsWith("echo:")));
    expect(reply.messageReference).toMatchObject({ message_id: mention.id });
    expect(reply.content).toContain("bob: the deploy is on friday");
    expect(reply.content).toContain(`Alice: @${dc.bot.username} when is the deploy?`);
    expectNoPings([reply]);
  }, 60_000);

  it("answers /status and /new without a model call", async () => {
    const before = modelCalls();
    dc.dm(dc.users.alice, "/status");
    const status = await until("the status", () => sentTo(dmOf("alice")).find((s) => s.content.startsWith("Agent: default")));
    expect(status.content).toMatch(/Model: default/);
    expect(status.content).toContain(`Session: agent:default:discord:dm:${dc.users.alice.id}`);
    expect(status.content).toMatch(/Tokens: \d+ in, \d+ out/);
    dc.dm(dc.users.alice, "/new");
    const fresh = await until("the /new answer", () => sentTo(dmOf("alice")).find((s) => /New conversation started/.test(s.content)));
    expect(modelCalls()).toBe(before);
    expectNoPings([status, fresh]);
  }, 60_000);

  it("sends a long answer in chunks within Discord's 2,000 characters, and retries a 5xx without duplicating", async () => {
    const paragraph = (i: number) => `Paragraph ${i}. ` + "lorem ipsum dolor sit amet ".repeat(30).trim() + ".";
    const long = Array.from({ length: 14 }, (_, i) => paragraph(i)).join("\n\n");
    fx.fake.enqueue({ text: long });
    dc.failNext("POST /channels/:id/messages", 1, 502);
    const before = sentTo(dmOf("alice")).length;
    const postsBefore = posts();
    dc.dm(dc.users.alice, "tell me a lot");
    const chunks = await until("all chunks", () => {
      const mine = sentTo(dmOf("alice")).slice(before);
      return mine.some((s) => s.content.includes("Paragraph 13.")) ? mine : undefined;
    }, 40_000);
    expect(long.length).toBeGreaterThan(5 * DISCORD_LIMIT);
    expect(chunks.length).toBeGreaterThanOrEqual(6);
    expect(posts() - postsBefore).toBe(chunks.length + 1); // the 502 was taken and its send retried once
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(DISCORD_LIMIT);
    for (let i = 0; i < 14; i++) {
      expect(chunks.filter((c) => c.content.includes(`Paragraph ${i}.`)), `paragraph ${i}`).toHaveLength(1); // once each
    }
    expect(chunks.map((c) => c.content).join("\n\n").replace(/\s+/g, " ")).toBe(long.replace(/\s+/g, " "));
    expectNoPings(chunks);
  }, 60_000);

  it("starts no second run for a duplicate delivery of the same message, even after a restart", async () => {
    const before = modelCalls();
    const message = dc.dm(dc.users.alice, "only once please");
    const answers = () => sentTo(dmOf("alice")).filter((s) => s.content === "echo: only once please");
    await until("the answer", () => answers().length > 0 || undefined);
    dc.redeliver(message);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(answers()).toHaveLength(1);
    expect(modelCalls()).toBe(before + 1);

    // A new process has an empty discord.js message cache: only Pincer's own journal can tell the duplicate.
    gw.child.kill("SIGTERM");
    await gw.exited;
    await start("debug");
    await until("the fresh gateway session", () => dc.connected() === 1 || undefined);
    dc.redeliver(message);
    const delivered = new RegExp(`"messageId":"${message.id}".*"msg":"message delivered"`);
    await until("the adapter to hand the duplicate to Pincer", () => delivered.test(gw.output()) || undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(answers()).toHaveLength(1);
    expect(modelCalls()).toBe(before + 1);
    dc.dm(dc.users.alice, "still there?");
    await until("the answer after the restart", () => sentTo(dmOf("alice")).find((s) => s.content === "echo: still there?"));
  }, 120_000);

  it("sends every message with allowed_mentions parse [] (no pings)", () => {
    expect(dc.sent.length).toBeGreaterThanOrEqual(10);
    expectNoPings(dc.sent);
  });
});
