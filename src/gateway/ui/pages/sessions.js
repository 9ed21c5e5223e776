// The Sessions page: every conversation with its channel, peer, agent, last activity, message count and tokens, with
// search, reset and delete (GET/DELETE /api/v1/sessions…, POST …/reset). `#/sessions/<key>` shows one conversation,
// read-only, from the same /ws history the Chat page reads: the user's text, answers as sanitized Markdown, tool calls
// with their arguments, result and the gate's decision, and how each turn ended; it follows new turns while open.
import { html, loadStylesheet, useEffect, useMemo, useRef, useState } from "../lib/html.js";
import { api, seg } from "../lib/api.js";
import * as ws from "../lib/ws.js";
import { Badge, EmptyState, ErrorBanner, Fields, JsonBlock, Markdown, Spinner, StatusPill, Table, confirmDialog } from "../lib/components.js";
import { formatRelative, formatTime, formatTokens, formatUsageCost, parseSessionKey } from "../lib/format.js";

loadStylesheet("/ui/pages/sessions.css");

const LIST_LIMIT = 200;

export default function Page({ route, navigate }) {
  if (route.rest) {
    let key;
    try {
      key = decodeURIComponent(route.rest);
    } catch {
      return html`<section class="page"><${EmptyState} title="There is no such session."><a href="#/sessions">All sessions</a><//></section>`;
    }
    return html`<${SessionView} key=${key} sessionKey=${key} navigate=${navigate} />`;
  }
  return html`<${SessionList} query=${route.query} navigate=${navigate} />`;
}

/** What a session is called: its title when it has one, else who it is with. */
function sessionName(session) {
  if (typeof session.title === "string" && session.title.trim()) return session.title;
  const parts = parseSessionKey(session.key);
  if (!parts) return session.key;
  return parts.kind === "dm" ? parts.peer : `${parts.kind} ${parts.peer}`;
}

const tokensOf = (usage) => (usage ? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) : undefined);

/** Reset (clear the transcript, stop its run) and delete, each after a confirmation; resolve true when done. */
async function resetSession(session) {
  const ok = await confirmDialog({
    title: "Reset this conversation?",
    message: `The transcript of "${sessionName(session)}" is cleared and a running turn is stopped; the next message starts afresh. Runs, usage and the audit log are kept.`,
    confirmLabel: "Reset",
    danger: true,
  });
  if (!ok) return false;
  await api.post(`/sessions/${seg(session.key)}/reset`);
  return true;
}

async function deleteSession(session) {
  const ok = await confirmDialog({
    title: "Delete this conversation?",
    message: `"${sessionName(session)}" and its transcript are deleted. This cannot be undone.`,
    confirmLabel: "Delete",
    danger: true,
  });
  if (!ok) return false;
  await api.del(`/sessions/${seg(session.key)}`);
  return true;
}

