// The real CLI against the loopback OpenAI fake: a plain turn, a write-tool turn, failover, JSON output, sessions, usage.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.ts";
import { startFakeOpenAI } from "../fakes/index.ts";
import { fakeProviderConfig, useCliFixture, type Home } from "./harness.ts";

const fx = useCliFixture();
let home: Home;

async function auditKinds(dir: string): Promise<Array<{ tool: string | undefined; decision: string; reason: string | undefined }>> {
  const store = await openSqliteStore({ path: join(dir, "pincer.db") });
  try {
    return (await store.audit.list({ kind: "tool.call" })).map((r) => ({ tool: r.tool, decision: r.decision, reason: r.reason }));
  } finally {
    await store.close();
  }
}

describe("pincer run", () => {
  it("prints the model's answer from an OpenAI-compatible base URL", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ text: "Hello from the fake model." });
    const r = await home.cli(["run", "hi"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the fake model.\n");
  });

  it("runs a write tool call, creates the file in the workspace, then prints the final answer", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ toolCalls: [{ name: "write", args: { path: "notes/todo.md", content: "- buy milk\n" } }] }, { text: "Saved your note." });
    const r = await home.cli(["run", "note: buy milk"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Saved your note.\n");
    expect(r.stderr).toContain("write");
    expect(await readFile(join(home.workspace, "notes/todo.md"), "utf8")).toBe("- buy milk\n");
    expect(await auditKinds(home.dir)).toEqual([{ tool: "write", decision: "allow", reason: expect.any(String) }]);
  });

  it("--json reports reply, status, usage and tool calls; sessions and usage list the turn", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ text: "42", usage: { input: 120, output: 3, cached: 100 } });
    const r = await home.cli(["run", "answer?", "--json", "--session", "agent:default:cli:dm:script"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: "succeeded", reply: "42", sessionKey: "agent:default:cli:dm:script", model: "fake/gpt-4o-mini", toolCalls: [] });
    expect(out.usage).toMatchObject({ inputTokens: 120, outputTokens: 3, cachedTokens: 100 });

    const sessions = JSON.parse((await home.cli(["sessions", "list", "--json"])).stdout);
    expect(sessions.map((s: { key: string }) => s.key)).toEqual(["agent:default:cli:dm:script"]);
    const show = await home.cli(["sessions", "show", "agent:default:cli:dm:script"]);
    expect(show.stdout).toContain("answer?");
    const usage = JSON.parse((await home.cli(["usage", "--json"])).stdout);
    expect(usage.total).toMatchObject({ calls: 1, inputTokens: 120, outputTokens: 3, cachedTokens: 100 });
  });

  it("fails over from a failing provider to the tier's fallback", async () => {
    const broken = await startFakeOpenAI({ apiKeys: ["test-key"] });
    broken.setFallback(() => ({ error: { status: 503, message: "overloaded" } }));
    try {
      home = await fx.home();
      await home.writeConfig(
        [
          "models:",
          "  providers:",
          `    down: { type: openai-compatible, base_url: "${broken.baseURL}", api_key: test-key }`,
          `    up: { type: openai-compatible, base_url: "${fx.fake.baseURL}", api_key: test-key }`,
          "  tiers:",
          "    default: { primary: down/m1, fallbacks: [up/m2] }",
        ].join("\n"),
      );
      fx.fake.enqueue({ text: "answered by the fallback" });
      const r = await home.cli(["run", "hi", "--json"]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ reply: "answered by the fallback", model: "up/m2" });
      expect(broken.requests).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });

  it("a path escape is refused, audited, and writes nothing outside the workspace", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ toolCalls: [{ name: "write", args: { path: "../escaped.txt", content: "x" } }] }, { text: "I could not write there." });
    const r = await home.cli(["run", "write outside", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.toolCalls[0]).toMatchObject({ name: "write", isError: true });
    expect(out.toolCalls[0].preview).toMatch(/inside the workspace/);
    expect(existsSync(join(home.dir, "escaped.txt"))).toBe(false);
    expect((await auditKinds(home.dir))[0]).toMatchObject({ tool: "write", decision: "deny" });
  });

  it("exec of a blocked binary is denied and audited", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ toolCalls: [{ name: "exec", args: { command: "rm -rf notes" } }] }, { text: "rm is not allowed here." });
    const r = await home.cli(["run", "delete notes", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).toolCalls[0]).toMatchObject({ name: "exec", isError: true, decision: "deny" });
    const audit = await auditKinds(home.dir);
    expect(audit[0]).toMatchObject({ tool: "exec", decision: "deny" });
    expect(audit[0]!.reason).toMatch(/rm/);
  });
});
