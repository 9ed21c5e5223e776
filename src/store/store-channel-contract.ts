// Store contract cases for chat channels: DM pairing, quiet group context, notices and run origins.
// Registered by describeStore, so every backend runs them.
import { describe, expect, it } from "vitest";
import type { Store } from "./store.ts";
import type { ClusterContractContext } from "./store-cluster-contract.ts";

const HOUR = 3_600_000;

export function describeChannelContract({ store: current, tick }: ClusterContractContext): void {
  const ask = (store: Store, senderId: string, code: string, account = "default") =>
    store.pairing.request({ channel: "telegram", account, senderId, senderName: `n-${senderId}`, chatId: `c-${senderId}`, code, ttlMs: HOUR, maxPending: 3 });

  describe("pairing", () => {
    it("issues one code per sender, at most 3 pending per account, and forgets expired ones", async () => {
      const store = current();
      expect(await ask(store, "u1", "AAAAAAAA")).toMatchObject({ status: "created", request: { code: "AAAAAAAA", chatId: "c-u1" } });
      expect(await ask(store, "u1", "BBBBBBBB")).toMatchObject({ status: "existing", request: { code: "AAAAAAAA" } });
      await ask(store, "u2", "CCCCCCCC");
      await ask(store, "u3", "DDDDDDDD");
      expect(await ask(store, "u4", "EEEEEEEE")).toEqual({ status: "full" });
      expect(await ask(store, "u4", "EEEEEEEE", "other")).toMatchObject({ status: "created" });
      expect((await store.pairing.pending({ channel: "telegram" })).map((r) => r.senderId)).toEqual(["u1", "u2", "u3", "u4"]);
      tick(HOUR + 1);
      expect(await store.pairing.pending()).toEqual([]);
      expect(await ask(store, "u4", "FFFFFFFF")).toMatchObject({ status: "created", request: { code: "FFFFFFFF" } });
    });

    it("approves by code (any case) once, persists the sender, and denies", async () => {
      const store = current();
      await ask(store, "u1", "AAAAAAAA");
      await ask(store, "u2", "BBBBBBBB");
      expect(await store.pairing.isApproved("telegram", "default", "u1")).toBe(false);
      expect(await store.pairing.approve("telegram", "aaaaaaaa")).toMatchObject({ senderId: "u1", account: "default" });
      expect(await store.pairing.approve("telegram", "AAAAAAAA")).toBeUndefined();
      expect(await store.pairing.approve("slack", "BBBBBBBB")).toBeUndefined();
      expect(await store.pairing.isApproved("telegram", "default", "u1")).toBe(true);
      expect(await store.pairing.deny("telegram", "BBBBBBBB")).toMatchObject({ senderId: "u2" });
      expect(await store.pairing.pending()).toEqual([]);
      expect((await store.pairing.approved()).map((a) => a.senderId)).toEqual(["u1"]);
      expect(await store.pairing.revoke("telegram", "default", "u1")).toBe(true);
      expect(await store.pairing.isApproved("telegram", "default", "u1")).toBe(false);
    });

    it("does not approve an expired code", async () => {
      const store = current();
      await ask(store, "u1", "AAAAAAAA");
      tick(HOUR);
      expect(await store.pairing.approve("telegram", "AAAAAAAA")).toBeUndefined();
    });
  });

  describe("groupContext", () => {
    it("keeps the newest entries and hands them over once", async () => {
      const store = current();
      for (let i = 1; i <= 5; i++) await store.groupContext.append({ sessionKey: "g1", sender: `u${i}`, text: `m${i}`, at: i }, 3);
      await store.groupContext.append({ sessionKey: "g2", sender: "x", text: "other", at: 1 }, 3);
      expect((await store.groupContext.take("g1")).map((e) => e.text)).toEqual(["m3", "m4", "m5"]);
      expect(await store.groupContext.take("g1")).toEqual([]);
      await store.groupContext.clear("g2");
      expect(await store.groupContext.take("g2")).toEqual([]);
    });
  });

  describe("notices", () => {
    it("queues per channel account until marked sent", async () => {
      const store = current();
      const n = await store.notices.enqueue({ channel: "telegram", account: "default", chatId: "42", text: "approved" });
      await store.notices.enqueue({ channel: "slack", account: "default", chatId: "C1", text: "other" });
      expect((await store.notices.pending("telegram", "default")).map((x) => x.text)).toEqual(["approved"]);
      await store.notices.markSent(n.id);
      expect(await store.notices.pending("telegram", "default")).toEqual([]);
    });
  });

  describe("run origin and session activation", () => {
    it("round-trips", async () => {
      const store = current();
      await store.sessions.ensure({ key: "s1", agentId: "main", channel: "telegram" });
      const origin = { channel: "telegram", account: "default", chatKind: "group" as const, chatId: "-100", threadId: "7", messageId: "-100:5", senderId: "u1" };
      await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hi", origin });
      expect((await store.runs.get("r1"))?.origin).toEqual(origin);
      await store.runs.create({ id: "r2", sessionKey: "s1", agentId: "main", input: "hi" });
      expect((await store.runs.get("r2"))?.origin).toBeUndefined();
      await store.sessions.update("s1", { activation: "always" });
      expect((await store.sessions.get("s1"))?.activation).toBe("always");
    });
  });
}
