// Serves the Control UI (src/gateway/ui/): the page at `/`, its modules and styles under `/ui/`, and the browser builds
// of its libraries from node_modules under `/ui/vendor/<name>` (an allowlist, nothing else). Files are read on first
// request, kept in memory with an ETag and a gzipped copy. The page holds no data: everything it shows comes from the
// authenticated /api/v1 and /ws.
import { createHash } from "node:crypto";
import { constants, existsSync, readFileSync } from "node:fs";
import { open, readFile, realpath } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { Context } from "hono";

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  gzipped: Uint8Array<ArrayBuffer> | undefined;
  type: string;
  etag: string;
}

const TYPES = new Map([
  [".js", "text/javascript; charset=utf-8"],
  [".mjs", "text/javascript; charset=utf-8"],
  [".css", "text/css; charset=utf-8"],
  [".svg", "image/svg+xml"],
  [".png", "image/png"],
  [".html", "text/html; charset=utf-8"],
]);

/** Paths under /ui/ that may name a file: lower-case names, no dot files, no `..`, one of the served extensions. */
const UI_PATH = /^(?:[a-z0-9][a-z0-9_-]*\/){0,3}[a-z0-9][a-z0-9_.-]*\.(?:js|css|svg|png)$/;
const MAX_ASSET_BYTES = 2 * 1024 * 1024;

/**
 * The libraries the UI imports, by the name it uses under /ui/vendor/: package + file inside the package (its browser
 * ES module build, from the package's `exports`). `commonjs`: the file assigns `module.exports` and needs nothing else;
 * it is served wrapped as an ES module (highlight.js ships its core only as CommonJS).
 */
const VENDOR = new Map<string, { pkg: string; file: string; commonjs?: boolean }>([
  ["preact.mjs", { pkg: "preact", file: "dist/preact.mjs" }],
  ["preact-hooks.mjs", { pkg: "preact", file: "hooks/dist/hooks.mjs" }],
  ["htm.mjs", { pkg: "htm", file: "dist/htm.module.js" }],
  ["dompurify.mjs", { pkg: "dompurify", file: "dist/purify.es.mjs" }],
  ["marked.mjs", { pkg: "marked", file: "lib/marked.esm.js" }],
  ["uplot.mjs", { pkg: "uplot", file: "dist/uPlot.esm.js" }],
  ["uplot.css", { pkg: "uplot", file: "dist/uPlot.min.css" }],
  ["highlight/core.mjs", { pkg: "highlight.js", file: "lib/core.js", commonjs: true }],
  ...["javascript", "typescript", "json", "bash", "shell", "python", "go", "rust", "yaml", "diff", "sql", "xml", "css", "plaintext"].map(
    (lang) => [`highlight/languages/${lang}.js`, { pkg: "highlight.js", file: `es/languages/${lang}.js` }] as const,
  ),
]);

