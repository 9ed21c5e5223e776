// uploadMethodOf and readCapped: which Bot API method a file goes through, and a download that stops at its cap.
import { describe, expect, it } from "vitest";
import { MB, readCapped, uploadMethodOf } from "./telegram-media.ts";

describe("uploadMethodOf", () => {
  it.each([
    ["image", "image/png", 1 * MB, "sendPhoto"],
    ["image", "image/jpeg", 11 * MB, "sendDocument"],
    ["image", "image/gif", 1_000, "sendDocument"],
    ["audio", "audio/mpeg", 1_000, "sendAudio"],
    ["video", "video/mp4", 1_000, "sendVideo"],
    ["file", "application/pdf", 1_000, "sendDocument"],
  ] as const)("sends a %s of type %s and %i bytes with %s", (kind, mimeType, size, method) => {
    expect(uploadMethodOf({ kind, mimeType }, size)).toBe(method);
  });
});

describe("readCapped", () => {
  const streamOf = (chunks: number[]): { res: Response; pulled: () => number } => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === chunks.length) return controller.close();
        controller.enqueue(new Uint8Array(chunks[pulled++] ?? 0));
      },
    });
    return { res: new Response(body), pulled: () => pulled };
  };

  it("returns the whole body within the cap", async () => {
    expect(await readCapped(streamOf([3, 4]).res, 7)).toHaveLength(7);
  });

  it("stops reading once the cap is passed", async () => {
    const { res, pulled } = streamOf([5, 5, 5, 5]);
    expect(await readCapped(res, 8)).toBeUndefined();
    expect(pulled()).toBeLessThan(4);
  });
});
