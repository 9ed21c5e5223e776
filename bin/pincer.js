#!/bin/sh
':' //; d=--max-semi-space-size=8; export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-32768}"; exec node ${PINCER_NODE_OPTIONS-$d} "$0" "$@"
// Entry point of the installed `pincer` command: the bundled JavaScript in dist/ when present (`npm run build`), else
// the TypeScript sources (Node 22.18+/23.6+ runs them directly). Refuses, with a fix, a Node that lacks what Pincer needs.
// The two lines above are read by sh, not Node: they start Node with Pincer's heap flags (src/config/node-flags.ts),
// or with PINCER_NODE_OPTIONS instead when it is set, and glibc's malloc settings unless already set, in place of
// the shell (no second process).
import { existsSync } from "node:fs";
import module from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

// What Pincer needs of Node, checked by feature: node:sqlite with StatementSync#columns() (Node 22.16 / 23.11; its data
// lives in SQLite), and, when it runs from its TypeScript sources (no dist/), type stripping (Node 22.18 / 23.6).
// package.json's engines, `pincer doctor` and the README say the same.
const built = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);
const fromSource = !existsSync(built);
const sqlite = process.getBuiltinModule?.("node:sqlite");
const missing =
  typeof sqlite?.StatementSync?.prototype.columns !== "function" ? "Node.js 22.16 or newer (it keeps its data with node:sqlite)"
  : fromSource && !process.features?.typescript ? "Node.js 22.18 or newer to run from its TypeScript sources (there is no dist/: run 'npm run build')"
  : undefined;
if (missing) {
  process.stderr.write(
    `error: pincer needs ${missing}; this is ${process.version}. ` +
      "Fix: install Node.js 24 LTS, or run it through the project's npm scripts (npm run pincer -- <command>), which bring Node 24.\n",
  );
  process.exit(78);
}

// Node's compile cache keeps V8's compiled code between starts (keyed by file content, so a rebuild never runs stale
// code). Per user, like any cache: NODE_COMPILE_CACHE when set, else $XDG_CACHE_HOME/pincer or ~/.cache/pincer.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; a directory that cannot be written only means no cache.
const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(cacheRoot, "pincer", "compile-cache"));

await import(fromSource ? source.href : built.href);
