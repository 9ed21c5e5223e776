// The one client for the gateway's JSON API under /api/v1: bearer token, JSON in and out, errors as ApiError.
import { clearToken, getToken } from "./auth.js";

/**
 * A failed API call: `status` (0 when the gateway was unreachable), the server's `type` and message, `param` if named,
 * and `data`, the whole parsed answer (some errors carry more, e.g. the config editor's `problems`).
 */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string} [type] @param {string} [param] @param {unknown} [data] */
  constructor(status, message, type = "", param = undefined, data = undefined) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.param = param;
    this.data = data;
  }
}

/** `path` is relative to /api/v1 (e.g. "/sessions?limit=20"); `body` is sent as JSON. Resolves with the parsed JSON. */
async function call(method, path, body) {
  const token = getToken();
  // Names the Control UI as who acted, where the gateway records it (approvals, elevations).
  const headers = token ? { authorization: `Bearer ${token}`, "x-pincer-client": "ui" } : {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const init = { method, headers, credentials: "omit" };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, "Could not reach the gateway. Is it running?", "unreachable");
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = data?.error ?? {};
    const message = typeof err.message === "string" ? err.message : `${method} ${path} failed with HTTP ${res.status}`;
    if (res.status === 401 && path !== "/auth/exchange") clearToken("The gateway did not accept the saved credentials; log in again.");
    throw new ApiError(res.status, message, typeof err.type === "string" ? err.type : "", typeof err.param === "string" ? err.param : undefined, data);
  }
  return data;
}

/** Encodes one path segment (session keys hold ':'). */
export const seg = (value) => encodeURIComponent(value);

export const api = {
  get: (path) => call("GET", path),
  post: (path, body) => call("POST", path, body ?? {}),
  put: (path, body) => call("PUT", path, body ?? {}),
  patch: (path, body) => call("PATCH", path, body ?? {}),
  del: (path) => call("DELETE", path),
};

/** Fetches `path` with the bearer token; a failed answer becomes the same ApiError `call` throws. */
async function fetchOk(path, init = {}) {
  const token = getToken();
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { ...init, headers: { ...init.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, credentials: "omit" });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, "Could not reach the gateway. Is it running?", "unreachable");
  }
  if (res.ok) return res;
  let err = {};
  try {
    err = JSON.parse(await res.text())?.error ?? {};
  } catch {
    // not JSON: the generic message below
  }
  if (res.status === 401) clearToken("The gateway did not accept the saved credentials; log in again.");
  const message = typeof err.message === "string" ? err.message : `GET ${path} failed with HTTP ${res.status}`;
  throw new ApiError(res.status, message, typeof err.type === "string" ? err.type : "", typeof err.param === "string" ? err.param : undefined);
}

/**
 * Downloads `path` (e.g. "/usage.csv?days=30") with the bearer token — a plain link cannot carry it — and saves it as a
 * file: the name from the server's Content-Disposition, else `fallbackName`. Resolves with the saved name.
 */
export async function downloadFile(path, fallbackName = "download") {
  const res = await fetchOk(path);
  const blob = await res.blob();
  const disposition = res.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/**
 * Follows a server-sent-events stream under /api/v1 (e.g. "/logs/stream?level=warn"), with the bearer token:
 * `onEvent(event, data)` for each event, `data` parsed as JSON when it is JSON. Resolves when the server ends the
 * stream or `signal` aborts it; rejects with ApiError when the stream cannot be opened or breaks off (and with the
 * AbortError when `signal` aborts it before it opens).
 */
export async function followEvents(path, { signal, onEvent }) {
  const res = await fetchOk(path, { signal, headers: { accept: "text/event-stream" } });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal?.aborted) return;
        throw new ApiError(0, `The stream from the gateway broke off: ${err.message}`, "unreachable");
      }
      if (chunk.done) return;
      buffer += chunk.value;
      // Events end with a blank line (LF or CRLF line ends).
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        let event = "message";
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        if (data.length === 0) continue;
        const text = data.join("\n");
        let parsed = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // plain text data
        }
        onEvent(event, parsed);
      }
    }
  } finally {
    reader.releaseLock?.();
  }
}
