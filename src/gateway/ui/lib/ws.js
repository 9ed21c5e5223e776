// The one WebSocket connection to the gateway's /ws (docs/protocol.md): authenticates with the stored token,
// reconnects with backoff, exposes its state, routes frames to listeners and answers to requests.
import { clearToken, getToken } from "./auth.js";

const CLIENT = "webchat"; // names this browser's default session (agent:<agent>:webchat:dm:webchat)
const UNAUTHORIZED = 4401;
const LOCKED_OUT = 4429;

/** @typedef {"idle" | "connecting" | "open" | "reconnecting"} ConnState */

let socket;
let state = /** @type {ConnState} */ ("idle");
let hello;
let retryMs = 500;
let retryTimer;
let nextId = 1;
let lastError = "";
const stateListeners = new Set();
const frameListeners = new Map(); // type → Set<fn>
const pending = new Map(); // request id → { resolve }

function setState(next) {
  state = next;
  for (const fn of stateListeners) fn(state);
}

/** Opens the connection with the stored token (again). Idempotent while a connection is open or opening. */
export function connect() {
  clearTimeout(retryTimer);
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  const token = getToken();
  if (!token) return setState("idle");
  setState(hello ? "reconnecting" : "connecting");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  let authed = false;
  socket = ws;
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token, client: CLIENT })));
  ws.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (frame.type === "hello") {
      authed = true;
      hello = frame;
      retryMs = 500;
      lastError = "";
      setState("open");
    } else if (frame.type === "error" && !authed) {
      lastError = frame.message;
      return;
    }
    if (frame.id !== undefined && pending.has(frame.id)) {
      const { resolve } = pending.get(frame.id);
      pending.delete(frame.id);
      resolve(frame);
    }
    for (const fn of frameListeners.get(frame.type) ?? []) fn(frame);
    for (const fn of frameListeners.get("*") ?? []) fn(frame);
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = undefined;
    for (const [, { resolve }] of pending) resolve({ type: "error", code: "disconnected", message: "the connection to the gateway closed" });
    pending.clear();
    if (event.code === UNAUTHORIZED) {
      hello = undefined;
      setState("idle");
      clearToken(lastError || "The gateway did not accept this token.");
      return;
    }
    setState("reconnecting");
    // A locked-out address waits as told; otherwise back off up to 5 s.
    const delay = event.code === LOCKED_OUT ? 15_000 : retryMs;
    retryMs = Math.min(retryMs * 2, 5_000);
    retryTimer = setTimeout(connect, delay);
  });
}

/** Closes the connection for good (logout). */
export function disconnect() {
  clearTimeout(retryTimer);
  hello = undefined;
  const open = socket;
  socket = undefined; // its close event is then ignored: no reconnect
  open?.close(1000, "logout");
  setState("idle");
}

/** The current state: idle (no token or logged out), connecting, open, reconnecting. */
export const connState = () => state;

/** The `hello` frame of the current (or last) authenticated connection: defaultAgent, defaultSession, serverVersion. */
export const helloFrame = () => hello;

/** The message of the last failed authentication, if any. */
export const lastAuthError = () => lastError;

/** Calls `fn(state)` on every state change; returns the unsubscribe function. */
export function onState(fn) {
  stateListeners.add(fn);
  return () => stateListeners.delete(fn);
}

/** Calls `fn(frame)` for every server frame of `type` ("*" for all); returns the unsubscribe function. */
export function on(type, fn) {
  if (!frameListeners.has(type)) frameListeners.set(type, new Set());
  frameListeners.get(type).add(fn);
  return () => frameListeners.get(type)?.delete(fn);
}

/** Sends a frame now; false when the connection is not open and authenticated (nothing is queued). */
export function send(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN || state !== "open") return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/**
 * Sends a request frame (an `id` is added unless given) and resolves with the frame that answers it (ack, sessions,
 * history, pong or error). Resolves with `{ type: "error", code: "disconnected" }` when it cannot be sent or the
 * connection drops first. Never rejects.
 */
export function request(frame) {
  const id = frame.id ?? `r${nextId++}`;
  return new Promise((resolve) => {
    if (!send({ ...frame, id })) return resolve({ type: "error", id, code: "disconnected", message: "not connected to the gateway" });
    pending.set(id, { resolve });
  });
}

// A laptop waking up or a network coming back: try at once instead of waiting out the backoff.
window.addEventListener("online", () => {
  if (state === "reconnecting") connect();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && state === "reconnecting") connect();
});
