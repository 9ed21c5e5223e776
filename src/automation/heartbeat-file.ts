// The heartbeat's checklist: HEARTBEAT.md at the root of the agent's workspace, read without following a symlink out
// of the workspace and capped in size, and its open items — what the precheck looks at before any model call.
import { ToolError } from "../core/errors.ts";
import { openWorkspaceFile } from "../tools/workspace-fs.ts";

export const HEARTBEAT_FILE = "HEARTBEAT.md";
/** Bytes of HEARTBEAT.md read; the rest of a longer file is ignored. */
export const HEARTBEAT_MAX_BYTES = 64 * 1024;

export type HeartbeatFile =
  | { status: "missing" }
  /** Not read: a symlink out of the workspace, a directory, a FIFO… `reason` says which. */
  | { status: "refused"; reason: string }
  | { status: "read"; items: string[]; bytes: number; truncated: boolean };

/** Reads the open items of `HEARTBEAT.md` in `workspace`. Contract: never throws for the file's state or content. */
export async function readHeartbeatFile(workspace: string): Promise<HeartbeatFile> {
  let file;
  try {
    file = await openWorkspaceFile(workspace, HEARTBEAT_FILE);
  } catch (err) {
    if ((err instanceof ToolError && err.code === "not_found") || (err as { code?: unknown }).code === "ENOENT") return { status: "missing" };
    return { status: "refused", reason: err instanceof Error ? err.message : String(err) };
  }
  try {
    const size = Math.min(file.stat.size, HEARTBEAT_MAX_BYTES);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = size > 0 ? await file.handle.read(buffer, 0, size, 0) : { bytesRead: 0 };
    const truncated = file.stat.size > HEARTBEAT_MAX_BYTES;
    let text = buffer.subarray(0, bytesRead).toString("utf8");
    // A cut file ends mid-line: that partial line is not an item.
    if (truncated) text = text.slice(0, Math.max(0, text.lastIndexOf("\n")));
    return { status: "read", items: listOpenItems(text), bytes: file.stat.size, truncated };
  } catch (err) {
    return { status: "refused", reason: `${HEARTBEAT_FILE}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await file.handle.close();
  }
}

const HEADING = /^#{1,6}(?:\s|$)/;
/** A thematic break, or a setext heading's underline. */
const RULE = /^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|=+)$/;
const SETEXT_UNDERLINE = /^(?:=+|-+)$/;
const FENCE = /^(?:`{3,}|~{3,})[\w-]*$/;
const LIST_MARKER = /^(?:[-*+]|\d{1,9}[.)])$/;
const TASK = /^(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\](?:\s+(.*))?$/;

/**
 * The open items of a HEARTBEAT.md: every line that is not blank, not a heading (`#…`, or underlined with `===`/`---`),
 * not a rule or a bare list marker or code fence, not inside an HTML comment (`<!-- … -->`, across lines too; one left
 * open runs to the end), and not a checked task (`- [x] …`). An unchecked task with no text is no item either. Pure.
 */
export function listOpenItems(markdown: string): string[] {
  const visible = markdown.replace(/^\uFEFF/, "").replace(/<!--[\s\S]*?(?:-->|$)/g, "");
  const items: string[] = [];
  let previousWasItem = false;
  for (const raw of visible.split(/\r?\n/)) {
    const line = raw.trim();
    const wasItem = previousWasItem;
    previousWasItem = false;
    if (line === "") continue;
    // `Title` over `=====` (or `-----`) is a heading, not an item.
    if (wasItem && SETEXT_UNDERLINE.test(line)) {
      items.pop();
      continue;
    }
    if (HEADING.test(line) || RULE.test(line) || FENCE.test(line) || LIST_MARKER.test(line)) continue;
    const task = TASK.exec(line);
    if (task && (task[1] !== " " || !task[2]?.trim())) continue;
    items.push(line);
    previousWasItem = true;
  }
  return items;
}
