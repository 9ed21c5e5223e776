// The Control UI's static routes: the page under a strict CSP that allows exactly its import map, files with their
// types, ETag revalidation and gzip, the vendor allowlist, and files reached through symlinks refused.
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUiRoutes, importMapHashes } from "./ui-routes.ts";

describe("createUiRoutes", () => {
  const app = createUiRoutes();

  it("serves the page with a CSP naming its import map's hash and nothing unsafe", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    const hashes = importMapHashes(html);
    expect(hashes).toHaveLength(1);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain(`script-src 'self' 'sha256-${hashes[0]}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe|\*|https?:/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    // The import map is the only inline script; everything else is a same-origin module.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="importmap">', '<script type="module" src="/ui/app.js">']);
  });

  it("serves modules and styles with their types, gzipped when the client accepts it, and answers 304 to a matching ETag", async () => {
    const plain = await app.request("/ui/app.js");
    expect(plain.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const text = await plain.text();
    const gz = await app.request("/ui/app.js", { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toBe("Accept-Encoding");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString("utf8")).toBe(text);
    expect((await app.request("/ui/ui.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");

    const etag = gz.headers.get("etag")!;
    expect(etag).not.toBe(plain.headers.get("etag")); // one ETag per representation
    const again = await app.request("/ui/app.js", { headers: { "accept-encoding": "gzip", "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("serves the allow-listed libraries as ES modules; highlight.js's CommonJS core wrapped as one", async () => {
    const preact = await app.request("/ui/vendor/preact.mjs");
    expect(preact.status).toBe(200);
    expect(preact.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await preact.text()).toMatch(/export\s*\{/);
    const hooks = await (await app.request("/ui/vendor/preact-hooks.mjs")).text();
    expect(hooks).toContain('from"preact"'); // a bare specifier, resolved by the page's import map
    expect(hooks).not.toContain("sourceMappingURL");
    const core = await (await app.request("/ui/vendor/highlight/core.mjs")).text();
    expect(core.startsWith("const module = { exports: {} };")).toBe(true);
    expect(core.trimEnd().endsWith("export default module.exports;")).toBe(true);
    expect((await app.request("/ui/vendor/highlight/languages/python.js")).status).toBe(200);
  });

  it("answers 404 for anything outside the vendor allowlist and for files it does not serve", async () => {
    for (const path of [
      "/ui/vendor/preact/package.json", "/ui/vendor/%2e%2e/%2e%2e/package.json", "/ui/vendor/highlight/languages/brainfuck.js", "/ui/vendor/",
      "/ui/index.html", "/ui/../ui-routes.ts", "/ui/%2e%2e/ui-routes.ts", "/ui/.hidden.js", "/ui/nope.js", "/ui/lib",
    ]) {
      const res = await app.request(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  describe("with symlinks under the UI folder", () => {
    let dir: string;
    let outside: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "pincer-ui-"));
      outside = await mkdtemp(join(tmpdir(), "pincer-outside-"));
      await writeFile(join(dir, "index.html"), "<!doctype html><title>t</title>");
      await writeFile(join(dir, "real.js"), "export const ok = 1;\n");
      await writeFile(join(outside, "secret.js"), "export const secret = 'leaked';\n");
      await symlink(join(outside, "secret.js"), join(dir, "linked.js"));
      await symlink(join(dir, "real.js"), join(dir, "alias.js"));
      await symlink(outside, join(dir, "pages"));
      await mkdir(join(dir, "lib"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    });

    it("serves regular files but never follows a symlink, to a file or a folder, inside or out", async () => {
      const ui = createUiRoutes({ dir });
      expect(await (await ui.request("/ui/real.js")).text()).toContain("ok = 1");
      expect((await ui.request("/ui/linked.js")).status).toBe(404);
      expect((await ui.request("/ui/alias.js")).status).toBe(404);
      expect((await ui.request("/ui/pages/secret.js")).status).toBe(404);
      expect((await ui.request("/ui/lib")).status).toBe(404);
    });
  });
});
