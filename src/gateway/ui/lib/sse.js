// Server-sent event streams from the authenticated API (e.g. GET /api/v1/runs/stream): fetched with the bearer token,
// since EventSource cannot send one, parsed as the SSE format says, and reopened with backoff until closed.
import { clearToken, getToken } from "./auth.js";

/** @typedef {"connecting" | "open" | "retrying" | "failed"} StreamState */

/**
 * Opens `path` (relative to /api/v1) as an event stream. `onEvent({ event, data })` runs for each event, `data` parsed
 * as JSON when it is JSON; `onState(state, message)` on every state change (`failed`: the server refused the stream,
 * e.g. 404, and it is not retried; `message` says why). Returns the function that closes the stream for good.
 * @param {string} path
 * @param {{ onEvent: (e: { event: string, data: unknown }) => void, onState?: (state: StreamState, message?: string) => void }} handlers
 */
export function openEventStream(path, { onEvent, onState = () => undefined }) {
  let closed = false;
  let controller;
  let timer;
  let retryMs = 1000;

  const open = async () => {
    controller = new AbortController();
    onState("connecting");
    try {
      const res = await fetch(`/api/v1${path}`, {
        headers: { authorization: `Bearer ${getToken()}`, accept: "text/event-stream" },
        credentials: "omit",
        cache: "no-store",
        signal: controller.signal,
      });
      if (res.status === 401) {
        closed = true;
        clearToken("The gateway did not accept the saved credentials; log in again.");
        return;
      }
      if (res.status >= 400 && res.status < 500) {
        closed = true;
        const body = await res.json().catch(() => undefined);
        onState("failed", typeof body?.error?.message === "string" ? body.error.message : `the live stream answered HTTP ${res.status}`);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState("open");
      retryMs = 1000;
      await readEvents(res.body, onEvent);
    } catch {
      // Network error or server restart: retried below.
    }
    if (closed) return;
    onState("retrying");
    timer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 15_000);
  };
  void open();
  return () => {
    closed = true;
    clearTimeout(timer);
    controller?.abort();
  };
}

/** Reads SSE frames until the body ends: `event:` names the event (default "message"), `data:` lines join with "\n". */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line === "") {
        if (data.length > 0) dispatch(onEvent, event || "message", data.join("\n"));
        event = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = text;
      else if (field === "data") data.push(text);
    }
  }
}

function dispatch(onEvent, event, text) {
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON: handed over as text.
  }
  onEvent({ event, data });
}
