// The memory block of an owner session's system prompt: one line on where memory lives, then MEMORY.md capped at
// `memory.prompt_max_chars`. MEMORY.md is re-read only when its mtime or size changed (one fstat per turn otherwise).
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MEMORY_FILE } from "./memory-files.ts";

type Cached = { mtimeMs: number; size: number; text: string };

/** Reads MEMORY.md of a workspace (regular file, no symlink, no FIFO), cached by mtime and size; "" when absent. */
export function createMemoryFileReader(): (workspace: string) => string {
  const cache = new Map<string, Cached>();
  return (workspace) => {
    const path = join(workspace, MEMORY_FILE);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      cache.delete(path);
      return "";
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return "";
      const hit = cache.get(path);
      if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit.text;
      const text = readFileSync(fd, "utf8").trim();
      cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, text });
      return text;
    } catch {
      return "";
    } finally {
      closeSync(fd);
    }
  };
}

/** The block: where to write memory, whether it can be searched, and MEMORY.md (cut at `maxChars`, with a note). */
export function renderMemoryPrompt(input: { memoryText: string; maxChars: number; searchable: boolean }): string {
  const lines = [
    "## Memory",
    "Write durable facts and preferences to MEMORY.md and daily notes to memory/YYYY-MM-DD.md with your file tools." +
      (input.searchable ? " Use memory_search before answering about past work, people, preferences or decisions." : ""),
  ];
  const text = input.memoryText;
  if (text && input.maxChars > 0) {
    const cut = text.length > input.maxChars;
    lines.push("", "## MEMORY.md", cut ? text.slice(0, input.maxChars) : text);
    if (cut) lines.push(`[MEMORY.md cut at ${input.maxChars} characters; memory_search finds the rest]`);
  }
  return lines.join("\n");
}
