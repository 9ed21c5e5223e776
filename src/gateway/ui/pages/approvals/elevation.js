// Elevated mode in the Control UI: the banner with the time left and End, and the Elevate… dialog (minutes and reason,
// then the confirmation code typed back). Through /api/v1/sessions/<key>/elevate; the gateway decides and audits.
import { html, useState } from "../../lib/html.js";
import { api, seg } from "../../lib/api.js";
import { Modal } from "../../lib/components.js";
import { timeLeft, useTick } from "./approval-card.js";

/** The session's elevation and policy (GET …/elevation); `{ elevation: null, policy: undefined }` when unavailable. */
export async function loadElevation(sessionKey) {
  try {
    return await api.get(`/sessions/${seg(sessionKey)}/elevation`);
  } catch {
    return { elevation: null, policy: undefined }; // a new conversation (404) or no approval service (503)
  }
}

export function ElevationBanner({ elevation, sessionKey, onEnded }) {
  const now = useTick(1000);
  const [error, setError] = useState("");
  if (!elevation || elevation.status !== "active") return null;
  const end = async () => {
    try {
      await api.del(`/sessions/${seg(sessionKey)}/elevate`);
      onEnded?.();
    } catch (err) {
      setError(err.message);
    }
  };
  const left = timeLeft(elevation.expiresAt, now);
  return html`<div class="banner warn elevation-banner" role="status">
    <span><strong>Elevated mode</strong>: ${left === "expired" ? "ending" : `${left} left`}${elevation.reason ? ` · ${elevation.reason}` : ""}. Exec runs on the host.${error ? ` ${error}` : ""}</span>
    <button type="button" class="small" onClick=${end}>End</button>
  </div>`;
}

/** The Elevate… dialog: step 1 asks for a code, step 2 confirms it. `onDone(elevation)` once on; `onClose` otherwise. */
export function ElevateDialog({ sessionKey, policy, onDone, onClose }) {
  const [minutes, setMinutes] = useState(String(policy?.default_minutes ?? 15));
  const [reason, setReason] = useState("");
  const [offer, setOffer] = useState(undefined); // { code, minutes }
  const [typed, setTyped] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (fn) => {
    setBusy(true);
    setError("");
    try {
      await fn();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const ask = (e) => {
    e.preventDefault();
    void run(async () => setOffer(await api.post(`/sessions/${seg(sessionKey)}/elevate`, { minutes: Number(minutes), ...(reason.trim() ? { reason: reason.trim() } : {}) })));
  };
  const confirm = (e) => {
    e.preventDefault();
    void run(async () => onDone((await api.post(`/sessions/${seg(sessionKey)}/elevate/confirm`, { code: typed.trim() })).elevation));
  };
  const allow = policy?.allow?.length ? ` These tools are allowed too: ${policy.allow.join(", ")}.` : "";
  return html`<${Modal} title="Elevated mode" onClose=${onClose}>
    <p>While on, exec runs on the host instead of the sandbox.${allow} Blocked binaries and deny rules still apply. Every call is audited.</p>
    ${offer === undefined
      ? html`<form class="elevate-form" onSubmit=${ask}>
          <label for="elevate-minutes">Minutes (at most ${policy?.max_minutes ?? 120})</label>
          <input id="elevate-minutes" type="number" min="1" max=${policy?.max_minutes ?? 120} required value=${minutes} onInput=${(e) => setMinutes(e.currentTarget.value)} />
          <label for="elevate-reason">Reason</label>
          <input id="elevate-reason" type="text" maxlength="200" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
          <div class="modal-actions">
            <button type="button" class="ghost" onClick=${onClose}>Cancel</button>
            <button type="submit" class="primary" disabled=${busy}>Get code</button>
          </div>
        </form>`
      : html`<form class="elevate-form" onSubmit=${confirm}>
          <p>Type <code class="elevate-code">${offer.code}</code> to turn elevated mode on for ${offer.minutes} min.</p>
          <label for="elevate-confirm">Confirmation code</label>
          <input id="elevate-confirm" type="text" required autocomplete="off" spellcheck="false" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} />
          <div class="modal-actions">
            <button type="button" class="ghost" onClick=${onClose}>Cancel</button>
            <button type="submit" class="danger" disabled=${busy}>Turn on</button>
          </div>
        </form>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  <//>`;
}