function SessionList({ query, navigate }) {
  const q = query.get("q") ?? "";
  const [text, setText] = useState(q);
  const [state, setState] = useState({ loading: true, error: undefined, rows: [] });
  const [attempt, setAttempt] = useState(0);
  const [actionError, setActionError] = useState(undefined);
  const typing = useRef();

  // The address changed (back button, a link): show its search, unless it is what is being typed (maybe with a space).
  useEffect(() => setText((t) => (t.trim() === q ? t : q)), [q]);
  useEffect(() => {
    let current = true;
    const params = new URLSearchParams({ limit: String(LIST_LIMIT) });
    if (q) params.set("q", q);
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get(`/sessions?${params}`).then(
      (res) => current && setState({ loading: false, error: undefined, rows: res.data ?? [] }),
      (err) => current && setState({ loading: false, error: err, rows: [] }),
    );
    return () => (current = false);
  }, [q, attempt]);

  const search = (value) => {
    clearTimeout(typing.current);
    typing.current = setTimeout(() => {
      const v = value.trim();
      navigate(v ? `sessions?${new URLSearchParams({ q: v })}` : "sessions", { replace: true });
    }, 250);
  };
  useEffect(() => () => clearTimeout(typing.current), []);

  const act = (fn) => async (e, row) => {
    e.stopPropagation();
    setActionError(undefined);
    try {
      if (await fn(row)) setAttempt((n) => n + 1);
    } catch (err) {
      setActionError(err);
    }
  };
  const onReset = act(resetSession);
  const onDelete = act(deleteSession);

  const columns = [
    { key: "name", label: "Session", value: sessionName, render: (s) => html`<a class="sv-name" href=${`#/sessions/${seg(s.key)}`} title=${s.key} onClick=${(e) => e.stopPropagation()}>${sessionName(s)}</a>` },
    { key: "channel", label: "Channel" },
    { key: "peer", label: "Peer", value: (s) => parseSessionKey(s.key)?.peer ?? "", render: (s) => html`<span class="sv-peer">${parseSessionKey(s.key)?.peer ?? "—"}</span>` },
    { key: "agentId", label: "Agent" },
    { key: "updatedAt", label: "Last activity", render: (s) => html`<time title=${formatTime(s.updatedAt)}>${formatRelative(s.updatedAt)}</time>` },
    { key: "messageCount", label: "Messages", align: "right", render: (s) => (typeof s.messageCount === "number" ? String(s.messageCount) : "—") },
    { key: "tokens", label: "Tokens", align: "right", value: (s) => tokensOf(s.usage), render: (s) => (s.usage ? formatTokens(tokensOf(s.usage)) : "—") },
    {
      key: "actions", label: "Actions", sortable: false,
      render: (s) => html`<span class="sv-row-actions">
        <button type="button" class="small ghost" onClick=${(e) => onReset(e, s)} aria-label=${`Reset ${sessionName(s)}`}>Reset</button>
        <button type="button" class="small ghost sv-danger" onClick=${(e) => onDelete(e, s)} aria-label=${`Delete ${sessionName(s)}`}>Delete</button>
      </span>`,
    },
  ];

  return html`<section class="page sv-page">
    <form class="filters" role="search" aria-label="Search sessions" onSubmit=${(e) => (e.preventDefault(), search(text))}>
      <label class="sv-search">Search
        <input type="search" name="q" placeholder="title, key or message text" value=${text} spellcheck=${false} autocapitalize="off"
          onInput=${(e) => (setText(e.currentTarget.value), search(e.currentTarget.value))} />
      </label>
    </form>
    <${ErrorBanner} error=${actionError} onDismiss=${() => setActionError(undefined)} />
    ${state.error
      ? html`<${ErrorBanner} error=${state.error} onRetry=${() => setAttempt((n) => n + 1)} />`
      : state.loading && state.rows.length === 0
        ? html`<div class="page-loading"><${Spinner} label="Loading sessions…" /></div>`
        : html`<div class=${state.loading ? "reloading" : ""}>
            <${Table} caption="Sessions" columns=${columns} rows=${state.rows} rowKey=${(s) => s.key}
              onRowClick=${(s) => navigate(`sessions/${seg(s.key)}`)}
              empty=${q ? `No sessions match "${q}".` : "No conversations yet. Start one in Chat or message the bot on a channel."} />
            ${state.rows.length >= LIST_LIMIT ? html`<p class="muted sv-note">Showing the ${LIST_LIMIT} most recent sessions; search to find older ones.</p>` : null}
          </div>`}
  </section>`;
}

/** Messages of the conversation shown (the newest; the Chat page reads as many). */
const HISTORY_LIMIT = 200;

function useConnState() {
  const [state, setState] = useState(ws.connState());
  useEffect(() => {
    const off = ws.onState(setState);
    setState(ws.connState()); // it may have changed between the first render and this subscription
    return off;
  }, []);
  return state;
}

function SessionView({ sessionKey, navigate }) {
  const [state, setState] = useState({ loading: true, error: undefined, data: undefined });
  const [history, setHistory] = useState({ loading: true, error: undefined, messages: [], runs: [] });
  const [attempt, setAttempt] = useState(0);
  const [tick, setTick] = useState(0);
  const [actionError, setActionError] = useState(undefined);
  const conn = useConnState();
  const reload = () => setAttempt((n) => n + 1);

  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api.get(`/sessions/${seg(sessionKey)}`).then(
      (data) => current && setState({ loading: false, error: undefined, data }),
      (err) => current && setState((s) => ({ ...s, loading: false, error: err })),
    );
    return () => (current = false);
  }, [sessionKey, attempt, tick]);

  // The transcript comes over /ws, which also makes this connection follow the session's new turns.
  useEffect(() => {
    if (conn !== "open") return undefined;
    let current = true;
    ws.request({ type: "sessions.history", session: sessionKey, limit: HISTORY_LIMIT }).then((frame) => {
      if (!current) return;
      if (frame.type === "history") setHistory({ loading: false, error: undefined, messages: frame.messages ?? [], runs: frame.runs ?? [] });
      else setHistory((h) => ({ ...h, loading: false, error: frame.message ?? "the conversation could not be read" }));
    });
    return () => (current = false);
  }, [conn, sessionKey, attempt, tick]);

  useEffect(() => {
    let timer;
    const soon = (frame) => {
      if (frame.session !== sessionKey) return;
      clearTimeout(timer);
      timer = setTimeout(() => setTick((n) => n + 1), 200);
    };
    const offs = [ws.on("run.started", soon), ws.on("run.final", soon)];
    return () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  }, [sessionKey]);

  const turns = useMemo(() => toTurns(history.messages, history.runs), [history]);

  const { data, error, loading } = state;
  if (!data) {
    if (loading) return html`<section class="page"><div class="page-loading"><${Spinner} label="Loading the conversation…" /></div></section>`;
    return html`<section class="page">
      <p class="sv-crumbs"><a href="#/sessions">← All sessions</a></p>
      ${error?.status === 404
        ? html`<${EmptyState} title="There is no such session.">It may have been deleted. <a href="#/sessions">All sessions</a><//>`
        : html`<${ErrorBanner} error=${error} onRetry=${reload} />`}
    </section>`;
  }
  const session = data.session;
  const parts = parseSessionKey(session.key);
  const act = async (fn, after) => {
    setActionError(undefined);
    try {
      if (await fn(session)) after();
    } catch (err) {
      setActionError(err);
    }
  };
  return html`<section class="page sv-view">
    <p class="sv-crumbs"><a href="#/sessions">← All sessions</a></p>
    <header class="sv-head">
      <div class="sv-title"><h2>${sessionName(session)}</h2><p class="mono muted">${session.key}</p></div>
      <div class="sv-actions">
        <a class="sv-button primary" href=${`#/chat/${seg(session.key)}`}>Continue in Chat</a>
        <button type="button" onClick=${() => act(resetSession, reload)}>Reset</button>
        <button type="button" class="danger" onClick=${() => act(deleteSession, () => navigate("sessions"))}>Delete</button>
      </div>
    </header>
    <${ErrorBanner} error=${actionError} onDismiss=${() => setActionError(undefined)} />
    ${error ? html`<${ErrorBanner} error=${error} onRetry=${reload} />` : null}
    <div class="card sv-fields">
      <${Fields} items=${[
        ["Channel", session.channel],
        ["Peer", parts ? `${parts.peer}${parts.kind === "dm" ? "" : ` (${parts.kind})`}` : ""],
        ["Agent", session.agentId],
        ["Started", html`<time title=${formatTime(session.createdAt)}>${formatRelative(session.createdAt)}</time>`],
        ["Last activity", html`<time title=${formatTime(session.updatedAt)}>${formatRelative(session.updatedAt)}</time>`],
        ["Tokens", data.usage ? `${formatTokens(data.usage.inputTokens ?? 0)} in · ${formatTokens(data.usage.outputTokens ?? 0)} out` : ""],
        ["Cost", formatUsageCost(data.usage)],
        ["Model", session.modelOverride ?? ""],
        ["Running now", data.activeRunId ? html`<a href=${`#/runs/${seg(data.activeRunId)}`}>${data.activeRunId}</a>` : ""],
      ]} />
    </div>
    <h3>Conversation</h3>
    ${history.error
      ? html`<${ErrorBanner} error=${history.error} onRetry=${reload} />`
      : history.loading
        ? html`<div class="page-loading"><${Spinner} label=${conn === "open" ? "Loading the conversation…" : "Waiting for the connection to the gateway…"} /></div>`
        : turns.length === 0
          ? html`<${EmptyState} title="This conversation is empty.">Nothing was said since it started or was last reset.<//>`
          : html`${history.messages.length >= HISTORY_LIMIT ? html`<p class="muted sv-note">Showing the newest ${HISTORY_LIMIT} messages.</p>` : null}
              <ol class="sv-transcript" aria-label="Conversation">${turns.map((t) => html`<${Turn} key=${t.key} turn=${t} />`)}</ol>`}
  </section>`;
}

/**
 * /ws history (messages with structured parts, and the runs in their window) grouped into turns by run:
 * [{ key, at, run?, items: [{ kind: "user" | "answer", text, at } | { kind: "tool", callId, name, args, result?, isError, decision? }] }].
 * A run that left no message (it failed before the agent started, or waits in the queue) is a turn of its input.
 */
function toTurns(messages, runs) {
  const runById = new Map(runs.map((r) => [r.runId, r]));
  const turns = [];
  const calls = new Map();
  messages.forEach((m, i) => {
    const key = m.runId ?? `message-${i}`;
    let turn = turns.at(-1);
    if (!turn || turn.key !== key) {
      turn = { key, at: m.createdAt, run: m.runId ? runById.get(m.runId) : undefined, items: [] };
      turns.push(turn);
    }
    const parts = Array.isArray(m.parts) ? m.parts : m.text ? [{ type: "text", text: m.text }] : [];
    for (const part of parts) {
      if (!part || typeof part !== "object") continue;
      if (part.type === "text" && typeof part.text === "string" && part.text !== "") {
        turn.items.push({ kind: m.role === "user" ? "user" : "answer", text: part.text, at: m.createdAt });
      } else if (part.type === "image") {
        turn.items.push({ kind: "user", text: `[image: ${part.path}]`, at: m.createdAt });
      } else if (part.type === "tool_call") {
        const item = { kind: "tool", callId: String(part.callId ?? ""), name: String(part.name ?? "?"), args: part.args ?? {}, result: undefined, isError: false, decision: undefined };
        calls.set(item.callId, item);
        turn.items.push(item);
      } else if (part.type === "tool_result") {
        const done = { result: String(part.preview ?? ""), isError: part.isError === true, decision: part.decision };
        const item = calls.get(String(part.callId ?? ""));
        if (item) Object.assign(item, done);
        else turn.items.push({ kind: "tool", callId: String(part.callId ?? ""), name: String(part.name ?? "?"), args: undefined, ...done });
      }
    }
  });
  const shown = new Set(turns.map((t) => t.key));
  for (const run of runs) {
    if (shown.has(run.runId)) continue;
    turns.push({ key: run.runId, at: run.createdAt, run, items: run.input ? [{ kind: "user", text: run.input, at: run.createdAt }] : [] });
  }
  return turns.sort((a, b) => a.at - b.at);
}

const ENDED_BADLY = new Set(["failed", "cancelled", "interrupted"]);

function Turn({ turn }) {
  const run = turn.run;
  return html`<li class="sv-turn">
    ${turn.items.map((item, i) => html`<${TurnItem} key=${i} item=${item} />`)}
    ${run
      ? html`<div class="sv-turn-foot">
          <${StatusPill} status=${run.status} />
          ${ENDED_BADLY.has(run.status) && (run.errorCode || run.error)
            ? html`<span class="sv-turn-error">${run.errorCode ? html`<strong>${run.errorCode}</strong>` : null}${run.error ? `${run.errorCode ? ": " : ""}${run.error}` : ""}</span>`
            : null}
          <a class="muted" href=${`#/runs/${seg(run.runId)}`}>run details</a>
        </div>`
      : null}
  </li>`;
}

function TurnItem({ item }) {
  if (item.kind === "user") {
    return html`<div class="sv-msg sv-user"><p>${item.text}</p><time class="muted" title=${formatTime(item.at)}>${formatRelative(item.at)}</time></div>`;
  }
  if (item.kind === "answer") {
    return html`<div class="sv-msg sv-answer"><${Markdown} text=${item.text} /></div>`;
  }
  const outcome = item.result === undefined ? ["warn", "no result"] : item.isError ? ["error", "error"] : ["ok", "ok"];
  return html`<details class="sv-msg sv-tool">
    <summary>
      <span class="mono sv-tool-name">${item.name}</span>
      ${item.decision ? html`<${Badge} tone=${item.decision === "deny" ? "error" : "ok"}>${item.decision === "deny" ? "denied" : "allowed"}<//>` : null}
      ${item.decision !== "deny" ? html`<${Badge} tone=${outcome[0]}>${outcome[1]}<//>` : null}
    </summary>
    <div class="sv-tool-io">
      ${item.args !== undefined ? html`<div><h4>Arguments</h4><${JsonBlock} value=${item.args} /></div>` : null}
      ${item.result !== undefined ? html`<div><h4>Result</h4><${JsonBlock} value=${item.result} /></div>` : null}
    </div>
  </details>`;
}
