// The memory tools: memory_search (hybrid search over the agent's memory index) and memory_get (lines of one memory
// file, confined to MEMORY.md, memory/ and the extra folders). Bound to one agent's index; offered in owner sessions only.
import { z } from "zod";
import type { Tool } from "../tools/tool.ts";
import { clipText, parseArgs } from "../tools/tool-kit.ts";
import type { MemoryIndex } from "./memory-index.ts";

const MAX_GET_LINES = 400;
const MAX_GET_CHARS = 20_000;

const searchArgs = z.object({
  query: z.string().min(1).max(1_000),
  limit: z.number().int().min(1).max(20).optional(),
});

const getArgs = z.object({
  path: z.string().min(1).max(4_096),
  from_line: z.number().int().min(1).optional(),
  lines: z.number().int().min(1).max(MAX_GET_LINES).optional(),
});

export function createMemoryTools(index: MemoryIndex): Tool[] {
  const search: Tool = {
    name: "memory_search",
    group: "memory",
    description: "Search memory (MEMORY.md, memory/*.md, notes). Returns path:lines, score, snippet; then memory_get.",
    parameters: { type: "object", properties: { query: { type: "string" }, limit: { type: "integer" } }, required: ["query"] },
    async execute(args) {
      const a = parseArgs("memory_search", searchArgs, args);
      const hits = await index.search(a.query, a.limit ?? 5);
      if (hits.length === 0) return { text: `no memory matches "${a.query}"`, detail: { hits: 0 } };
      const text = hits.map((h) => `${h.path}:${h.startLine}-${h.endLine} (score ${h.score})\n  ${h.snippet}`).join("\n");
      return { text, detail: { hits: hits.length } };
    },
  };
  const get: Tool = {
    name: "memory_get",
    group: "memory",
    description: "Read lines of a memory file (a path from memory_search).",
    parameters: { type: "object", properties: { path: { type: "string" }, from_line: { type: "integer" }, lines: { type: "integer" } }, required: ["path"] },
    async execute(args) {
      const a = parseArgs("memory_get", getArgs, args);
      const got = await index.readLines(a.path, a.from_line ?? 1, a.lines ?? 60);
      const body = clipText(got.text, MAX_GET_CHARS).text;
      return { text: `${got.path}:${got.fromLine}-${got.toLine} of ${got.totalLines}\n${body}`, detail: { path: got.path } };
    },
  };
  return [search, get];
}
