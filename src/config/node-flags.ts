// The Node.js flags Pincer's processes start with (a bounded young generation), and PINCER_NODE_OPTIONS, which
// replaces them. V8 sizes its heap once at start, so they must be on Node's command line: bin/pincer.js, the npm
// scripts and the service files each put them there (node-flags.test.ts keeps the copies equal).
import type { Env } from "./paths.ts";

/**
 * Pincer's default Node flags. `--max-semi-space-size=8` (MB) caps each of the young generation's two
 * semi-spaces; without it V8 grows them to 32 MB each under load and keeps the pages, which shows as RSS that
 * rises by ~100 MB and stays up although the retained heap is flat. The old generation keeps V8's own limit
 * (a quarter of the machine's or container's memory, at most ~4 GB), which fails with a clear out-of-memory error.
 */
export const DEFAULT_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

/** Replaces DEFAULT_NODE_FLAGS when set: space-separated Node flags; set but empty runs Node with its own defaults. */
export const NODE_FLAGS_ENV = "PINCER_NODE_OPTIONS";

/** The Node flags for a Pincer process started with `env`. */
export function nodeFlagsFor(env: Env): string[] {
  const custom = env[NODE_FLAGS_ENV];
  return custom === undefined ? [...DEFAULT_NODE_FLAGS] : custom.split(/\s+/).filter((flag) => flag !== "");
}
