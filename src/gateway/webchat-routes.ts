// Serves the WebChat page (src/gateway/webchat/) at `/`: static files read once, cached in memory with an ETag,
// under a strict Content-Security-Policy. The page holds no data; everything it shows comes over the authenticated /ws.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Hono } from "hono";

interface Asset {
  body: string;
  type: string;
  etag: string;
}

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/webchat/webchat.js": { file: "webchat.js", type: "text/javascript; charset=utf-8" },
  "/webchat/webchat.css": { file: "webchat.css", type: "text/css; charset=utf-8" },
};

/** Same-origin scripts, styles and WebSocket only; no inline code, no framing, no third parties. */
export const WEBCHAT_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

// Spelled `../gateway/` so it holds from src/gateway/ and from the bundled chunks in dist/cli/ (scripts/build.ts).
const ASSET_DIR = new URL("../gateway/webchat/", import.meta.url);

/** Routes for the WebChat files. Contract: open (no token needed); conditional GETs answer 304. */
export function createWebChatRoutes(): Hono {
  const cache = new Map<string, Promise<Asset>>();
  const load = (path: string, spec: { file: string; type: string }): Promise<Asset> => {
    let asset = cache.get(path);
    if (!asset) {
      asset = readFile(new URL(spec.file, ASSET_DIR), "utf8").then((body) => ({
        body,
        type: spec.type,
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      }));
      asset.catch(() => cache.delete(path)); // a failed read is retried on the next request
      cache.set(path, asset);
    }
    return asset;
  };

  const app = new Hono();
  for (const [path, spec] of Object.entries(FILES)) {
    app.get(path, async (c) => {
      const asset = await load(path, spec);
      c.header("ETag", asset.etag);
      c.header("Cache-Control", "no-cache");
      c.header("X-Content-Type-Options", "nosniff");
      c.header("Referrer-Policy", "no-referrer");
      if (spec.type.startsWith("text/html")) {
        c.header("Content-Security-Policy", WEBCHAT_CSP);
        c.header("X-Frame-Options", "DENY");
      }
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
      return c.body(asset.body, 200, { "Content-Type": asset.type });
    });
  }
  return app;
}
