// Pure naming and schema compaction of MCP tools: the names policy patterns match, the schemas the model is sent.
import { describe, expect, it } from "vitest";
import { compactSchema, cutDescription, MAX_TOOL_NAME, mcpToolName, mcpToolNames } from "./mcp-tool-names.ts";

describe("mcpToolName", () => {
  it("is mcp__<server>__<tool>, with characters outside [a-zA-Z0-9_-] as _", () => {
    expect(mcpToolName("github", "search_issues")).toBe("mcp__github__search_issues");
    expect(mcpToolName("fs", "read.file/v2")).toBe("mcp__fs__read_file_v2");
  });

  it("cuts long names to 64 characters with a hash of the original", () => {
    const name = mcpToolName("a-rather-long-server-name", "x".repeat(80));
    expect(name).toHaveLength(MAX_TOOL_NAME);
    expect(name).toMatch(/^mcp__a-rather-long-server-name__x+_[0-9a-f]{6}$/);
  });
});

describe("mcpToolNames", () => {
  it("tells apart names that clean to the same one, the same way whatever the order", () => {
    const a = mcpToolNames("s", ["get.item", "get_item", "get-item"]);
    const b = mcpToolNames("s", ["get-item", "get_item", "get.item"]);
    expect(a).toEqual(b);
    expect(new Set(a.values()).size).toBe(3);
    expect(a.get("get.item")).toBe("mcp__s__get_item");
    expect(a.get("get_item")).toMatch(/^mcp__s__get_item_[0-9a-f]{6}$/);
  });
});

describe("compactSchema", () => {
  it("keeps types, required, enums and short descriptions; drops $schema, titles and examples", () => {
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#", title: "Args", type: "object", additionalProperties: false,
      properties: {
        q: { type: "string", title: "Query", description: "d".repeat(300), examples: ["x"] },
        mode: { type: "string", enum: ["a", "b"], default: "a" },
      },
      required: ["q", "missing"],
    };
    const out = compactSchema(schema);
    expect(out).toEqual({
      type: "object", additionalProperties: false, required: ["q"],
      properties: { q: { type: "string", description: expect.stringMatching(/^d{119}…$/) }, mode: { type: "string", enum: ["a", "b"], default: "a" } },
    });
  });

  it("makes an object schema of anything", () => {
    expect(compactSchema(undefined)).toEqual({ type: "object", properties: {} });
    expect(compactSchema({ type: "string" })).toEqual({ type: "object", properties: {} });
  });

  it("keeps a property called like a dropped keyword", () => {
    expect(compactSchema({ type: "object", properties: { title: { type: "string" } } }).properties).toEqual({ title: { type: "string" } });
  });
});

describe("cutDescription", () => {
  it("flattens whitespace and cuts on a word", () => {
    expect(cutDescription("one  two\nthree four five six", 15)).toBe("one two three…");
  });
});
