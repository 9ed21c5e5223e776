// A server-sent event stream from the API kept open: followEvents (lib/api.js) reopened with backoff after a network
// error or a gateway restart, until closed. For pages that stay live while open (runs in flight, the overview).
import { followEvents } from "./api.js";

/** @typedef {"connecting" | "open" | "retrying" | "failed"} StreamState */

/**
 * Follows `path` (relative to /api/v1, e.g. "/runs/stream") for as long as the page wants it. `onEvent({ event, data })`
 * runs for each event (`data` parsed as JSON when it is JSON); `onState(state, message)` on every change: `open` once
 * the first event arrived, `retrying` while waiting to reopen, `failed` when the server refused the stream with a 4xx
 * (e.g. 404 on an older gateway) — not retried; `message` is the server's reason. Returns the function that closes it.
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
    let opened = false;
    onState("connecting");
    try {
      await followEvents(path, {
        signal: controller.signal,
        onEvent: (event, data) => {
          if (!opened) {
            opened = true;
            retryMs = 1000;
            onState("open");
          }
          onEvent({ event, data });
        },
      });
    } catch (err) {
      if (closed) return;
      if (err?.status === 401) return void (closed = true); // logged out: the shell shows the login page
      if (err?.status >= 400 && err?.status < 500) {
        closed = true;
        onState("failed", err.message);
        return;
      }
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
