// The list of conversations beside the chat: newest first, with a search box (title, key or message text) and a
// "New chat" button.
import { html, useEffect, useState } from "../../lib/html.js";
import { api } from "../../lib/api.js";
import { formatRelative } from "../../lib/format.js";

const CLIENT = "webchat";

/** A conversation's name: its title, else "Main chat" / "Untitled chat" for this browser's, else channel and peer. */
export function sessionLabel(session, defaultAgent) {
  const [, agent, channel, , ...rest] = session.key.split(":");
  const peer = rest.join(":");
  const base = session.title
    ?? (channel === "webchat" && peer === CLIENT ? "Main chat" : channel === "webchat" && peer.startsWith(`${CLIENT}-`) ? "Untitled chat" : `${channel ?? "?"}: ${peer || session.key}`);
  return agent && defaultAgent && agent !== defaultAgent ? `${base} (${agent})` : base;
}

export function SessionList({ sessions, current, defaultAgent, onOpen, onNew }) {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    const q = query.trim();
    if (!q) return setFound(undefined);
    let live = true;
    const timer = setTimeout(() => {
      api.get(`/sessions?q=${encodeURIComponent(q)}&limit=50`).then(
        (res) => live && (setFound(res.data), setError("")),
        (err) => live && setError(err.message),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, sessions]);
  const shown = found ?? sessions;
  return html`<div class="session-list">
    <div class="session-tools">
      <button type="button" class="primary" onClick=${onNew}>New chat</button>
      <label for="session-search" class="sr-only">Search conversations</label>
      <input id="session-search" type="search" placeholder="Search conversations" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
    </div>
    ${error ? html`<p class="error small-text" role="alert">${error}</p>` : null}
    <nav aria-label="Conversations">
      <ul id="sessions">
        ${shown.map((s) => html`<li key=${s.key}>
          <button type="button" data-session=${s.key} aria-current=${s.key === current ? "true" : undefined} onClick=${() => onOpen(s.key)}>
            <span class="label">${sessionLabel(s, defaultAgent)}</span>
            <span class="when">${s.channel} · ${formatRelative(s.updatedAt)}</span>
          </button>
        </li>`)}
      </ul>
      ${found && found.length === 0 ? html`<p class="muted small-text">No conversation matches “${query.trim()}”.</p>` : null}
    </nav>
  </div>`;
}
