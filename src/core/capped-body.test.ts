// readRequestBody in memory: the Content-Length check before reading, the cap while streaming, the 413's shape.
import { describe, expect, it } from "vitest";
import { readRequestBody } from "./capped-body.ts";

/** A request whose body yields `chunks` of `size` bytes and counts how many were pulled. */
function streamingRequest(chunks: number, size: number, headers: Record<string, string> = {}): { req: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled += 1;
      controller.enqueue(new Uint8Array(size));
    },
  });
  const req = new Request("http://gateway/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  return { req, pulled: () => pulled };
}

describe("readRequestBody", () => {
  it("returns a body within the cap, up to exactly the cap", async () => {
    const { req } = streamingRequest(4, 256);
    const read = await readRequestBody(req, { maxBytes: 1024 });
    expect(read.ok && read.bytes.byteLength).toBe(1024);
  });

  it("stops reading a streamed body at the cap and answers 413 with Connection: close", async () => {
    const { req, pulled } = streamingRequest(1_000, 1024);
    const read = await readRequestBody(req, { maxBytes: 4096 });
    expect(read.ok).toBe(false);
    expect(pulled()).toBeLessThanOrEqual(6); // 5 chunks pass the cap; at most one more was queued ahead
    if (read.ok) return;
    expect(read.response.status).toBe(413);
    expect(read.response.headers.get("connection")).toBe("close");
    expect(await read.response.json()).toEqual({ error: { type: "payload_too_large", message: "request body too large: this endpoint accepts at most 4 KiB (4096 bytes)" } });
  });

  it("refuses a Content-Length over the cap without reading, naming the setting that raises it", async () => {
    const { req } = streamingRequest(10, 1024, { "content-length": String(5 * 1024 * 1024) });
    const read = await readRequestBody(req, { maxBytes: 4 * 1024 * 1024, setting: "gateway.max_body_bytes" });
    expect(req.bodyUsed).toBe(false);
    expect(read.ok === false && ((await read.response.json()) as { error: { message: string } }).error.message).toBe(
      "request body too large: this endpoint accepts at most 4 MiB (4194304 bytes). Fix: send a smaller body, or raise gateway.max_body_bytes",
    );
  });

  it("answers 400 when the body breaks off mid-way", async () => {
    const body = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("socket hang up")) });
    const read = await readRequestBody(new Request("http://gateway/x", { method: "POST", body, duplex: "half" } as RequestInit), { maxBytes: 10 });
    expect(read.ok === false && read.response.status).toBe(400);
  });
});
