// The schedule tool's edge: arguments the model sends are checked before the reminders are touched; garbage is a
// ToolError naming what is wrong, never a call into the store.
import { describe, expect, it } from "vitest";
import { ToolError } from "../../core/errors.ts";
import type { ToolContext } from "../tool.ts";
import { createScheduleTool, type RemindersView } from "./schedule-tool.ts";

const untouched: RemindersView = {
  create: () => Promise.reject(new Error("create must not be called")),
  list: () => Promise.reject(new Error("list must not be called")),
  cancel: () => Promise.reject(new Error("cancel must not be called")),
};
const ctx = {} as ToolContext;

describe("schedule tool arguments", () => {
  it("refuses garbage with a ToolError before touching the reminders", async () => {
    const tool = createScheduleTool(untouched);
    const garbage: Array<Record<string, unknown>> = [
      {},
      { action: "delete" },
      { action: "create" },
      { action: "create", when: "in 20m" },
      { action: "create", when: "whenever", message: "x" },
      { action: "create", when: "in 20m", message: "x".repeat(2_001) },
      { action: "create", when: 5, message: "x" },
      { action: "cancel" },
      { action: "list", extra: true },
      JSON.parse('{"action":"list","__proto__":{"admin":true}}') as Record<string, unknown>, // an own __proto__ key, as model JSON has
    ];
    for (const args of garbage) {
      const err = await tool.execute(args, ctx).catch((e: unknown) => e);
      expect(err, JSON.stringify(args)).toBeInstanceOf(ToolError);
    }
  });
});
