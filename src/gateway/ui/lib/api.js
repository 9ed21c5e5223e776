// The one client for the gateway's JSON API under /api/v1: bearer token, JSON in and out, errors as ApiError.
import { clearToken, getToken } from "./auth.js";

/** A failed API call: `status` (0 when the gateway was unreachable), the server's `type` and message, `param` if named. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string} [type] @param {string} [param] */
  constructor(status, message, type = "", param = undefined) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

/** `path` is relative to /api/v1 (e.g. "/sessions?limit=20"); `body` is sent as JSON. Resolves with the parsed JSON. */
async function call(method, path, body) {
  const token = getToken();
  const headers = token ? { authorization: `Bearer ${token}` } : {};
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
    throw new ApiError(res.status, message, typeof err.type === "string" ? err.type : "", typeof err.param === "string" ? err.param : undefined);
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
