// POST /hooks/<name> through the HTTP app in memory, on a core wired by createApp against the fake OpenAI API: the order
// of refusals (nothing journaled before a signature checks out), a signed delivery starting one run, redeliveries, the
// body cap, rate limits, the auth lockout and the webhook result delivery.
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHome, type Home } from "../../test/e2e/harness.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { createApp, type App } from "../app.ts";
import { REFUSED_MESSAGE } from "../automation/hooks.ts";
import { createAuthLockout } from "./auth-lockout.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

const GH_SECRET = "gh-secret-0123456789abcdef";
const HMAC_SECRET = "hmac-secret-0123456789abcdef";
const TOK_SECRET = "token-secret-0123456789abcdef";
const tokens = { verify: () => false };

let fake: FakeModelServer;
let home: Home;
let app: App;
let http: ReturnType<typeof createHttpApp>;
let results: Server;
const posted: unknown[] = [];
let postedOne: () => void = () => undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  results = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      posted.push(JSON.parse(text));
      res.writeHead(204).end();
      postedOne();
    });
  });
  await new Promise<void>((resolve) => results.listen(0, "127.0.0.1", resolve));
  const resultsUrl = `http://127.0.0.1:${(results.address() as AddressInfo).port}/result`;
  home = await makeHome();
  await home.writeConfig([
    "models:",
    "  providers:",
    `    fake: { type: openai-compatible, base_url: '${fake.baseURL}', api_key: test-key }`,
    "  tiers:",
    "    default: { primary: fake/gpt-4o-mini }",
    "hooks:",
    "  gh: { auth: github, secret_env: GH_SECRET, message: '{{headers.x-github-event}}: {{body.issue.title}}' }",
    "  signed: { auth: hmac-sha256, secret_env: HMAC_SECRET, message: 'event {{body.kind}}', max_body_bytes: 1024 }",
    "  tok: { auth: token, secret_env: TOK_SECRET, message: 'ping {{body.n}}' }",
    "  few: { auth: token, secret_env: TOK_SECRET, message: 'ping {{body.n}}', rate_limit_per_minute: 2 }",
    "  unset: { auth: token, secret_env: NOT_SET_ANYWHERE, message: x }",
    `  out: { auth: token, secret_env: TOK_SECRET, message: 'report {{body.n}}', deliver: 'webhook:${resultsUrl}' }`,
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: home.dir, GH_SECRET, HMAC_SECRET, TOK_SECRET }, logger: pino({ level: "silent" }) });
  http = createHttpApp({ ctx: app, tokens, metrics: createGatewayMetrics(), authLockout: createAuthLockout({ freeFailures: 1_000 }) });
});

afterAll(async () => {
  await app.close();
  await fake.close();
  await new Promise((resolve) => results.close(resolve));
  await home.cleanup();
});

type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const post = (path: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string>, on = http) =>
  on.request(path, { method: "POST", body, headers, ...(typeof body === "string" ? {} : { duplex: "half" }) } as RequestInit) as Promise<JsonResponse>;
const githubHeaders = (body: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "x-github-event": "issues",
  "x-hub-signature-256": `sha256=${createHmac("sha256", GH_SECRET).update(body).digest("hex")}`,
  ...extra,
});
const hmacHeaders = (body: string, stampSec = Math.floor(Date.now() / 1000)) => ({
  "content-type": "application/json",
  "x-pincer-timestamp": String(stampSec),
  "x-pincer-signature": `sha256=${createHmac("sha256", HMAC_SECRET).update(`${stampSec}.${body}`).digest("hex")}`,
});
const bearer = (secret = TOK_SECRET) => ({ "content-type": "application/json", authorization: `Bearer ${secret}` });

function journaled(): number {
  const db = new DatabaseSync(join(home.dir, "pincer.db"), { readOnly: true });
  try {
    return Number((db.prepare("SELECT count(*) AS n FROM journal WHERE channel = 'hook'").get() as { n: number }).n);
  } finally {
    db.close();
  }
}
const hookRuns = async () => (await app.store.runs.list({})).filter((r) => r.trigger === "hook");

