// Shared helpers for built-in tools: zod argument validation that names the bad field, and output clipping.
// Nothing here touches the filesystem or policy.
import type { z } from "zod";
import { ToolError } from "../core/errors.ts";

/**
 * Validates tool arguments with a zod schema.
 * Throws ToolError("invalid_args") naming the first bad field, e.g. `read: argument "limit": Too small…`.
 */
export function parseArgs<S extends z.ZodType>(tool: string, schema: S, args: unknown): z.output<S> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : undefined;
  const what = field ? `argument "${field}"` : "arguments";
  throw new ToolError("invalid_args", `${tool}: ${what}: ${issue?.message ?? "invalid"}`);
}

/** Cuts `text` to `maxChars`, appending a note that says how much was dropped. */
export function clipText(text: string, maxChars: number): { text: string; clipped: boolean } {
  if (text.length <= maxChars) return { text, clipped: false };
  return { text: `${text.slice(0, maxChars)}\n[truncated: ${text.length - maxChars} more chars]`, clipped: true };
}

/** Heuristic binary check: a NUL byte in the first 8 KB. */
export function looksBinary(buf: Uint8Array): boolean {
  return buf.subarray(0, 8192).includes(0);
}
