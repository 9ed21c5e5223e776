// The conversation's items on screen: the user's messages (plain text), answers (sanitized Markdown), tool calls with
// arguments, result and status, run outcomes and chat-command replies.
import { html, useEffect, useLayoutEffect, useRef } from "../../lib/html.js";
import { Markdown, StatusPill } from "../../lib/components.js";
import { describeOutcome } from "./chat-model.js";

const TOOL_LABEL = { running: "running", ok: "done", error: "failed", denied: "denied by policy" };

function UserMessage({ item }) {
  const note = item.state === "pending" ? "Waiting for the connection…" : item.state === "sending" ? "Sending…" : item.state === "failed" ? `Not sent: ${item.error ?? ""}` : "";
  return html`<div class="msg user" data-state=${item.state}>
    ${item.text ? html`<div class="text">${item.text}</div>` : null}
    ${item.images.length > 0
      ? html`<div class="images">${item.images.map((img) => (img.url ? html`<img src=${img.url} alt=${img.name} />` : html`<span class="image-chip" title=${img.name}>🖼 ${img.name}</span>`))}</div>`
      : null}
    ${note ? html`<div class="note">${note}</div>` : null}
  </div>`;
}

function ToolCall({ item }) {
  const args = item.args === undefined ? undefined : JSON.stringify(item.args, null, 2);
  return html`<details class="tool" data-status=${item.status}>
    <summary>
      <span class="tool-name">${item.name}</span>
      <${StatusPill} status=${item.status === "ok" ? "succeeded" : item.status === "running" ? "running" : item.status === "denied" ? "denied" : "failed"} label=${TOOL_LABEL[item.status]} />
    </summary>
    ${args !== undefined ? html`<div class="tool-section"><span class="tool-label">Arguments</span><pre class="args">${args}</pre></div>` : null}
    ${item.preview !== undefined ? html`<div class="tool-section"><span class="tool-label">Result</span><pre class="result">${item.preview}</pre></div>` : null}
  </details>`;
}

function Item({ item }) {
  switch (item.kind) {
    case "user":
      return html`<${UserMessage} item=${item} />`;
    case "assistant":
      return html`<div class="msg assistant" data-state=${item.streaming ? "streaming" : "done"}><${Markdown} text=${item.text} /></div>`;
    case "tool":
      return html`<${ToolCall} item=${item} />`;
    case "status":
      return html`<div class="run-status" data-status=${item.status} role="status">${describeOutcome(item.status, item.error)}</div>`;
    case "command":
      return html`<div class="msg command" data-command=${item.command}><pre>${item.reply}</pre></div>`;
    default:
      return null;
  }
}

/** The scrolling list of items; stays at the bottom while new content arrives if the reader was there. */
export function Messages({ items, empty }) {
  const ref = useRef();
  const pinned = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [items]);
  useEffect(() => {
    const el = ref.current;
    const onScroll = () => (pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80);
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);
  return html`<div class="messages" ref=${ref}>
    ${items.length === 0 ? html`<div class="chat-empty">${empty}</div>` : items.map((item) => html`<${Item} key=${item.key} item=${item} />`)}
  </div>`;
}