/** Resolves once the run has finished (subscribed before the store is read, so no finish is missed). */
async function finished(runId: string): Promise<void> {
  let off: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    off = app.dispatcher.subscribe((e) => {
      if (e.type === "run_finished" && e.runId === runId) resolve();
    });
  });
  try {
    const run = await app.store.runs.get(runId);
    if (!run || run.status === "running" || run.status === "pending") await done;
  } finally {
    off();
  }
}

describe("refusals before any work", () => {
  it("answers an unknown hook and a bad signature with the same body; 404 and 401; nothing journaled", async () => {
    const body = '{"issue":{"title":"x"}}';
    const before = journaled();
    const unknown = await post("/hooks/nope", body, githubHeaders(body));
    const protoName = await post("/hooks/__proto__", body, githubHeaders(body));
    const bad = await post("/hooks/gh", body, { ...githubHeaders(body), "x-hub-signature-256": `sha256=${"0".repeat(64)}` });
    const missing = await post("/hooks/gh", body, { "content-type": "application/json" });
    expect([unknown.status, protoName.status, bad.status, missing.status]).toEqual([404, 404, 401, 401]);
    const bodies = await Promise.all([unknown, protoName, bad, missing].map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!)).toEqual({ error: { type: "hook_refused", message: REFUSED_MESSAGE } });
    expect(journaled()).toBe(before);
    expect(await hookRuns()).toEqual([]);
  });

  it("refuses a stale hmac timestamp with 401, journaling nothing", async () => {
    const body = '{"kind":"deploy"}';
    const before = journaled();
    const res = await post("/hooks/signed", body, hmacHeaders(body, Math.floor(Date.now() / 1000) - 3_600));
    expect(res.status).toBe(401);
    expect(journaled()).toBe(before);
    const audit = await app.store.audit.list({ kind: "hook.refused" });
    expect(audit[0]).toMatchObject({ decision: "deny", reason: "stale_timestamp", detail: { hook: "signed", status: 401 } });
  });

  it("refuses a token in the query string with 400, before reading the body", async () => {
    const res = await post(`/hooks/tok?token=${TOK_SECRET}`, "{}", bearer());
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/^query parameter 'token': credentials in the URL are refused/);
  });

  it("answers 503 when the hook's secret env var is unset, naming no variable", async () => {
    const res = await post("/hooks/unset", "{}", bearer());
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).not.toContain("NOT_SET_ANYWHERE");
  });

  it("refuses a body over max_body_bytes with 413: by Content-Length before reading, and while reading a chunked one", async () => {
    const big = JSON.stringify({ kind: "x".repeat(2_000) });
    const declared = await post("/hooks/signed", big, { ...hmacHeaders(big), "content-length": String(big.length) });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error.message).toContain("hooks.signed.max_body_bytes");
    let pulled = 0;
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 100) return controller.close();
        controller.enqueue(new TextEncoder().encode("x".repeat(512)));
      },
    });
    const streamed = await post("/hooks/signed", chunked, hmacHeaders(big));
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it("refuses malformed JSON with 400 after a valid signature, and an unsupported content type with 415", async () => {
    const broken = '{"issue": ';
    const res = await post("/hooks/gh", broken, githubHeaders(broken));
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/^body: not valid JSON/);
    const xml = "<issue/>";
    const wrongType = await post("/hooks/gh", xml, { ...githubHeaders(xml), "content-type": "application/xml" });
    expect(wrongType.status).toBe(415);
  });
});

