// Webhook triggers against a real `pincer gateway` process: a GitHub-signed delivery starts a run the fake model
// answers, a bad signature journals nothing, and `pincer hooks test` signs a body the gateway accepts.
import { createHmac } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, startGatewayProcess, until, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
const GH_SECRET = "e2e-github-secret-0123456789abcdef";
const HOOKS = [
  "hooks:",
  "  github: { auth: github, secret_env: GH_SECRET, message: 'GitHub {{headers.x-github-event}}: {{body.issue.title}}' }",
  "  deploy: { auth: hmac-sha256, secret_env: DEPLOY_SECRET, message: 'deploy of {{body.service}}' }",
].join("\n");

function count(dbFile: string, sql: string): number {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    return Number((db.prepare(sql).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

describe("webhook triggers", () => {
  it("runs a GitHub-signed delivery, journals nothing for a bad signature, and `hooks test` signs what the gateway accepts", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\n${HOOKS}`);
    const env = { GH_SECRET, DEPLOY_SECRET: "e2e-deploy-secret-0123456789abcdef" };
    const gw = await startGatewayProcess(home, undefined, { env });
    const dbFile = join(home.dir, "pincer.db");
    const body = JSON.stringify({ action: "opened", issue: { title: "Login page is blank" } });
    const send = (signature: string) =>
      fetch(`${gw.url}/hooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "e2e-delivery-1", "x-hub-signature-256": signature },
        body,
      });
    try {
      const bad = await send(`sha256=${createHmac("sha256", "not-the-secret").update(body).digest("hex")}`);
      expect(bad.status).toBe(401);
      expect(count(dbFile, "SELECT count(*) AS n FROM journal")).toBe(0);

      fx.fake.enqueue({ text: "Triaged: needs a look at the auth flow" });
      const ok = await send(`sha256=${createHmac("sha256", GH_SECRET).update(body).digest("hex")}`);
      expect(ok.status).toBe(202);
      const { runId } = (await ok.json()) as { runId: string };
      const run = await until("the hook's run to finish", async () => {
        const res = await fetch(`${gw.url}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${gw.token}` } });
        const json = (await res.json()) as { status: string; reply: string; trigger?: string };
        return json.status !== "running" && json.status !== "pending" ? json : undefined;
      });
      expect(run).toMatchObject({ status: "succeeded", reply: "Triaged: needs a look at the auth flow", trigger: "hook" });
      const prompt = JSON.stringify(fx.fake.requests.at(-1)!.body);
      expect(prompt).toContain("GitHub issues: Login page is blank");
      expect(prompt).toContain("not from the user");

      const file = join(home.dir, "deploy.json");
      await writeFile(file, JSON.stringify({ service: "billing" }));
      const tested = await home.cli(["hooks", "test", "deploy", "--body", file, "--json"], { env });
      expect(tested.stderr).toBe("");
      expect(tested.code).toBe(0);
      expect(JSON.parse(tested.stdout)).toMatchObject({ hook: "deploy", status: 202, duplicate: false, runId: expect.any(String) });

      const unset = await home.cli(["hooks", "test", "deploy", "--body", file], { env: { GH_SECRET } });
      expect(unset.code).toBe(78);
      expect(unset.stderr).toContain("hooks.deploy.secret_env: DEPLOY_SECRET is not set in this shell");
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });

  it("`hooks test` says the gateway is down, and `hooks list --json` shows each hook", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\n${HOOKS}`);
    const down = await home.cli(["hooks", "test", "github"], { env: { GH_SECRET } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: the gateway is not running \(.*\)\. Fix: start it with 'pincer gateway'/);
    const list = await home.cli(["hooks", "list", "--json"], { env: { GH_SECRET } });
    expect(JSON.parse(list.stdout).hooks).toEqual([
      { name: "github", auth: "github", path: "/hooks/github", secretEnv: "GH_SECRET", secretSet: true, agent: "default", session: "isolated", deliver: "none" },
      { name: "deploy", auth: "hmac-sha256", path: "/hooks/deploy", secretEnv: "DEPLOY_SECRET", secretSet: false, agent: "default", session: "isolated", deliver: "none" },
    ]);
  });
});
