// The Chat page: conversations with streamed answers rendered as Markdown, tool calls, run outcomes, chat commands,
// images, and messages typed while offline kept visibly pending and sent on reconnect. Speaks /ws (docs/protocol.md);
// renames, deletes and searches through /api/v1. `#/chat/<session key>` opens one conversation. Tool calls waiting
// for approval show as cards with Allow once / Always / Deny; elevated mode as a banner, started with Elevate….
import { html, loadStylesheet, useCallback, useEffect, useRef, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import { confirmDialog, ErrorBanner } from "../lib/components.js";
import * as ws from "../lib/ws.js";
import { applyRunFrame, itemsFromHistory } from "./chat/chat-model.js";
import { Composer } from "./chat/composer.js";
import { Messages } from "./chat/messages.js";
import { SessionList, sessionLabel } from "./chat/session-list.js";
import { ApprovalCard } from "./approvals/approval-card.js";
import { ElevateDialog, ElevationBanner, loadElevation } from "./approvals/elevation.js";

loadStylesheet("/ui/pages/chat.css");
loadStylesheet("/ui/pages/approvals.css");

const LAST_SESSION = "pincer.session";
const HISTORY_LIMIT = 200;
const RUN_FRAMES = ["run.started", "run.delta", "run.tool_start", "run.tool_end", "run.final"];

/**
 * Messages sent but not yet acknowledged, across visits of the page: resent after a reconnect (the gateway dedupes
 * on messageId, so a resend never starts a second run).
 * @type {Array<{ id: string, messageId: string, session: string, text: string, attachments: object[], previews: object[], key: string }>}
 */
const outbox = [];
let nextId = 1;

const decodeKey = (rest) => {
  try {
    return rest ? decodeURIComponent(rest) : "";
  } catch {
    return "";
  }
};

function outboxItems(session) {
  const state = ws.connState() === "open" ? "sending" : "pending";
  return outbox.filter((o) => o.session === session).map((o) => ({ kind: "user", key: o.key, text: o.text, images: o.previews, state }));
}

export default function ChatPage({ route, navigate }) {
  const hello = ws.helloFrame();
  const [conn, setConn] = useState(ws.connState());
  const [sessions, setSessions] = useState([]);
  const [items, setItems] = useState([]);
  const [active, setActive] = useState(() => new Map()); // session → running run id
  const [error, setError] = useState("");
  const [renaming, setRenaming] = useState(undefined);
  const [listOpen, setListOpen] = useState(false);
  const [approvals, setApprovals] = useState([]); // this conversation's requests: pending, and answered while shown
  const [elevation, setElevation] = useState({ elevation: null, policy: undefined });
  const [elevating, setElevating] = useState(false);
  const requested = decodeKey(route.rest);
  const session = requested || localStorage.getItem(LAST_SESSION) || hello?.defaultSession || "";
  const current = useRef(session);
  current.current = session;
  const defaultAgent = hello?.defaultAgent ?? "default";

  const refreshSessions = useCallback(async () => {
    const res = await ws.request({ type: "sessions.list", limit: 200 });
    if (res.type === "sessions") setSessions(res.sessions);
  }, []);
  const refreshSoon = useRef();
  const refreshSessionsSoon = useCallback(() => {
    clearTimeout(refreshSoon.current);
    refreshSoon.current = setTimeout(() => void refreshSessions(), 300);
  }, [refreshSessions]);

  const loadHistory = useCallback(async (key) => {
    const res = await ws.request({ type: "sessions.history", session: key, limit: HISTORY_LIMIT });
    if (current.current !== key) return;
    if (res.type === "history") {
      const built = itemsFromHistory(res.messages, res.runs);
      setItems([...built.items, ...outboxItems(key)]);
      setActive((m) => {
        const next = new Map(m);
        if (built.active) next.set(key, built.active);
        else next.delete(key);
        return next;
      });
    } else if (res.code === "not_found") setItems(outboxItems(key)); // a new conversation: nothing yet
    else if (res.code !== "disconnected") setError(res.message);
  }, []);

  /** The conversation's pending approvals and its elevation (when this gateway runs an approval service). */
  const loadSafety = useCallback(async (key) => {
    const [pending, elev] = await Promise.all([
      api.get(`/approvals?status=pending&session=${seg(key)}`).then((r) => r.data, () => []),
      loadElevation(key),
    ]);
    if (current.current !== key) return;
    setApprovals(pending);
    setElevation(elev);
  }, []);

  /** Sends one outbox entry; on an answer it leaves the outbox (a dropped connection keeps it for the resend). */
  const deliver = useCallback(async (entry) => {
    const res = await ws.request({ type: "chat.send", id: entry.id, messageId: entry.messageId, session: entry.session, text: entry.text, ...(entry.attachments.length ? { attachments: entry.attachments } : {}) });
    if (res.code === "disconnected") return;
    const at = outbox.indexOf(entry);
    if (at >= 0) outbox.splice(at, 1);
    const mine = current.current === entry.session;
    if (res.type === "error") {
      if (mine) setItems((its) => its.map((it) => (it.key === entry.key ? { ...it, state: "failed", error: res.message } : it)));
      return;
    }
    if (mine) {
      setItems((its) => {
        const sent = its.map((it) => (it.key === entry.key ? { ...it, state: "sent" } : it));
        return res.disposition === "command" ? [...sent, { kind: "command", key: `cmd-${entry.id}`, command: res.command, reply: res.reply ?? "" }] : sent;
      });
    }
    if (res.disposition === "command" && (res.command === "new" || res.command === "reset") && mine) {
      setItems((its) => its.slice(-2)); // the command and its answer, on a fresh page
      setActive((m) => new Map([...m].filter(([k]) => k !== entry.session)));
    }
    refreshSessionsSoon();
  }, [refreshSessionsSoon]);

  // Connection: state, and on every (re)connect: resend what waits, then catch up with the conversation and the list.
  useEffect(() => ws.onState(setConn), []);
  useEffect(() => {
    if (conn !== "open") {
      setItems((its) => its.map((it) => (it.kind === "user" && it.state === "sending" ? { ...it, state: "pending" } : it)));
      return;
    }
    setItems((its) => its.map((it) => (it.kind === "user" && it.state === "pending" ? { ...it, state: "sending" } : it)));
    void (async () => {
      await Promise.all([...outbox].map((entry) => deliver(entry)));
      await Promise.all([current.current ? loadHistory(current.current) : undefined, current.current ? loadSafety(current.current) : undefined, refreshSessions()]);
    })();
  }, [conn]);

  // Opening a conversation.
  useEffect(() => {
    if (!session) return;
    localStorage.setItem(LAST_SESSION, session);
    setError("");
    setRenaming(undefined);
    setListOpen(false);
    setItems(outboxItems(session));
    setApprovals([]);
    setElevation({ elevation: null, policy: undefined });
    if (ws.connState() === "open") void loadHistory(session);
    void loadSafety(session);
  }, [session]);

  // Approval requests and answers of the conversation on screen (answered cards stay until the next visit).
  useEffect(() => {
    const upsert = (frame) => {
      if (frame.session !== current.current) return;
      setApprovals((list) => [...list.filter((r) => r.id !== frame.request.id), frame.request]);
    };
    const offs = [ws.on("approval.requested", upsert), ws.on("approval.answered", upsert)];
    return () => offs.forEach((off) => off());
  }, []);

  // Live run events of the conversation on screen; the Stop button follows every conversation's runs.
  useEffect(() => {
    const offs = RUN_FRAMES.map((type) => ws.on(type, (frame) => {
      if (frame.type === "run.started") setActive((m) => new Map(m).set(frame.session, frame.runId));
      if (frame.type === "run.final") {
        setActive((m) => new Map([...m].filter(([k]) => k !== frame.session)));
        refreshSessionsSoon();
        if (frame.session === current.current) void loadElevation(frame.session).then((e) => current.current === frame.session && setElevation(e));
      }
      if (frame.session === current.current) setItems((its) => applyRunFrame(its, frame));
    }));
    return () => offs.forEach((off) => off());
  }, []);

  const open = (key) => navigate(`chat/${encodeURIComponent(key)}`);
  const newChat = () => open(`agent:${defaultAgent}:webchat:dm:webchat-${crypto.randomUUID().slice(0, 8)}`);

  const send = ({ text, attachments, previews }) => {
    const id = `s${nextId++}`;
    const entry = { id, messageId: crypto.randomUUID(), session, text, attachments, previews, key: `out-${id}` };
    outbox.push(entry);
    setItems((its) => [...its, { kind: "user", key: entry.key, text, images: previews, state: ws.connState() === "open" ? "sending" : "pending" }]);
    if (ws.connState() === "open") void deliver(entry);
  };

  const stop = async () => {
    const res = await ws.request({ type: "chat.abort", session });
    if (res.type === "error") setError(res.message);
  };

  const known = sessions.find((s) => s.key === session);
  const title = known ? sessionLabel(known, defaultAgent) : sessionLabel({ key: session }, defaultAgent);

  const rename = async (e) => {
    e.preventDefault();
    try {
      await api.patch(`/sessions/${seg(session)}`, { title: renaming });
      setRenaming(undefined);
      await refreshSessions();
    } catch (err) {
      setError(err.status === 404 ? "Send a first message before naming this conversation." : err.message);
    }
  };
  const remove = async () => {
    const ok = await confirmDialog({ title: "Delete this conversation?", message: `“${title}” and its messages will be deleted. Usage records stay.`, confirmLabel: "Delete", danger: true });
    if (!ok) return;
    try {
      await api.del(`/sessions/${seg(session)}`);
      localStorage.removeItem(LAST_SESSION);
      await refreshSessions();
      open(hello?.defaultSession && hello.defaultSession !== session ? hello.defaultSession : `agent:${defaultAgent}:webchat:dm:webchat-${crypto.randomUUID().slice(0, 8)}`);
    } catch (err) {
      setError(err.status === 404 ? "This conversation has no messages yet; there is nothing to delete." : err.message);
    }
  };

  const list = sessions.some((s) => s.key === session) || !session ? sessions : [{ key: session, channel: session.split(":")[2] ?? "webchat", updatedAt: Date.now() }, ...sessions];
  const offline = conn !== "open";

  return html`<div class=${`chat ${listOpen ? "list-open" : ""}`}>
    <aside class="chat-sessions" id="chat-sessions">
      <${SessionList} sessions=${list} current=${session} defaultAgent=${defaultAgent} onOpen=${open} onNew=${newChat} />
    </aside>
    <div class="chat-scrim" aria-hidden="true" onClick=${() => setListOpen(false)}></div>
    <section class="chat-main" aria-label="Conversation">
      <header class="chat-head">
        <button type="button" class="ghost small chats-button" aria-controls="chat-sessions" aria-expanded=${listOpen} onClick=${() => setListOpen(!listOpen)}>Chats</button>
        ${renaming !== undefined
          ? html`<form class="rename" onSubmit=${rename}>
              <label for="rename-input" class="sr-only">Conversation title</label>
              <input id="rename-input" type="text" value=${renaming} maxlength="200" required autofocus onInput=${(e) => setRenaming(e.currentTarget.value)}
                onKeyDown=${(e) => e.key === "Escape" && setRenaming(undefined)} />
              <button type="submit" class="small primary">Save</button>
              <button type="button" class="small ghost" onClick=${() => setRenaming(undefined)}>Cancel</button>
            </form>`
          : html`<h2 id="session-title" title=${session}>${title}</h2>
            ${elevation.policy?.enabled && elevation.elevation?.status !== "active"
              ? html`<button type="button" class="small ghost" onClick=${() => setElevating(true)}>Elevate…</button>`
              : null}
            <button type="button" class="small ghost" onClick=${() => setRenaming(known?.title ?? "")}>Rename</button>
            <button type="button" class="small ghost" onClick=${remove}>Delete</button>`}
      </header>
      ${offline
        ? html`<div class="banner warn" role="status">${conn === "idle" ? "Not connected." : "Offline — reconnecting. Messages you send now are sent when the connection is back."}</div>`
        : null}
      <${ErrorBanner} error=${error} onDismiss=${() => setError("")} />
      <${ElevationBanner} elevation=${elevation.elevation} sessionKey=${session} onEnded=${() => void loadSafety(session)} />
      <${Messages} items=${items} empty=${html`<p><strong>${title}</strong></p><p class="muted">Ask anything. Type <code>/</code> for commands; paste or attach images.</p>`} />
      ${approvals.length > 0
        ? html`<section class="chat-approvals" aria-label="Waiting for approval">
            ${approvals.map((r) => html`<${ApprovalCard} key=${r.id} request=${r} onAnswered=${(answered) => setApprovals((list) => list.map((x) => (x.id === answered.id ? answered : x)))} />`)}
          </section>`
        : null}
      ${elevating
        ? html`<${ElevateDialog} sessionKey=${session} policy=${elevation.policy} onClose=${() => setElevating(false)}
            onDone=${(e) => (setElevating(false), setElevation((cur) => ({ ...cur, elevation: e })))} />`
        : null}
      <${Composer} onSend=${send} onStop=${stop} running=${active.has(session)} sessionKey=${session} />
    </section>
  </div>`;
}