/** The page's CSP without the import map's hash (added per served page). Same-origin code and connections only. */
function contentSecurityPolicy(importMapHashes: string[]): string {
  return [
    "default-src 'none'",
    `script-src 'self'${importMapHashes.map((h) => ` 'sha256-${h}'`).join("")}`,
    "style-src 'self'",
    // data: and blob: for pasted image previews and inline images in answers; nothing from other sites.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

// Spelled `../gateway/` so it holds from src/gateway/ and from the bundled chunks in dist/cli/ (scripts/build.ts).
const DEFAULT_UI_DIR = fileURLToPath(new URL("../gateway/ui/", import.meta.url));

export interface UiRoutesOptions {
  /** The folder holding index.html, app.js …; default src/gateway/ui (dist/gateway/ui when bundled). */
  dir?: string;
}

/** Routes for the Control UI's files. Contract: open (no token needed); conditional GETs answer 304; anything not
 * served answers 404 here, never falls through to the authenticated routes. */
export function createUiRoutes(opts: UiRoutesOptions = {}): Hono {
  const dir = opts.dir ?? DEFAULT_UI_DIR;
  const cache = new Map<string, Promise<Asset | undefined>>();
  const cached = (key: string, load: () => Promise<Asset | undefined>): Promise<Asset | undefined> => {
    let asset = cache.get(key);
    if (!asset) {
      asset = load();
      asset.catch(() => cache.delete(key)); // a failed read is retried on the next request
      cache.set(key, asset);
    }
    return asset;
  };
  let page: Promise<{ asset: Asset; csp: string } | undefined> | undefined;
  const loadPage = () => {
    page ??= readUiFile(dir, "index.html").then((body) => {
      if (!body) return undefined;
      return { asset: toAsset(body, "text/html; charset=utf-8"), csp: contentSecurityPolicy(importMapHashes(body.toString("utf8"))) };
    });
    page.catch(() => (page = undefined));
    return page;
  };

  const app = new Hono();
  app.get("/", async (c) => {
    const loaded = await loadPage();
    if (!loaded) return notFound(c);
    c.header("Content-Security-Policy", loaded.csp);
    c.header("X-Frame-Options", "DENY");
    return serve(c, loaded.asset);
  });
  app.get("/ui/vendor/*", async (c) => {
    const name = c.req.path.slice("/ui/vendor/".length);
    const spec = VENDOR.get(name);
    if (!spec) return notFound(c);
    const asset = await cached(`vendor:${name}`, async () => {
      const file = join(packageDir(spec.pkg), spec.file);
      let text = await readFile(file, "utf8");
      text = text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
      if (spec.commonjs) text = `const module = { exports: {} };\n${text}\nexport default module.exports;\n`;
      return toAsset(Buffer.from(text), typeOf(name));
    });
    return asset ? serve(c, asset) : notFound(c);
  });
  app.get("/ui/*", async (c) => {
    const rel = c.req.path.slice("/ui/".length);
    if (!UI_PATH.test(rel)) return notFound(c);
    const asset = await cached(`ui:${rel}`, async () => {
      const body = await readUiFile(dir, rel);
      return body && toAsset(body, typeOf(rel));
    });
    return asset ? serve(c, asset) : notFound(c);
  });
  return app;
}

function notFound(c: Context): Response {
  c.header("X-Content-Type-Options", "nosniff");
  return c.json({ error: { type: "not_found", message: `no such file: ${c.req.path}` } }, 404);
}

function serve(c: Context, asset: Asset): Response {
  const gzip = asset.gzipped !== undefined && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  const etag = gzip ? `${asset.etag.slice(0, -1)}-gz"` : asset.etag;
  c.header("ETag", etag);
  c.header("Cache-Control", "no-cache");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  if (asset.gzipped) c.header("Vary", "Accept-Encoding");
  if (c.req.header("if-none-match") === etag) return c.body(null, 304);
  c.header("Content-Type", asset.type);
  if (gzip) c.header("Content-Encoding", "gzip");
  return c.body(gzip ? asset.gzipped! : asset.body, 200);
}

function toAsset(body: Buffer, type: string): Asset {
  const compressible = type.startsWith("text/") || type.startsWith("image/svg");
  return {
    body: new Uint8Array(body),
    // Small files gain nothing from gzip; text files of any size compress 3–5×.
    gzipped: compressible && body.length > 512 ? new Uint8Array(process.getBuiltinModule("node:zlib").gzipSync(body, { level: 9 })) : undefined,
    type,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
  };
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return TYPES.get(name.slice(dot)) ?? "application/octet-stream";
}

/**
 * Reads `rel` under `dir` only if no component of the path is a symlink: its real path must be exactly `dir/rel`, and
 * the file is opened with O_NOFOLLOW. Undefined when it does not exist, is not a regular file, or is a link.
 */
async function readUiFile(dir: string, rel: string): Promise<Buffer | undefined> {
  const root = await realpath(dir);
  const wanted = join(root, rel);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    return undefined;
  }
  if (real !== wanted) return undefined;
  let handle;
  try {
    handle = await open(wanted, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_ASSET_BYTES) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/g;

/** SHA-256 (base64) of each inline import map in the page, for the CSP: the only inline scripts it allows. */
export function importMapHashes(html: string): string[] {
  return [...html.matchAll(IMPORT_MAP)].map((m) => createHash("sha256").update(m[1]!).digest("base64"));
}

/** The folder of an installed package, found from its main entry (not every package exports its package.json). */
function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  let at = dirname(require.resolve(pkg));
  for (;;) {
    const manifest = join(at, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === pkg) return at;
    const up = dirname(at);
    if (up === at) throw new Error(`package ${pkg} not found above ${require.resolve(pkg)}`);
    at = up;
  }
}