describe("accepted deliveries", () => {
  it("starts one run from a valid GitHub delivery with the rendered, untrusted-marked input; a redelivery starts none", async () => {
    const body = JSON.stringify({ action: "opened", issue: { title: "Crash on start" } });
    fake.enqueue({ text: "triaged" });
    const headers = githubHeaders(body, { "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    const first = await post("/hooks/gh", body, headers);
    expect(first.status).toBe(202);
    const accepted = await first.json();
    expect(accepted).toMatchObject({ hook: "gh", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", duplicate: false, runId: expect.any(String) });
    await finished(accepted.runId);
    const run = await app.store.runs.get(accepted.runId);
    expect(run).toMatchObject({ status: "succeeded", reply: "triaged", trigger: "hook", agentId: "default" });
    expect(run!.input).toContain('Webhook trigger "gh", delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(run!.input).toContain("not from the user");
    expect(run!.input).toContain("\nissues: Crash on start\n");

    const again = await post("/hooks/gh", body, headers);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ duplicate: true, runId: accepted.runId, journalId: accepted.journalId });
    expect((await hookRuns()).filter((r) => r.input.includes("72d3162e"))).toHaveLength(1);
    const audit = await app.store.audit.list({ kind: "hook.accepted" });
    expect(audit.map((a) => a.detail)).toEqual(expect.arrayContaining([expect.objectContaining({ hook: "gh", duplicate: true }), expect.objectContaining({ hook: "gh", duplicate: false })]));
  });

  it("accepts GitHub's form-encoded payload= body, signed over the form bytes", async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ issue: { title: "From a form" } }))}`;
    const res = await post("/hooks/gh", body, { ...githubHeaders(body), "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(202);
    const { runId } = await res.json();
    await finished(runId);
    expect((await app.store.runs.get(runId))!.input).toContain("issues: From a form");
  });

  it("accepts an hmac-sha256 delivery inside the window, with the Idempotency-Key as its delivery id", async () => {
    const body = '{"kind":"deploy"}';
    const res = await post("/hooks/signed", body, { ...hmacHeaders(body), "idempotency-key": "deploy-42" });
    expect(res.status).toBe(202);
    const accepted = await res.json();
    expect(accepted.deliveryId).toBe("deploy-42");
    await finished(accepted.runId);
  });

  it("limits a hook to rate_limit_per_minute deliveries: 429 with Retry-After", async () => {
    const statuses: number[] = [];
    let last: JsonResponse | undefined;
    for (let n = 0; n < 3; n++) {
      last = await post("/hooks/few", JSON.stringify({ n }), bearer());
      statuses.push(last.status);
      if (last.status === 202) await finished((await last.json()).runId);
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await last!.json()).error.message).toContain("hooks.few.rate_limit_per_minute");
    expect((await post("/hooks/few", "{}", bearer())).status).toBe(429);
    const limited = (await app.store.audit.list({ kind: "hook.refused" })).filter((a) => a.reason === "rate_limited");
    expect(limited).toHaveLength(1); // a flood is audited once per window

  });

  it("POSTs the run's result to a webhook: delivery target", async () => {
    fake.enqueue({ text: "weekly report done" });
    const got = new Promise<void>((resolve) => (postedOne = resolve));
    const res = await post("/hooks/out", '{"n":7}', { ...bearer(), "idempotency-key": "report-7" });
    expect(res.status).toBe(202);
    const { runId } = await res.json();
    await got;
    expect(posted).toEqual([{ hook: "out", deliveryId: "report-7", runId, status: "succeeded", reply: "weekly report done", error: null }]);
  });
});

describe("auth lockout", () => {
  it("locks an address out after repeated refusals, unknown hooks included", async () => {
    const strict = createHttpApp({ ctx: app, tokens, metrics: createGatewayMetrics(), authLockout: createAuthLockout({ freeFailures: 3 }) });
    const statuses: number[] = [];
    for (let n = 0; n < 4; n++) statuses.push((await post(n % 2 ? "/hooks/nope" : "/hooks/tok", "{}", bearer("wrong-token-000000000"), strict)).status);
    expect(statuses).toEqual([401, 404, 401, 404]);
    const locked = await post("/hooks/tok", "{}", bearer(), strict);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).not.toBeNull();
  });
});
