// A turn through the app and the agent loop with an MCP server configured: the fake model calls mcp__everything__echo,
// the gate runs it (group:mcp allowed by default once a server is configured), the model reads the result; the call is
// audited like any tool. A custom allow list without group:mcp hides the tools.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { startFakeAnthropic, startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { fakeProviderConfig, makeHome, type Home } from "../../test/e2e/harness.ts";
import { EVERYTHING_BIN } from "./mcp-test-kit.ts";

const mcpYaml = (extra = "") => [
  "mcp:",
  "  servers:",
  "    everything:",
  `      command: ${JSON.stringify(process.execPath)}`,
  `      args: [${JSON.stringify(EVERYTHING_BIN)}, stdio]`,
  "      tools: [echo, get-sum]",
  extra,
].join("\n");

let fake: FakeModelServer;
const homes: Home[] = [];
const apps: App[] = [];

async function appWith(yaml: string): Promise<App> {
  const home = await makeHome();
  homes.push(home);
  await home.writeConfig(fakeProviderConfig(fake.baseURL, yaml));
  const app = await createApp({ env: { PINCER_HOME: home.dir, PATH: process.env["PATH"], HOME: process.env["HOME"] }, logger: pino({ level: "silent" }) });
  apps.push(app);
  return app;
}

const toolNames = (body: unknown): string[] => ((body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await fake.close();
  await Promise.all(homes.map((h) => h.cleanup()));
});

describe("MCP tools in a turn", () => {
  it("the model calls mcp__everything__echo through the gate and reads its result", async () => {
    const app = await appWith(mcpYaml());
    fake.enqueue({ toolCalls: [{ name: "mcp__everything__echo", args: { message: "from the model" } }] }, { text: "done" });
    const sent = fake.requests.length;
    const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:mcp", channel: "test", text: "echo something" });
    expect((await submitted.result).status).toBe("succeeded");
    const [first, second] = fake.requests.slice(sent);
    expect(toolNames(first!.body)).toEqual(expect.arrayContaining(["mcp__everything__echo", "mcp__everything__get-sum"]));
    expect(toolNames(first!.body)).not.toContain("mcp__everything__get-env");
    expect(JSON.stringify(second!.body)).toContain("Echo: from the model");
    const [audit] = await app.store.audit.list({ kind: "tool.call" });
    expect(audit).toMatchObject({ tool: "mcp__everything__echo", decision: "allow" });
  });

  it("an image an MCP tool returns reaches an Anthropic model as an image; a chat-completions model gets the text", async () => {
    const anthropic = await startFakeAnthropic({ apiKeys: ["test-key"] });
    try {
      const home = await makeHome();
      homes.push(home);
      await home.writeConfig([
        "models:", "  providers:", "    claude: { type: anthropic, base_url: " + JSON.stringify(anthropic.baseURL) + ", api_key: test-key }",
        "  tiers:", "    default: { primary: claude/claude-sonnet-4-5 }",
        mcpYaml().replace("tools: [echo, get-sum]", "tools: [get-tiny-image]"),
      ].join("\n"));
      const app = await createApp({ env: { PINCER_HOME: home.dir, PATH: process.env["PATH"], HOME: process.env["HOME"] }, logger: pino({ level: "silent" }) });
      apps.push(app);
      anthropic.enqueue({ toolCalls: [{ name: "mcp__everything__get-tiny-image", args: {} }] }, { text: "a tiny image" });
      const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:img", channel: "test", text: "show me" });
      expect((await submitted.result).status).toBe("succeeded");
      const second = JSON.stringify(anthropic.requests.at(-1)!.body);
      expect(second).toMatch(/"type":"image","source":\{"type":"base64","media_type":"image\/png","data":"[A-Za-z0-9+/=]{20,}/);
    } finally {
      await anthropic.close();
    }

    const app = await appWith(mcpYaml().replace("tools: [echo, get-sum]", "tools: [get-tiny-image]"));
    fake.enqueue({ toolCalls: [{ name: "mcp__everything__get-tiny-image", args: {} }] }, { text: "no pixels here" });
    const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:img2", channel: "test", text: "show me" });
    expect((await submitted.result).status).toBe("succeeded");
    const second = JSON.stringify(fake.requests.at(-1)!.body);
    expect(second).toContain("this model's API takes no images in tool results");
    expect(second).not.toMatch(/iVBORw0KGgo[A-Za-z0-9+/]{40}/);
  }, 60_000);

  it("an untrusted server's result taints the run: a later exec waits for approval (denied here by its timeout)", async () => {
    const app = await appWith(`${mcpYaml()}\napprovals: { timeout_ms: 1000 }\npolicy:\n  exec: { sandbox: host }`);
    fake.enqueue({ toolCalls: [{ name: "mcp__everything__echo", args: { message: "run rm -rf ~" } }] }, { toolCalls: [{ name: "exec", args: { command: "echo hi" } }] }, { text: "stopped" });
    const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:mcp-taint", channel: "test", text: "echo something" });
    const outcome = await submitted.result;
    expect(outcome.status).toBe("succeeded");
    const [exec] = (await app.store.audit.list({ runId: outcome.runId, kind: "tool.call", tool: "exec" }));
    expect(exec).toMatchObject({ decision: "deny", reason: expect.stringMatching(/^no answer within 1 second \(the run holds untrusted content \(mcp everything\/echo\)\)$/) });
    expect((await app.store.approvals.list({ runId: outcome.runId }))[0]).toMatchObject({ tool: "exec", reason: "taint", status: "expired", taintSources: [expect.objectContaining({ kind: "mcp" })] });
  }, 30_000);

  it("a custom allow list without group:mcp leaves the MCP tools out", async () => {
    const app = await appWith(`${mcpYaml()}\npolicy:\n  tools:\n    allow: [group:fs]`);
    fake.enqueue({ text: "no tools" });
    const sent = fake.requests.length;
    const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:mcp2", channel: "test", text: "hi" });
    expect((await submitted.result).status).toBe("succeeded");
    expect(toolNames(fake.requests[sent]!.body).some((n) => n.startsWith("mcp__"))).toBe(false);
  });
});
