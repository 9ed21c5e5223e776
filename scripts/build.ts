// `npm run build` (and `prepare`, so `npm install` produces it): bundles src/ into dist/ with esbuild — minified ESM,
// one entry (dist/cli/main.js) whose lazily imported commands, channel adapters and stores become chunks loaded on
// first use, linked source maps, and the Control UI's files (src/gateway/ui, served as they are). Type checking stays with `npm run check`; tests run src/.
// `--if-stale` (npm start) builds only when a source, the lock file or this script is newer than dist/.
import type { Plugin } from "esbuild";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");

/**
 * Packages bundled in (with their dependencies): pure JavaScript that start-up or the first turn loads, so hundreds of
 * files become a few chunks — the AI SDK and its providers included. Every other package stays external and is
 * loaded from node_modules when used, as before: the channel SDKs (loaded only when configured; discord.js and
 * Baileys load optional native add-ons and worker files), pg (optional pg-native), NATS, the web-fetch libraries, and
 * whatever is added later — external is always correct, bundled is only faster. Check a package added here with
 * test/e2e/dist-smoke.test.ts: grammY, for one, fails bundled (its node-fetch rejects Node's AbortSignal).
 */
const BUNDLED = new Set([
  "commander", "zod", "yaml", "pino", "hono", "@hono/node-server", "ws", "kysely", "prom-client", "marked",
  "ai", "@ai-sdk/openai", "@ai-sdk/openai-compatible", "@ai-sdk/anthropic", "@ai-sdk/google", "@ai-sdk/gateway",
]);

/** Optional native add-ons some bundled packages try to load; absent or present, they stay runtime look-ups. */
const OPTIONAL_NATIVE = new Set(["bufferutil", "utf-8-validate"]);

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Keeps every package that is not in BUNDLED (and its whole dependency tree) external. */
const externals: Plugin = {
  name: "pincer-externals",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return { path: args.path, external: true };
      const name = packageName(args.path);
      if (OPTIONAL_NATIVE.has(name)) return { path: args.path, external: true };
      const fromSource = !args.importer.includes("/node_modules/");
      if (fromSource && !BUNDLED.has(name)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/** Whether esbuild treats `file` as CommonJS: `.cjs`, or `.js` in a package that is not `"type": "module"`. */
function isCommonJs(file: string): boolean {
  if (file.endsWith(".cjs")) return true;
  if (!file.endsWith(".js")) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type !== "module";
  }
  return true;
}

/**
 * `await import("prom-client")` of a bundled CommonJS package: Node gives named exports (`{ Registry }`), esbuild's
 * chunk only a default export. This puts an ES module in between that re-exports module.exports' keys by name, as
 * Node does.
 */
const dynamicCommonJs: Plugin = {
  name: "pincer-dynamic-commonjs",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.pluginData === "facade" || !BUNDLED.has(packageName(args.path))) return undefined;
      const target = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "facade" });
      if (target.errors.length > 0 || !isCommonJs(target.path)) return undefined;
      return { path: args.path, namespace: "commonjs-facade", pluginData: args.resolveDir };
    });
    b.onLoad({ filter: /.*/, namespace: "commonjs-facade" }, (args) => {
      const names = Object.keys(createRequire(join(ROOT, "package.json"))(args.path) as object)
        .filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name));
      const contents = `import m from ${JSON.stringify(args.path)};export default m;export const {${names.join(",")}}=m;`;
      return { contents, loader: "js", resolveDir: args.pluginData as string };
    });
  },
};

/**
 * Node built-ins that bundled packages import when they load but use only on paths Pincer never takes at start-up:
 * each becomes a stand-in that takes the real module on first use, so start-up does not pay for loading it.
 * - `@hono/node-server` imports node:http2 for `instanceof Http2ServerRequest` checks and one constant; Pincer serves
 *   HTTP/1.1 only, so the check is answered without http2 unless the object has HTTP/2's `authority`.
 * - commander requires node:child_process for executable subcommands, which Pincer does not use.
 * - sonic-boom (pino's destination) requires node:assert for one check in a function.
 * - pino requires thread-stream (which loads node:worker_threads and node:assert) for transports, which Pincer does not
 *   configure; the stand-in requires it when a transport is first constructed (esbuild evaluates a bundled CommonJS
 *   module on its first require).
 * A package update that imports another name from one of them fails the build (the stand-in lacks the export).
 */
const LAZY_BUILTINS: ReadonlyMap<string, { importer: string; contents: string }> = new Map([
  [
    "node:http2",
    {
      importer: "/node_modules/@hono/node-server/",
      contents:
        'const load=()=>process.getBuiltinModule("node:http2");' +
        'export class Http2ServerRequest{static[Symbol.hasInstance](x){return x!=null&&typeof x==="object"&&"authority" in x&&x instanceof load().Http2ServerRequest}}' +
        "export const constants=new Proxy({},{get:(_,k)=>load().constants[k]});",
    },
  ],
  [
    "assert",
    {
      importer: "/node_modules/sonic-boom/",
      contents: 'module.exports=(...args)=>process.getBuiltinModule("node:assert")(...args);',
    },
  ],
  [
    "thread-stream",
    {
      importer: "/node_modules/pino/lib/transport.js",
      contents: 'module.exports=function ThreadStream(...args){return new(require("thread-stream"))(...args)};',
    },
  ],
  [
    "node:child_process",
    {
      importer: "/node_modules/commander/",
      contents: 'module.exports=new Proxy({},{get:(_,k)=>process.getBuiltinModule("node:child_process")[k]});',
    },
  ],
]);

