// The WebChat static routes: files served with their types, a strict CSP on the page, and ETag revalidation.
import { describe, expect, it } from "vitest";
import { WEBCHAT_CSP, createWebChatRoutes } from "./webchat-routes.ts";

describe("createWebChatRoutes", () => {
  const app = createWebChatRoutes();

  it("serves the page with a CSP that allows only same-origin code and no framing", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(WEBCHAT_CSP);
    expect(WEBCHAT_CSP).toContain("script-src 'self'");
    expect(WEBCHAT_CSP).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/webchat/webchat.js">');
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script the CSP would block
  });

  it("serves the script and the stylesheet with their content types", async () => {
    expect((await app.request("/webchat/webchat.js")).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await app.request("/webchat/webchat.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("answers a conditional GET with the current ETag with 304 and no body", async () => {
    const first = await app.request("/webchat/webchat.js");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await app.request("/webchat/webchat.js", { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});
