// Pincer WebChat client: logs in with the gateway token, then speaks the /ws protocol (docs/protocol.md) —
// streamed answers, tool calls as they run, sessions, stop. Plain browser JavaScript, no build step, no dependencies.

const TOKEN_KEY = "pincer.token";
const SESSION_KEY = "pincer.session";
const CLIENT = "webchat";
const UNAUTHORIZED = 4401;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const els = {
  login: $("login"), loginForm: /** @type {HTMLFormElement} */ ($("login-form")), token: /** @type {HTMLInputElement} */ ($("token")),
  remember: /** @type {HTMLInputElement} */ ($("remember")), loginError: $("login-error"), app: $("app"), sessions: $("sessions"),
  newChat: $("new-chat"), conn: $("conn"), logout: $("logout"), title: $("session-title"), messages: $("messages"),
  chatError: $("chat-error"), composer: /** @type {HTMLFormElement} */ ($("composer")), input: /** @type {HTMLTextAreaElement} */ ($("input")),
  send: /** @type {HTMLButtonElement} */ ($("send")), stop: $("stop"),
};

const state = {
  /** @type {WebSocket | undefined} */ ws: undefined,
  token: "",
  authed: false,
  loggingOut: false,
  lastAuthError: "",
  retryMs: 500,
  nextId: 1,
  defaultAgent: "default",
  /** @type {string} */ session: "",
  /** @type {Map<string | number, (frame: any) => void>} request id → handler of its answer */
  pending: new Map(),
  /** Messages sent but not yet acknowledged; resent after a reconnect (the gateway dedupes on messageId). */
  /** @type {Array<{ id: string, messageId: string, session: string, text: string }>} */ outbox: [],
  /** session key → id of its run in flight */
  /** @type {Map<string, string>} */ activeRuns: new Map(),
  /** runId → the assistant bubble being streamed */
  /** @type {Map<string, HTMLElement>} */ bubbles: new Map(),
  /** callId → tool element */
  /** @type {Map<string, HTMLElement>} */ tools: new Map(),
};

// ---- login ----

function storedToken() {
  return localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(TOKEN_KEY) ?? "";
}

els.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = els.token.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  if (els.remember.checked) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  els.loginError.hidden = true;
  connect(token, { fromLogin: true });
});

els.logout.addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  state.loggingOut = true;
  state.ws?.close(1000, "logout");
  showLogin("");
});

function showLogin(error) {
  els.app.hidden = true;
  els.login.hidden = false;
  els.token.value = "";
  els.loginError.textContent = error;
  els.loginError.hidden = !error;
  els.token.focus();
}

// ---- connection ----

/** Opens /ws and authenticates; the app shell shows at once for a saved token, after `hello` for a typed one. */
function connect(token, opts = { fromLogin: false }) {
  state.token = token;
  state.loggingOut = false;
  state.authed = false;
  if (!opts.fromLogin) {
    els.login.hidden = true;
    els.app.hidden = false;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  state.ws = ws;
  setConn(state.session ? "reconnecting" : "connecting");
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token, client: CLIENT })));
  ws.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(String(event.data));
    } catch {
      return;
    }
    onFrame(frame);
  });
  ws.addEventListener("close", (event) => {
    if (state.ws !== ws) return;
    state.ws = undefined;
    for (const [, handler] of state.pending) handler({ type: "error", code: "disconnected", message: "the connection to the gateway closed" });
    state.pending.clear();
    if (state.loggingOut) return;
    if (event.code === UNAUTHORIZED || (!state.authed && !els.login.hidden)) {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(TOKEN_KEY);
      showLogin(state.lastAuthError || (event.code === UNAUTHORIZED ? "The gateway did not accept this token." : "Could not reach the gateway. Is it running?"));
      state.lastAuthError = "";
      return;
    }
    setConn("reconnecting");
    const delay = state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, 10_000);
    setTimeout(() => connect(state.token), delay);
  });
}

function setConn(s) {
  els.conn.dataset.state = s;
  els.conn.textContent = s === "open" ? "connected" : `${s}…`;
}

/** Sends a request frame; `onAnswer` gets the frame that echoes its id (ack, sessions, history or error). */
function request(frame, onAnswer) {
  const id = frame.id ?? `r${state.nextId++}`;
  if (onAnswer) state.pending.set(id, onAnswer);
  const ws = state.ws;
  if (ws && ws.readyState === WebSocket.OPEN && state.authed) ws.send(JSON.stringify({ ...frame, id }));
  return id;
}

