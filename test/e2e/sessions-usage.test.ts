// `pincer sessions` and `pincer usage` as a user reads them: short session keys that `show` accepts, -n limiting the
// runs too, and "unknown price" (never $0.0000) for a model without a price.
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
const PRICES = ["  prices:", '    "fake/priced": { input: 1, output: 2 }'].join("\n");

describe("sessions and usage", () => {
  it("lists short keys that show accepts, limits messages and runs with -n, and says unknown price", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, PRICES));
    fx.fake.enqueue({ text: "re one" }, { text: "re two" }, { text: "re three" });
    expect((await home.cli(["chat"], { input: "one\ntwo\nthree\n" })).code).toBe(0); // three turns, one session
    fx.fake.enqueue({ text: "priced" });
    expect((await home.cli(["run", "hi", "--session", "agent:default:cli:dm:priced", "--model", "fake/priced"])).code).toBe(0);

    const list = await home.cli(["sessions", "list"]);
    expect(list.stdout).toMatch(/^SESSION +AGENT +CHANNEL/);
    expect(list.stdout).toMatch(/\ncli:dm:local +default +cli +/);

    const show = await home.cli(["sessions", "show", "cli:dm:local", "-n", "1"]);
    expect(show.code).toBe(0);
    const lines = show.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("session agent:default:cli:dm:local · agent default · 30 in / 15 out tokens · unknown price");
    expect(lines.filter((l) => /^(user|assistant) /.test(l))).toEqual(["assistant re three"]);
    expect(lines.slice(lines.findIndex((l) => l.startsWith("RUN")) + 1)).toHaveLength(1);
    expect((await home.cli(["sessions", "show", "cli:dm:local", "--agent", "nobody"])).stderr).toBe('error: no session "cli:dm:local" — list them with: pincer sessions list\n');

    const usage = await home.cli(["usage"]);
    expect(usage.stdout).toMatch(/fake\/gpt-4o-mini +3 +30 +0 +15 +unknown price\n/);
    expect(usage.stdout).toMatch(/fake\/priced +1 +10 +0 +5 +\$0\.0000\n/);
    expect(usage.stdout).toMatch(/total +4 +40 +0 +20 +\$0\.0000 \+ unknown\n/);
    expect(usage.stdout).toContain('unknown price for fake/gpt-4o-mini: set models.prices["fake/gpt-4o-mini"] to { input: …, output: … } (USD per 1M tokens) to count it');
    const json = JSON.parse((await home.cli(["usage", "--json"])).stdout) as { models: Array<{ model: string; priced: boolean }>; total: { priced: boolean } };
    expect(json.models.map((m) => [m.model, m.priced])).toEqual(expect.arrayContaining([["gpt-4o-mini", false], ["priced", true]]));
    expect(json.total.priced).toBe(false);
  }, 90_000);

  it("shows each budget's use and reset, and a turn over a block budget reaches no model", async () => {
    const budgets = ["budgets:", "  - { scope: instance, max_tokens: 15, action: block }", "  - { scope: session, period: month, max_tokens: 1000, action: warn, tz: Europe/Paris }"].join("\n");
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\n${budgets}`);
    fx.fake.enqueue({ text: "first" });
    expect((await home.cli(["run", "hi", "--session", "agent:default:cli:dm:budget"])).code).toBe(0);
    const before = fx.fake.requests.length;
    const blocked = await home.cli(["run", "again", "--session", "agent:default:cli:dm:budget"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("Budget exceeded: The daily budget of this assistant (instance) is used up: 15 of 15 tokens (100%). No model was called.");
    expect(fx.fake.requests.length).toBe(before);

    const usage = await home.cli(["usage"]);
    expect(usage.stdout).toMatch(/\nBUDGET +PERIOD +ACTION +USED +RESETS\ninstance +day +block +15 of 15 tokens \(100%\) +\d{1,2} \w{3} \d{4}, 00:00 \(UTC\)\n/);
    expect(usage.stdout).toMatch(/\nsession +month +warn +agent:default:cli:dm:budget: 15 of 1,000 tokens \(1%\) +1 \w{3} \d{4}, 00:00 \(Europe\/Paris\)\n/);
    const json = JSON.parse((await home.cli(["usage", "--json"])).stdout) as { budgets: Array<{ scope: string; statuses: Array<{ tokens: number; over: boolean }> }> };
    expect(json.budgets[0]).toMatchObject({ scope: "instance", max_tokens: 15, statuses: [{ tokens: 15, over: true }] });
  }, 90_000);
});
