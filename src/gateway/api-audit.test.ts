// /api/v1/audit in memory: filters (kind, tool, decision, run, time) and keyset paging, and bad parameters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../core/domain.ts";
import { openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";

let t: ApiTestApp;
const T0 = Date.UTC(2026, 0, 1);
const audit = (over: Partial<AuditRecord>): AuditRecord => ({
  at: T0, kind: "tool.call", decision: "allow", runId: "r1", sessionKey: "s1", tool: "read", reason: undefined, detail: { args: { path: "a" } }, ...over,
});

beforeAll(async () => {
  t = await openApiTestApp();
  await t.app.store.audit.write(audit({}));
  await t.app.store.audit.write(audit({ at: T0 + 1_000, tool: "exec", decision: "deny", reason: "policy" }));
  await t.app.store.audit.write(audit({ at: T0 + 2_000, runId: "r2", tool: "exec" }));
  await t.app.store.audit.write(audit({ at: T0 + 3_000, kind: "pairing.approved", tool: undefined, runId: undefined }));
});
afterAll(() => t.close());

const list = async (query: string) => (await (await t.get(`/api/v1/audit?${query}`)).json()) as { data: AuditRecord[]; next: number | null };

describe("GET /api/v1/audit", () => {
  it("filters by kind, tool, decision, run and a time window", async () => {
    expect((await list("")).data.map((a) => a.at)).toEqual([T0 + 3_000, T0 + 2_000, T0 + 1_000, T0]);
    expect((await list("kind=pairing.approved")).data).toHaveLength(1);
    expect((await list("tool=exec")).data.map((a) => a.decision)).toEqual(["allow", "deny"]);
    expect((await list("decision=deny")).data.map((a) => a.reason)).toEqual(["policy"]);
    expect((await list("run=r2")).data.map((a) => a.at)).toEqual([T0 + 2_000]);
    expect((await list(`since=${T0 + 1_000}&until=2026-01-01T00:00:03Z`)).data.map((a) => a.at)).toEqual([T0 + 2_000, T0 + 1_000]);
  });

  it("pages newest first: `next` is the `before` of the following page", async () => {
    const first = await list("limit=3");
    expect(first.next).toBe(first.data[2]!.id);
    const second = await list(`limit=3&before=${first.next}`);
    expect(second).toEqual({ data: [expect.objectContaining({ at: T0 })], next: null });
  });

  it("answers bad parameters with 400 naming them", async () => {
    for (const [query, param] of [["decision=maybe", "decision"], ["before=abc", "before"], ["before=0", "before"], ["before=-1", "before"], ["limit=9999", "limit"], ["since=soon", "since"], ["kind=", "kind"]] as const) {
      const res = await t.get(`/api/v1/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).error, query).toMatchObject({ type: "invalid_request", param });
    }
    expect((await t.get("/api/v1/audit?constructor=1&__proto__=2")).status).toBe(200);
  });
});