function onFrame(frame) {
  switch (frame.type) {
    case "hello":
      return onHello(frame);
    case "error":
      if (!state.authed) {
        state.lastAuthError = frame.message;
        return;
      }
      if (frame.id !== undefined && state.pending.has(frame.id)) return answer(frame);
      return showError(frame.message);
    case "ack":
    case "sessions":
    case "history":
    case "pong":
      return answer(frame);
    case "run.started":
    case "run.delta":
    case "run.tool_start":
    case "run.tool_end":
    case "run.final":
      return onRunFrame(frame);
    default:
      return undefined;
  }
}

function answer(frame) {
  const handler = state.pending.get(frame.id);
  state.pending.delete(frame.id);
  handler?.(frame);
}

function onHello(frame) {
  state.authed = true;
  state.retryMs = 500;
  state.defaultAgent = frame.defaultAgent;
  setConn("open");
  els.login.hidden = true;
  els.app.hidden = false;
  const session = state.session || localStorage.getItem(SESSION_KEY) || frame.defaultSession;
  openSession(session);
  refreshSessions();
  for (const item of state.outbox) sendQueued(item);
  els.input.focus();
}

// ---- sessions ----

function refreshSessions() {
  request({ type: "sessions.list", limit: 100 }, (frame) => {
    if (frame.type !== "sessions") return;
    const known = frame.sessions.some((s) => s.key === state.session);
    const list = known || !state.session ? frame.sessions : [{ key: state.session, channel: "webchat", updatedAt: Date.now() }, ...frame.sessions];
    els.sessions.replaceChildren(...list.map(sessionItem));
  });
}

function sessionItem(s) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.session = s.key;
  if (s.key === state.session) button.setAttribute("aria-current", "true");
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = sessionLabel(s.key);
  const meta = document.createElement("span");
  meta.className = "when";
  meta.textContent = `${s.channel} · ${new Date(s.updatedAt).toLocaleString()}`;
  button.append(label, meta);
  button.addEventListener("click", () => openSession(s.key));
  li.append(button);
  return li;
}

/** "Main chat" for this browser's default session, "Chat <id>" for ones started here, else channel and peer. */
function sessionLabel(key) {
  const [, agent, channel, , ...rest] = key.split(":");
  const peer = rest.join(":");
  const base =
    channel === "webchat" && peer === CLIENT ? "Main chat"
    : channel === "webchat" && peer.startsWith(`${CLIENT}-`) ? `Chat ${peer.slice(CLIENT.length + 1)}`
    : `${channel ?? "?"}: ${peer || key}`;
  return agent && agent !== state.defaultAgent ? `${base} (${agent})` : base;
}

function openSession(key) {
  state.session = key;
  localStorage.setItem(SESSION_KEY, key);
  els.title.textContent = sessionLabel(key);
  els.title.title = key;
  for (const b of els.sessions.querySelectorAll("button[data-session]")) {
    b.setAttribute("aria-current", String(/** @type {HTMLElement} */ (b).dataset.session === key));
  }
  // Messages not yet acknowledged stay visible; they are sent again once the connection is back.
  els.messages.replaceChildren(...state.outbox.filter((o) => o.session === key).map((o) => bubble("user", o.text)));
  state.bubbles.clear();
  state.tools.clear();
  hideError();
  updateStop();
  request({ type: "sessions.history", session: key, limit: 200 }, (frame) => {
    if (state.session !== key) return;
    if (frame.type === "error") {
      // A new session has no history yet; anything else is worth showing.
      if (frame.code !== "not_found") showError(frame.message);
      return;
    }
    const live = [...els.messages.children];
    els.messages.replaceChildren(...frame.messages.map(historyItem), ...live);
    scrollDown();
  });
}

els.newChat.addEventListener("click", () => {
  const suffix = crypto.randomUUID().slice(0, 8);
  openSession(`agent:${state.defaultAgent}:webchat:dm:${CLIENT}-${suffix}`);
  refreshSessions();
  els.input.focus();
});

function historyItem(m) {
  if (m.role === "tool") return toolElement("tool result", undefined, m.text, "ok");
  const el = bubble(m.role, m.text);
  return el;
}

// ---- sending ----

els.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = els.input.value;
  if (!text.trim()) return;
  els.input.value = "";
  const item = { id: `s${state.nextId++}`, messageId: crypto.randomUUID(), session: state.session, text };
  state.outbox.push(item);
  els.messages.append(bubble("user", text));
  scrollDown();
  sendQueued(item);
});

els.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    els.composer.requestSubmit();
  }
});

function sendQueued(item) {
  request({ type: "chat.send", id: item.id, messageId: item.messageId, session: item.session, text: item.text }, (frame) => {
    if (frame.code === "disconnected") return; // stays in the outbox; resent after the reconnect
    state.outbox = state.outbox.filter((o) => o !== item);
    if (frame.type === "error") showError(frame.message);
    else if (frame.session === state.session) refreshSessionsSoon();
  });
}

