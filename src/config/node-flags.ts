// The Node.js flags Pincer's processes start with (a bounded young generation), PINCER_NODE_OPTIONS, which replaces
// them, and the glibc malloc settings of their environment. V8 sizes its heap and glibc its arenas once at start, so
// both must be there before Node starts: bin/pincer.js and the service files put both there, the npm scripts the
// flags (node-flags.test.ts keeps the copies equal).
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

/**
 * glibc malloc settings Pincer's processes start with (Linux; other C libraries ignore them). Without them the
 * memory a burst of turns mallocs and frees (V8's compiler zones, on its background threads too; socket read
 * buffers) stays behind in up to 8 arenas per core, fragmented: 30-40 MB that never return to the operating system.
 * `MALLOC_ARENA_MAX=2`: the main thread's arena and one the background threads share. `MALLOC_MMAP_THRESHOLD_`
 * (bytes): blocks of 32 KB and more, V8's compiler zone segments among them, get pages of their own that go back as
 * they are freed; setting it also stops glibc from raising its trim threshold, so free memory at the top of an
 * arena is returned too.
 */
export const DEFAULT_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "32768" };

/**
 * The malloc settings for a Pincer process started from `env`: each default unless `env` sets that variable to a
 * value (glibc reads an empty `MALLOC_MMAP_THRESHOLD_` as 0, which would put every allocation in pages of its own).
 */
export function mallocEnvFor(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(DEFAULT_MALLOC_ENV).map(([name, value]) => [name, env[name] || value]));
}
