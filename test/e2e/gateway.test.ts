// `pincer gateway` as a real process: token auth, the OpenAI-compatible endpoint, graceful SIGTERM, and kill -9 recovery.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openSqliteStore } from "../../src/store/index.ts";
import { request } from "node:http";
import { join } from "node:path";
import { fakeProviderConfig, startGatewayProcess, until, useCliFixture, type GatewayProcess } from "./harness.ts";

const fx = useCliFixture();
type Completion = { choices: Array<{ message: { content: string } }> };

function chat(gw: GatewayProcess, text: string, opts: { token?: string; session?: string } = {}): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(opts.token === "" ? {} : { authorization: `Bearer ${opts.token ?? gw.token}` }),
      ...(opts.session ? { "x-pincer-session": opts.session } : {}),
    },
    body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: text }] }),
  });
}

async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
}

describe("pincer gateway", () => {
  it("answers /v1/chat/completions with the token and refuses without it", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home);
    try {
      const denied = await chat(gw, "hi", { token: "" });
      expect(denied.status).toBe(401);
      fx.fake.enqueue({ text: "hello over HTTP" });
      const ok = await chat(gw, "hi");
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as Completion).choices[0]!.message.content).toBe("hello over HTTP");
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });

  it("gives memory back once it has been quiet for a few seconds, after start-up and again after turns", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home, undefined, { env: { PINCER_LOG_LEVEL: "debug" } });
    const collections = (): Array<{ rssBeforeMb: number; rssAfterMb: number }> =>
      gw.output().split("\n").filter((line) => line.includes('"msg":"memory returned after a quiet spell"')).map((line) => JSON.parse(line) as { rssBeforeMb: number; rssAfterMb: number });
    try {
      await until("the collection after start-up", () => collections().length === 1);
      fx.fake.enqueue({ text: "one" });
      expect((await chat(gw, "hi")).status).toBe(200);
      await until("the collection after the turn", () => collections().length === 2);
      for (const c of collections()) expect(c.rssAfterMb).toBeLessThan(c.rssBeforeMb);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });

  it("refuses a rebinding Host and a cross-origin /ws upgrade, and accepts its own WebChat origin", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home);
    const { port } = new URL(gw.url);
    const statusOf = (path: string, host: string) =>
      new Promise<number>((done, fail) => request({ host: "127.0.0.1", port, path, headers: { host, authorization: `Bearer ${gw.token}` } }, (res) => (res.resume(), done(res.statusCode ?? 0))).on("error", fail).end());
    const upgrade = (origin: string) =>
      new Promise<number>((done) => {
        const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`, { origin });
        ws.on("open", () => (ws.close(), done(101)));
        ws.on("unexpected-response", (_req, res) => done(res.statusCode ?? 0));
      });
    try {
      expect(await statusOf("/v1/models", `evil.example:${port}`)).toBe(403);
      expect(await statusOf("/v1/models", `localhost:${port}`)).toBe(200);
      expect(await upgrade("https://evil.example")).toBe(403);
      expect(await upgrade(gw.url)).toBe(101);
      expect(gw.output()).toContain("upgrade refused: foreign Origin");
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });

  it("refuses to start with a weak PINCER_GATEWAY_TOKEN: exit 78, the source and the fix", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const outcomes = await Promise.all(
      ["abc", "abcdefghij0123456789", "a".repeat(32)].map((token) =>
        startGatewayProcess(home, token).then(
          (gw) => (gw.child.kill("SIGKILL"), `started with ${token}`),
          (err: Error) => err.message,
        ),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome).toMatch(/^gateway exited with code 78:\nerror: the gateway token from PINCER_GATEWAY_TOKEN is too (short|easy to guess)/);
      expect(outcome).toContain("Fix: run 'pincer gateway token --rotate'");
      expect(outcome).toContain("openssl rand -hex 32");
      expect(outcome).not.toMatch(/\n\s+at /);
    }
  });

  it("SIGTERM lets a running turn finish before exiting", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home);
    fx.fake.enqueue({ text: "finished during shutdown", delayMs: 600 });
    const pending = chat(gw, "slow");
    const seen = fx.fake.requests.length;
    await waitFor(() => fx.fake.requests.length > seen);
    gw.child.kill("SIGTERM");
    const res = await pending;
    expect(((await res.json()) as Completion).choices[0]!.message.content).toBe("finished during shutdown");
    expect(await gw.exited).toBe(0);
    expect(gw.output()).toContain('"finished":1,"interrupted":0');
  });

  it("kill -9 mid-turn: on restart the run is resumed and the session gets its answer", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const session = "agent:default:openai:dm:crash";
    const first = await startGatewayProcess(home);
    fx.fake.enqueue({ text: "never delivered", delayMs: 5_000 });
    const seen = fx.fake.requests.length;
    const doomed = chat(first, "remember this", { session }).catch(() => undefined);
    await waitFor(() => fx.fake.requests.length > seen);
    first.child.kill("SIGKILL");
    await first.exited;
    await doomed;

    fx.fake.enqueue({ text: "answered after the restart" });
    const second = await startGatewayProcess(home);
    try {
      const messages = await until("the resumed run's answer", async () => {
        const res = await fetch(`${second.url}/api/v1/sessions/${session}`, { headers: { authorization: `Bearer ${second.token}` } });
        const body = (await res.json()) as { messages: Array<{ role: string; content: { content: string | Array<{ text?: string }> } }> };
        const textOf = (c: string | Array<{ text?: string }>): string => (typeof c === "string" ? c : c.map((p) => p.text ?? "").join(""));
        return body.messages.length >= 2 && body.messages.map((m) => [m.role, textOf(m.content.content)]);
      });
      expect(messages).toEqual([
        ["user", "remember this"],
        ["assistant", "answered after the restart"],
      ]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
    const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
    try {
      const [run] = await store.runs.list({ sessionKey: session });
      expect(run).toMatchObject({ status: "succeeded", input: "remember this", attempt: 2, reply: "answered after the restart" });
      expect((await store.audit.list({ kind: "run.resumed" }))[0]?.runId).toBe(run!.id);
    } finally {
      await store.close();
    }
  });

  it("kill -9 with a WebSocket message queued behind the running turn: after restart both are answered, in order", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const session = "agent:default:webchat:dm:crashws";
    const first = await startGatewayProcess(home);
    fx.fake.enqueue({ text: "never delivered", delayMs: 5_000 });
    const seen = fx.fake.requests.length;
    const ws = new WebSocket(`${first.url.replace("http", "ws")}/ws`);
    const acks: unknown[] = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === "ack") acks.push(frame);
    });
    await new Promise((done) => ws.once("open", done));
    ws.send(JSON.stringify({ type: "auth", token: first.token, client: "crashws" }));
    ws.send(JSON.stringify({ type: "chat.send", id: 1, messageId: "m-running", text: "the running one" }));
    await waitFor(() => fx.fake.requests.length > seen);
    ws.send(JSON.stringify({ type: "chat.send", id: 2, messageId: "m-queued", text: "the queued one" }));
    await waitFor(() => acks.length === 2);
    expect(acks[1]).toMatchObject({ id: 2, disposition: "queued", session });
    first.child.kill("SIGKILL");
    await first.exited;
    ws.terminate();

    fx.fake.enqueue({ text: "answer to the running one" }, { text: "answer to the queued one" });
    const second = await startGatewayProcess(home);
    try {
      let messages: Array<[string, string]> = [];
      const read = async (): Promise<void> => {
        const res = await fetch(`${second.url}/api/v1/sessions/${session}`, { headers: { authorization: `Bearer ${second.token}` } });
        const body = (await res.json()) as { messages: Array<{ role: string; content: { content: string | Array<{ text?: string }> } }> };
        messages = body.messages.map((m) => [m.role, typeof m.content.content === "string" ? m.content.content : m.content.content.map((p) => p.text ?? "").join("")]);
      };
      for (const end = Date.now() + 10_000; Date.now() < end && messages.length < 4; ) {
        await read();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(messages).toEqual([
        ["user", "the running one"],
        ["assistant", "answer to the running one"],
        ["user", "the queued one"],
        ["assistant", "answer to the queued one"],
      ]);
      expect(second.output()).toContain("queued again");
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("reloads the config on file change and on SIGHUP; an invalid edit is rejected and the old config keeps serving", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home);
    const modelOfLastRequest = (): string => (fx.fake.requests.at(-1)!.body as { model: string }).model;
    try {
      fx.fake.enqueue({ text: "one" });
      await chat(gw, "first");
      expect(modelOfLastRequest()).toBe("gpt-4o-mini");

      await home.writeConfig(fakeProviderConfig(fx.fake.baseURL).replace("fake/gpt-4o-mini", "fake/edited-model"));
      await waitFor(() => gw.output().includes("config reloaded"), 5_000);
      fx.fake.enqueue({ text: "two" });
      await chat(gw, "second");
      expect(modelOfLastRequest()).toBe("edited-model");

      await home.writeConfig(fakeProviderConfig(fx.fake.baseURL) + "\ngateway:\n  bind: everywhere\n");
      await waitFor(() => gw.output().includes("config reload rejected"), 5_000);
      expect(gw.output()).toContain("gateway.bind");
      fx.fake.enqueue({ text: "three" });
      expect((await chat(gw, "third")).status).toBe(200);
      expect(modelOfLastRequest()).toBe("edited-model");

      // SIGHUP re-reads the file too; a port change is reported as needing a restart.
      await home.writeConfig(fakeProviderConfig(fx.fake.baseURL).replace("fake/gpt-4o-mini", "fake/edited-model") + "\ngateway:\n  port: 18999\n");
      gw.child.kill("SIGHUP");
      await waitFor(() => gw.output().includes("take effect after a restart"), 5_000);
      expect(gw.output()).toContain("gateway.port");
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });
});
