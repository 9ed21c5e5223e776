// Small shared components for every page: Table (sortable, rows may expand), Pager, Fields, Badge, StatusPill,
// EmptyState, ErrorBanner, Spinner, CopyButton, Modal and confirmDialog, and Markdown — the one component that puts
// sanitized HTML on the page.
import { html, render, useEffect, useLayoutEffect, useMemo, useRef, useState } from "./html.js";
import { highlighterFor, renderMarkdown } from "./markdown.js";
import { formatStatus } from "./format.js";

let highlighterReady = 0; // bumped when highlight.js has loaded, so memoized renders are redone with highlighting

/**
 * A table whose columns sort on click. `columns`: [{ key, label, value?(row) → sortable, render?(row) → node,
 * align?: "right", sortable? (default true) }]. `rowKey(row)` gives each row a stable key; `onRowClick` makes rows
 * activatable (Enter too). `expanded(row)`: a node shown in a full-width row under that row (null/undefined: none);
 * with it, an activatable row says whether it is expanded (aria-expanded). `footer`: optional cells, one per column,
 * shown as a row that does not sort (e.g. totals).
 */
export function Table({ columns, rows, rowKey, onRowClick, empty = "Nothing here yet.", initialSort, caption, expanded, footer }) {
  const [sort, setSort] = useState(initialSort ?? { key: undefined, dir: "asc" });
  const sorted = useMemo(() => {
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return rows;
    const value = col.value ?? ((row) => row[col.key]);
    const out = [...rows].sort((a, b) => compare(value(a), value(b)));
    return sort.dir === "desc" ? out.reverse() : out;
  }, [rows, sort, columns]);
  if (rows.length === 0) return html`<${EmptyState} title=${empty} />`;
  const toggle = (key) => setSort((s) => ({ key, dir: s.key === key && s.dir === "asc" ? "desc" : "asc" }));
  return html`
    <div class="table-wrap">
      <table class="table">
        ${caption ? html`<caption class="sr-only">${caption}</caption>` : null}
        <thead>
          <tr>
            ${columns.map((c) => {
              const active = sort.key === c.key;
              const ariaSort = active ? (sort.dir === "asc" ? "ascending" : "descending") : "none";
              return html`<th scope="col" class=${c.align === "right" ? "num" : ""} aria-sort=${c.sortable === false ? undefined : ariaSort}>
                ${c.sortable === false
                  ? c.label
                  : html`<button type="button" class="sort" onClick=${() => toggle(c.key)}>${c.label}<span aria-hidden="true">${active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}</span></button>`}
              </th>`;
            })}
          </tr>
        </thead>
        <tbody>
          ${sorted.map((row) => {
            const detail = expanded ? expanded(row) : undefined;
            const open = detail !== undefined && detail !== null;
            return html`
            <tr key=${rowKey(row)} class=${`${onRowClick ? "clickable" : ""}${open ? " open" : ""}`} tabindex=${onRowClick ? 0 : undefined}
              aria-expanded=${onRowClick && expanded ? String(open) : undefined}
              onClick=${onRowClick ? () => onRowClick(row) : undefined}
              onKeyDown=${onRowClick ? (e) => e.key === "Enter" && e.target === e.currentTarget && onRowClick(row) : undefined}>
              ${columns.map((c) => html`<td class=${c.align === "right" ? "num" : ""}>${c.render ? c.render(row) : String(row[c.key] ?? "")}</td>`)}
            </tr>
            ${open ? html`<tr key=${`${rowKey(row)}:detail`} class="row-detail"><td colspan=${columns.length}>${detail}</td></tr>` : null}`;
          })}
        </tbody>
        ${footer ? html`<tfoot><tr>${columns.map((c, i) => html`<td class=${c.align === "right" ? "num" : ""}>${footer[i]}</td>`)}</tr></tfoot>` : null}
      </table>
    </div>`;
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * Newer / Older buttons for keyset-paged lists (the API's `before` + `next`): `page` counts from 1, `hasOlder` says
 * whether the server returned a `next` cursor.
 */
export function Pager({ page, hasOlder, onNewer, onOlder, busy = false }) {
  if (page <= 1 && !hasOlder) return null;
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" class="small" disabled=${busy || page <= 1} onClick=${onNewer}>← Newer</button>
    <span class="muted">Page ${page}</span>
    <button type="button" class="small" disabled=${busy || !hasOlder} onClick=${onOlder}>Older →</button>
  </nav>`;
}

/** Label / value pairs as a definition list; `items`: [[label, node], …], entries whose node is null/undefined/"" are left out. */
export function Fields({ items, class: cls = "" }) {
  const shown = items.filter(([, value]) => value !== undefined && value !== null && value !== "");
  return html`<dl class=${`fields ${cls}`}>
    ${shown.map(([label, value]) => html`<div class="field" key=${label}><dt>${label}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

/** Time windows for list filters: the value kept in the address, its label, its length in ms (none: any time). */
export const TIME_RANGES = [
  { value: "", label: "Any time", ms: undefined },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
];

/** The start (epoch ms) of a TIME_RANGES value, or undefined for any time / an unknown value. */
export function rangeStart(value, now = Date.now()) {
  const range = TIME_RANGES.find((r) => r.value === value);
  return range?.ms === undefined ? undefined : now - range.ms;
}

/** A labelled select of TIME_RANGES; `onChange(value)`. */
export function TimeRangeSelect({ value, onChange, label = "Time" }) {
  return html`<label>${label}
    <select value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${TIME_RANGES.map((r) => html`<option value=${r.value} key=${r.value}>${r.label}</option>`)}
    </select>
  </label>`;
}

/**
 * A labelled text filter that applies on Enter or when it loses focus: `onCommit(value)` with the trimmed text.
 * What is typed survives re-renders (a list reloading meanwhile); a new `value` from outside (the address) replaces it.
 * `list` names a <datalist> of suggestions.
 */
export function TextFilter({ label, name, value, onCommit, placeholder = "any", list }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return html`<label>${label}
    <input type="search" name=${name} list=${list} placeholder=${placeholder} value=${draft} spellcheck=${false} autocapitalize="off"
      onInput=${(e) => setDraft(e.currentTarget.value)} onChange=${(e) => onCommit(e.currentTarget.value.trim())} />
  </label>`;
}

/** A JSON value (tool arguments, audit details) shown as indented text; strings are shown as they are. */
export function JsonBlock({ value, class: cls = "" }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2) ?? "";
  return html`<pre class=${`json ${cls}`}>${text}</pre>`;
}

/** A small label; `tone`: neutral | ok | warn | error | info. */
export function Badge({ tone = "neutral", children, title }) {
  return html`<span class=${`badge ${tone}`} title=${title}>${children}</span>`;
}

const STATUS_TONES = { succeeded: "ok", ok: "ok", connected: "ok", running: "info", pending: "info", starting: "info", failed: "error", error: "error", denied: "error", cancelled: "warn", interrupted: "warn", reconnecting: "warn" };

/** A run, account or tool status as a coloured pill with its word. */
export function StatusPill({ status, label }) {
  return html`<span class=${`pill ${STATUS_TONES[status] ?? "neutral"}`} data-status=${status}>${label ?? formatStatus(status)}</span>`;
}

/** What a page shows when there is nothing to list. */
export function EmptyState({ title, children }) {
  return html`<div class="empty"><p class="empty-title">${title}</p>${children ? html`<div class="muted">${children}</div>` : null}</div>`;
}

/** An error to read and act on; `onRetry` adds a Retry button, `onDismiss` a close button. */
export function ErrorBanner({ error, onRetry, onDismiss }) {
  if (!error) return null;
  const message = typeof error === "string" ? error : error.message;
  return html`<div class="banner error" role="alert">
    <span>${message}</span>
    ${onRetry ? html`<button type="button" class="small" onClick=${onRetry}>Retry</button>` : null}
    ${onDismiss ? html`<button type="button" class="small ghost" aria-label="Dismiss" onClick=${onDismiss}>✕</button>` : null}
  </div>`;
}

export function Spinner({ label = "Loading…" }) {
  return html`<span class="spinner" role="status"><span class="spinner-dot" aria-hidden="true"></span><span class="sr-only">${label}</span></span>`;
}

/** Copies `text` to the clipboard; says "Copied" for a moment. */
export function CopyButton({ text, label = "Copy" }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return undefined;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  const copy = async () => {
    await copyText(typeof text === "function" ? text() : text);
    setDone(true);
  };
  return html`<button type="button" class="small ghost copy" onClick=${copy}>${done ? "Copied" : label}</button>`;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard API (plain http on another host): select-and-copy fallback.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** A modal dialog (native <dialog>): closes on Escape and on `onClose`. */
export function Modal({ title, children, onClose, actions }) {
  const ref = useRef();
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);
  return html`<dialog ref=${ref} class="modal" aria-label=${title} onCancel=${(e) => (e.preventDefault(), onClose?.())}>
    <h2 class="modal-title">${title}</h2>
    <div class="modal-body">${children}</div>
    ${actions ? html`<div class="modal-actions">${actions}</div>` : null}
  </dialog>`;
}

/** Asks a yes/no question in a modal; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = "OK", danger = false }) {
  return new Promise((resolve) => {
    const host = document.createElement("div");
    document.body.append(host);
    const done = (answer) => {
      render(null, host);
      host.remove();
      resolve(answer);
    };
    render(html`<${Modal} title=${title} onClose=${() => done(false)} actions=${html`
      <button type="button" class="ghost" onClick=${() => done(false)}>Cancel</button>
      <button type="button" class=${danger ? "danger" : "primary"} onClick=${() => done(true)} autofocus>${confirmLabel}</button>`}>
      <p>${message}</p>
    <//>`, host);
  });
}

/**
 * Untrusted Markdown (model answers, tool output) rendered sanitized (lib/markdown.js), with a Copy button on each
 * code block. Contract: the only component that sets innerHTML.
 */
export function Markdown({ text, class: cls = "" }) {
  const ref = useRef();
  const [, setHighlighted] = useState(0);
  const rendered = useMemo(() => renderMarkdown(text), [text, highlighterReady]);
  useEffect(() => {
    const loading = highlighterFor(text);
    if (!loading) return undefined;
    let live = true;
    loading.then(() => live && (highlighterReady++, setHighlighted(highlighterReady)), () => undefined);
    return () => (live = false);
  }, [text]);
  useLayoutEffect(() => {
    for (const pre of ref.current?.querySelectorAll("pre") ?? []) {
      if (pre.querySelector(":scope > button.copy-code")) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-code small ghost";
      button.textContent = "Copy";
      pre.prepend(button);
    }
  }, [rendered]);
  const onClick = async (e) => {
    const button = e.target.closest?.("button.copy-code");
    if (!button) return;
    await copyText(button.parentElement.querySelector("code")?.textContent ?? "");
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  };
  return html`<div ref=${ref} class=${`md ${cls}`} onClick=${onClick} dangerouslySetInnerHTML=${{ __html: rendered }}></div>`;
}

/**
 * A JSON value as a collapsible tree: objects and arrays fold (`<details>`), the first `openDepth` levels start open;
 * keys and values are text. `label` names the root for screen readers.
 */
export function JsonTree({ value, openDepth = 1, label = "value" }) {
  return html`<div class="json-tree" role="group" aria-label=${label}><${JsonNode} value=${value} depth=${0} openDepth=${openDepth} /></div>`;
}

function JsonNode({ name, value, depth, openDepth }) {
  const key = name === undefined ? null : html`<span class="json-key">${name}</span>: `;
  if (value === null || typeof value !== "object") {
    const type = value === null ? "null" : typeof value;
    return html`<div class="json-leaf">${key}<span class=${`json-${type}`}>${type === "string" ? JSON.stringify(value) : String(value)}</span></div>`;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return html`<div class="json-leaf">${key}<span class="json-punct">${open}${close}</span></div>`;
  // The root object's keys are listed directly: folding the whole value away helps nobody.
  if (depth === 0 && !Array.isArray(value)) {
    return entries.map(([k, v]) => html`<${JsonNode} key=${k} name=${k} value=${v} depth=${1} openDepth=${openDepth} />`);
  }
  const size = Array.isArray(value) ? `${entries.length} item${entries.length === 1 ? "" : "s"}` : `${entries.length} key${entries.length === 1 ? "" : "s"}`;
  return html`<details class="json-branch" open=${depth < openDepth}>
    <summary>${key}<span class="json-punct">${open}</span><span class="json-size">${size}</span><span class="json-punct json-close-inline">${close}</span></summary>
    <div class="json-children">
      ${entries.map(([k, v]) => html`<${JsonNode} key=${k} name=${Array.isArray(value) ? undefined : k} value=${v} depth=${depth + 1} openDepth=${openDepth} />`)}
    </div>
    <span class="json-punct">${close}</span>
  </details>`;
}

/**
 * A row of toggle buttons choosing one of `options` ([{ id, label }]); the chosen one has aria-pressed="true".
 * `label` names the group (shown before the buttons unless `hideLabel`).
 */
export function Segmented({ label, value, options, onChange, hideLabel = false }) {
  return html`<div class="segmented" role="group" aria-label=${label}>
    ${hideLabel ? null : html`<span class="segmented-label">${label}</span>`}
    ${options.map((o) => html`<button type="button" key=${o.id} class="small" aria-pressed=${o.id === value} onClick=${() => onChange(o.id)}>${o.label}</button>`)}
  </div>`;
}