let refreshTimer;
function refreshSessionsSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshSessions, 300);
}

els.stop.addEventListener("click", () => {
  request({ type: "chat.abort", session: state.session }, (frame) => {
    if (frame.type === "error") showError(frame.message);
  });
});

// ---- run events ----

function onRunFrame(frame) {
  if (frame.type === "run.started") state.activeRuns.set(frame.session, frame.runId);
  if (frame.type === "run.final") state.activeRuns.delete(frame.session);
  if (frame.session !== state.session) return;
  updateStop();
  switch (frame.type) {
    case "run.started":
      return void runBubble(frame.runId);
    case "run.delta": {
      const el = runBubble(frame.runId);
      el.querySelector(".text").textContent += frame.text;
      return scrollDown();
    }
    case "run.tool_start": {
      const el = toolElement(frame.name, frame.args, undefined, "running");
      state.tools.set(frame.callId, el);
      // Tool calls sit above the bubble the answer streams into.
      const current = state.bubbles.get(frame.runId);
      if (current && !current.querySelector(".text").textContent) els.messages.insertBefore(el, current);
      else els.messages.append(el);
      if (current?.querySelector(".text").textContent) state.bubbles.delete(frame.runId); // later text goes below the tool
      return scrollDown();
    }
    case "run.tool_end": {
      const el = state.tools.get(frame.callId) ?? toolElement(frame.name, undefined, undefined, "running");
      if (!el.isConnected) els.messages.append(el);
      el.dataset.state = frame.decision === "deny" ? "denied" : frame.isError ? "error" : "ok";
      const summary = el.querySelector("summary");
      summary.textContent = `⚙ ${frame.name}${frame.decision === "deny" ? " · denied by policy" : frame.isError ? " · failed" : ""}`;
      const out = document.createElement("pre");
      out.className = "result";
      out.textContent = frame.preview;
      el.append(out);
      return scrollDown();
    }
    case "run.final": {
      const el = runBubble(frame.runId);
      const text = el.querySelector(".text");
      if (!text.textContent && frame.reply) text.textContent = frame.reply;
      el.dataset.state = "done";
      el.dataset.status = frame.status;
      if (frame.status !== "succeeded") {
        const status = document.createElement("span");
        status.className = "status";
        status.textContent = frame.error ? `${frame.status}: ${frame.error}` : frame.status;
        el.append(status);
      }
      if (!text.textContent && frame.status === "succeeded") el.remove();
      for (const [runId, b] of state.bubbles) if (b === el || runId === frame.runId) state.bubbles.delete(runId);
      refreshSessionsSoon();
      return scrollDown();
    }
    default:
      return undefined;
  }
}

function runBubble(runId) {
  let el = state.bubbles.get(runId);
  if (!el) {
    el = bubble("assistant", "");
    el.dataset.state = "streaming";
    el.dataset.run = runId;
    state.bubbles.set(runId, el);
    els.messages.append(el);
  }
  return el;
}

function updateStop() {
  const running = state.activeRuns.has(state.session);
  els.stop.hidden = !running;
}

// ---- rendering ----

function bubble(role, text) {
  const el = document.createElement("div");
  el.className = `msg ${role}`;
  el.dataset.role = role;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  el.append(body);
  return el;
}

function toolElement(name, args, result, toolState) {
  const el = document.createElement("details");
  el.className = "tool";
  el.dataset.state = toolState;
  const summary = document.createElement("summary");
  summary.textContent = `⚙ ${name}`;
  el.append(summary);
  if (args !== undefined) {
    const pre = document.createElement("pre");
    pre.className = "args";
    pre.textContent = JSON.stringify(args, null, 2);
    el.append(pre);
  }
  if (result !== undefined) {
    const pre = document.createElement("pre");
    pre.className = "result";
    pre.textContent = result;
    el.append(pre);
  }
  return el;
}

function showError(message) {
  els.chatError.textContent = message;
  els.chatError.hidden = false;
}

function hideError() {
  els.chatError.hidden = true;
}

function scrollDown() {
  els.messages.scrollTop = els.messages.scrollHeight;
}

// ---- start ----

// `pincer gateway` prints a first-start link with the token in the fragment (never sent to the server): take it, drop it.
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) {
  sessionStorage.setItem(TOKEN_KEY, fromLink);
  history.replaceState(null, "", location.pathname + location.search);
}
const saved = storedToken();
if (saved) {
  connect(saved);
} else {
  showLogin("");
}
