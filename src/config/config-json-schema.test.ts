// Tests that the editor JSON Schema is derived from the zod schema and carries its identity.
import { describe, expect, it } from "vitest";
import { CONFIG_SCHEMA_ID, renderConfigJsonSchema } from "./config-json-schema.ts";

describe("renderConfigJsonSchema", () => {
  it("renders the input side with $id and title", () => {
    const schema = renderConfigJsonSchema() as { $id: string; title: string; properties: Record<string, unknown>; required?: string[] };
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID);
    expect(schema.title).toContain("pincer.yaml");
    expect(Object.keys(schema.properties)).toEqual(["instance", "models", "agents", "policy", "gateway", "store", "bus", "log", "channels", "bindings", "session", "media", "skills", "a2a", "compaction", "memory", "heartbeat", "hooks", "budgets", "approvals", "mcp"]);
    expect(schema.required ?? []).toEqual([]);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
