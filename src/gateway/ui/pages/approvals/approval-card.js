// One tool call waiting for approval, as the Chat page and the Approvals page show it: tool, the (redacted) arguments,
// why it waits (with the untrusted sources), session, age and time left, and Allow once / Always / Deny. Everything
// shown comes from the model or outside content: rendered as text only.
import { html, useEffect, useState } from "../../lib/html.js";
import { api, seg } from "../../lib/api.js";
import { formatRelative } from "../../lib/format.js";

/** Why the call waits, in words. */
export function reasonText(request) {
  if (request.reason === "ask") return `policy.tools.ask lists ${request.tool}`;
  if (request.reason === "exec") return "the binary is not in policy.exec.safe_bins (exec level ask)";
  return "the run holds untrusted content";
}

/** "4 min", "45 s"; "expired" once past. */
export function timeLeft(until, now = Date.now()) {
  const s = Math.round((until - now) / 1000);
  if (s <= 0) return "expired";
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Re-renders every `ms` for countdowns (no network). */
export function useTick(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Answers a request as the operator; resolves with the answered request, or throws ApiError (404, 409). */
export async function answerApproval(id, decision, always = false) {
  const res = await api.post(`/approvals/${seg(id)}`, { decision, ...(always ? { always: true } : {}) });
  return res.request;
}

const STATUS_TEXT = { approved: "Approved", denied: "Denied", expired: "Expired (denied)" };

/**
 * `request`: an approval request (docs/api.md). `onAnswered(request)` after an answer; `showSession` adds the session.
 * Pending: the three buttons; answered: who answered and how.
 */
export function ApprovalCard({ request, onAnswered, showSession = false }) {
  const now = useTick(1000);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const pending = request.status === "pending";
  const answer = async (decision, always) => {
    setBusy(true);
    setError("");
    try {
      onAnswered?.(await answerApproval(request.id, decision, always));
    } catch (err) {
      setError(err.message);
      if (err.status === 409 && err.data?.request) onAnswered?.(err.data.request);
    } finally {
      setBusy(false);
    }
  };
  const sources = request.taintSources ?? [];
  return html`<article class="approval-card" data-status=${request.status} data-approval=${request.id} aria-label=${`Approval ${request.id}: ${request.tool}`}>
    <header>
      <strong class="approval-tool">${request.tool}</strong>
      <span class="muted">${request.id}</span>
      <span class="approval-when muted">${formatRelative(request.createdAt, now)}${pending ? html` · expires in <span class="approval-left">${timeLeft(request.expiresAt, now)}</span>` : ""}</span>
    </header>
    <pre class="approval-summary">${request.summary}</pre>
    <p class="approval-why">Waits because ${reasonText(request)}.</p>
    ${sources.length > 0
      ? html`<ul class="approval-sources" aria-label="Untrusted content">${sources.map((s, i) => html`<li key=${i}><span class="badge neutral">${s.kind}</span> ${s.label}</li>`)}</ul>`
      : null}
    ${showSession ? html`<p class="approval-session muted">Session <a href=${`#/chat/${encodeURIComponent(request.sessionKey)}`}>${request.sessionKey}</a></p>` : null}
    ${pending
      ? html`<div class="approval-actions">
          <button type="button" class="primary small" disabled=${busy} onClick=${() => answer("approve", false)}>Allow once</button>
          <button type="button" class="small" disabled=${busy} onClick=${() => answer("approve", true)}
            title=${`Also allow ${request.tool}${request.subject ? ` with ${request.subject}` : ""} from now on`}>Always</button>
          <button type="button" class="danger small" disabled=${busy} onClick=${() => answer("deny", false)}>Deny</button>
        </div>`
      : html`<p class="approval-answer" role="status">${STATUS_TEXT[request.status] ?? request.status}${request.answer === "always" ? " (always)" : ""}${request.answeredBy ? ` by ${request.answeredBy}` : ""}</p>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </article>`;
}
