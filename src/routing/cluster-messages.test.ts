import { describe, expect, it } from "vitest";
import { inboundJobSchema } from "./cluster-messages.ts";

describe("inbound job", () => {
  const job = { journalId: 1, sessionKey: "s", agentId: "default", channel: "telegram", text: "hi" };

  it("carries trust labels, and refuses malformed ones", () => {
    const taint = [{ kind: "message", label: "telegram group message from 8", at: 5 }];
    expect(inboundJobSchema.parse({ ...job, taint }).taint).toEqual(taint);
    expect(inboundJobSchema.safeParse({ ...job, taint: [{ kind: "nope", label: "x", at: 1 }] }).success).toBe(false);
    expect(inboundJobSchema.safeParse({ ...job, taint: [{ kind: "web", label: "x".repeat(301), at: 1 }] }).success).toBe(false);
    expect(inboundJobSchema.parse(job).taint).toBeUndefined();
  });
});
