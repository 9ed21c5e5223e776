// Test support: reads server-sent events from a Response, one `event:`/`data:` frame (data parsed as JSON) per next().

/** Reads `event:`/`data:` frames from an SSE response, one per next(). */
export function readSse(res: Response): { next(): Promise<{ event: string; data: unknown }>; close(): Promise<void> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith(":")) continue;
          const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "message";
          const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          return { event, data: JSON.parse(data) as unknown };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        buffer += value;
      }
    },
    close: () => reader.cancel(),
  };
}
