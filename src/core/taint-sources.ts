// Trust labels of untrusted content (TaintSource lists on runs and sessions): merging with a cap, and their schema for
// payloads read back from the journal and the bus. Pure.
import { z } from "zod";
import type { TaintSource } from "./domain.ts";

/** A run or session keeps at most this many sources: the oldest and the newest halves. */
export const MAX_TAINT_SOURCES = 20;
const MAX_LABEL_CHARS = 300;

export const TAINT_KINDS = ["message", "web", "hook", "file", "mcp", "agent"] as const satisfies readonly TaintSource["kind"][];

export const taintSourcesSchema = z.array(z.object({
  kind: z.enum(TAINT_KINDS),
  label: z.string().min(1).max(MAX_LABEL_CHARS),
  at: z.number().int().nonnegative(),
})).max(MAX_TAINT_SOURCES);

/** Lists joined in order, each source once (by kind + label, the first kept), capped at MAX_TAINT_SOURCES by dropping
 * the middle. */
export function mergeTaint(...lists: ReadonlyArray<readonly TaintSource[] | undefined>): TaintSource[] {
  const seen = new Set<string>();
  const merged: TaintSource[] = [];
  for (const list of lists) {
    for (const s of list ?? []) {
      const key = `${s.kind}\0${s.label}`;
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(s.label.length > MAX_LABEL_CHARS ? { ...s, label: `${s.label.slice(0, MAX_LABEL_CHARS - 1)}…` } : s);
    }
  }
  if (merged.length <= MAX_TAINT_SOURCES) return merged;
  const half = MAX_TAINT_SOURCES / 2;
  return [...merged.slice(0, half), ...merged.slice(-half)];
}

/** Parses a stored or received list; undefined when absent or malformed (never throws). */
export function parseTaint(value: unknown): TaintSource[] | undefined {
  const parsed = taintSourcesSchema.safeParse(value);
  return parsed.success && parsed.data.length > 0 ? parsed.data : undefined;
}