const lazyBuiltins: Plugin = {
  name: "pincer-lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^(?:node:|assert$|thread-stream$)/ }, (args) => {
      const lazy = LAZY_BUILTINS.get(args.path);
      if (!lazy || !args.importer.includes(lazy.importer)) return undefined;
      return { path: args.path, namespace: "lazy-builtin", pluginData: dirname(args.importer) };
    });
    // resolveDir: the stand-in's own require (thread-stream's) resolves from the importing package, to the real module.
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: LAZY_BUILTINS.get(args.path)!.contents,
      loader: "js",
      resolveDir: args.pluginData as string,
    }));
  },
};

/**
 * zod's error messages in every language it ships (`z.locales`, about 300 KB of the start-up chunk): Pincer's messages
 * are English, so only the English locale, the one zod configures by default, is bundled.
 */
const zodEnglishOnly: Plugin = {
  name: "pincer-zod-english",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!args.importer.includes("/node_modules/zod/v4/")) return undefined;
      return { path: join(args.resolveDir, "../locales/en.js"), namespace: "zod-locales" };
    });
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * `import { createServer } from "node:http"` in an ES module makes Node build the module's ES namespace, which reads
 * node:http's lazy `WebSocket`, `CloseEvent` and `MessageEvent` exports and so loads undici (Node's fetch, ~10 MB,
 * with http2, tls, zlib and web streams) into every process that serves HTTP. The bundle takes node:http's
 * CommonJS object instead and re-exports its plain values; an accessor export (those three, `globalAgent`,
 * `maxHeaderSize`) imported by name fails the build.
 */
const httpWithoutFetch: Plugin = {
  name: "pincer-http-without-fetch",
  setup(b) {
    b.onResolve({ filter: /^(?:node:)?http$/ }, (args) =>
      args.kind === "import-statement" || args.kind === "dynamic-import" ? { path: "node:http", namespace: "builtin-http" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "builtin-http" }, () => {
      const http = process.getBuiltinModule("node:http") as object;
      const names = Object.getOwnPropertyNames(http).filter((name) => {
        const descriptor = Object.getOwnPropertyDescriptor(http, name);
        return descriptor !== undefined && !descriptor.get && /^[A-Za-z_$][\w$]*$/.test(name);
      });
      const contents = `const http=process.getBuiltinModule("node:http");export default http;export const {${names.join(",")}}=http;`;
      return { contents, loader: "js" };
    });
  },
};

/** Newest modification time (ms) under `path`, test files aside; a folder's own time changes when a file is removed. */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith(".test.ts") ? 0 : stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

function isFresh(): boolean {
  const entry = join(DIST, "cli/main.js");
  if (!existsSync(entry)) return false;
  const inputs = ["src", "package-lock.json", "scripts/build.ts"].map((p) => join(ROOT, p)).filter((p) => existsSync(p));
  return Math.max(...inputs.map(newestMtime)) < statSync(entry).mtimeMs;
}

if (process.argv.includes("--if-stale") && isFresh()) process.exit(0);

rmSync(DIST, { recursive: true, force: true });
const { build } = await import("esbuild");
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { "cli/main": "src/cli/main.ts" },
  outdir: DIST,
  // Every chunk sits in dist/cli/, one folder below dist/ as the sources sit one folder below src/: paths written
  // relative to import.meta.url (`../gateway/ui/`, `../../bin/pincer.js`) hold in both trees.
  chunkNames: "cli/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  // Identifiers keep their names: stack traces name the failing function even without source maps, and the
  // bigger files start no slower.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
  // CommonJS packages bundled into ESM still call require() for Node built-ins.
  banner: { js: 'import{createRequire as __pincerRequire}from"node:module";const require=__pincerRequire(import.meta.url);' },
  plugins: [httpWithoutFetch, zodEnglishOnly, lazyBuiltins, dynamicCommonJs, externals],
});

// Static files served by the gateway, at the same place relative to the code as in src/.
cpSync(join(ROOT, "src/gateway/ui"), join(DIST, "gateway/ui"), { recursive: true });

const outputs = Object.keys(result.metafile.outputs).filter((file) => file.endsWith(".js"));
for (const file of outputs) {
  if (dirname(relative(DIST, join(ROOT, file))) !== "cli") throw new Error(`build: ${file} is outside dist/cli/`);
}
const bytes = readdirSync(join(DIST, "cli")).reduce((sum, f) => sum + (f.endsWith(".js") ? statSync(join(DIST, "cli", f)).size : 0), 0);
process.stdout.write(`built dist/: ${outputs.length} files, ${Math.round(bytes / 1024)} KB of JavaScript\n`);
