// The Channels page: each channel account's state and health, last error and message counts; DM pairing requests
// to approve (optionally telling the sender) or deny; approved senders to revoke. Data: GET /channels, GET /pairing,
// POST /pairing/approve|deny|revoke. Refreshes every 10 s while the tab is visible.
import { html, loadStylesheet, useEffect, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { Badge, EmptyState, ErrorBanner, Spinner, StatusPill, Table, confirmDialog } from "../lib/components.js";
import { formatRelative, formatTime } from "../lib/format.js";

loadStylesheet("/ui/pages/channels.css");

const REFRESH_MS = 10_000;

/** What ingress did with inbound messages, in words (api: inbound.byOutcome keys). */
const OUTCOMES = { run: "to the agent", command: "commands", paired: "pairing codes", context: "kept as context", dropped: "refused or ignored", duplicate: "duplicates", failed: "failed", malformed: "unreadable" };
const OUTCOME_TONES = { failed: "error", malformed: "error", dropped: "warn" };

export default function Page({ route, navigate }) {
  const channel = route.query.get("channel") ?? "";
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState(undefined); // { tone, text } after an action

  useEffect(() => {
    let live = true;
    const query = channel ? `?channel=${encodeURIComponent(channel)}` : "";
    Promise.all([api.get("/channels"), api.get(`/pairing${query}`)]).then(
      ([channels, pairing]) => {
        if (!live) return;
        setData({ accounts: channels.channels, pending: pairing.pending, approved: pairing.approved, at: Date.now() });
        setError(undefined);
      },
      (err) => live && setError(err),
    );
    return () => (live = false);
  }, [channel, tick]);

  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === "visible" && setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const refresh = () => setTick((n) => n + 1);
  const act = async (fn) => {
    try {
      setNotice(await fn());
    } catch (err) {
      setNotice({ tone: "error", text: err.message });
    }
    refresh();
  };

  if (!data) {
    return html`<section class="page channels-page">
      ${error ? html`<${ErrorBanner} error=${error} onRetry=${refresh} />` : html`<div class="page-loading"><${Spinner} label="Loading channels…" /></div>`}
    </section>`;
  }
  const names = [...new Set(data.accounts.map((a) => a.channel))];
  const accounts = channel ? data.accounts.filter((a) => a.channel === channel) : data.accounts;
  return html`
    <section class="page channels-page">
      <div class="channels-toolbar">
        <label class="inline-field">Channel
          <select value=${channel} onChange=${(e) => navigate(e.currentTarget.value ? `channels?channel=${encodeURIComponent(e.currentTarget.value)}` : "channels", { replace: true })}>
            <option value="">All channels</option>
            ${[...new Set([...names, ...(channel && !names.includes(channel) ? [channel] : [])])].map((n) => html`<option key=${n} value=${n}>${n}</option>`)}
          </select>
        </label>
        <span class="muted small-text">Updated ${formatRelative(data.at)}</span>
        <button type="button" class="small" onClick=${refresh}>Refresh</button>
      </div>
      ${error ? html`<${ErrorBanner} error=${`Could not refresh: ${error.message}`} onRetry=${refresh} />` : null}
      ${notice ? html`<div class=${`banner ${notice.tone}`} role="status"><span>${notice.text}</span>
        <button type="button" class="small ghost" aria-label="Dismiss" onClick=${() => setNotice(undefined)}>✕</button></div>` : null}

      <h2 class="section-title">Accounts</h2>
      ${accounts.length === 0
        ? html`<${EmptyState} title=${channel ? `No ${channel} accounts.` : "No channel accounts yet."}>
            Add one with <code>pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN</code> and restart the gateway.<//>`
        : html`<div class="account-grid">${accounts.map((a) => html`<${AccountCard} key=${`${a.channel}/${a.account}`} account=${a} />`)}</div>`}

      <${PairingRequests} pending=${data.pending} act=${act} />
      <${ApprovedSenders} approved=${data.approved} act=${act} />
    </section>`;
}

function AccountCard({ account: a }) {
  const outcomes = Object.entries(a.inbound.byOutcome ?? {}).filter(([, n]) => n > 0);
  return html`
    <article class="card account" data-account=${`${a.channel}/${a.account}`}>
      <header class="account-head">
        <h3><span class="account-channel">${a.channel}</span> / ${a.account}</h3>
        <${StatusPill} status=${a.state} label=${a.state} />
      </header>
      ${a.identity ? html`<p class="account-identity">${a.identity}</p>` : null}
      <p class="muted small-text">${a.since ? html`${a.state} since <time title=${formatTime(a.since)}>${formatRelative(a.since)}</time>` : a.enabled ? "not started yet" : "switched off in pincer.yaml"}</p>
      ${a.detail ? html`<p class="account-detail">${a.detail}</p>` : null}
      ${a.lastError ? html`<div class="account-error" role="note"><strong>Last error</strong> <span class="muted">${formatRelative(a.lastError.at)}</span><p>${a.lastError.message}</p></div>` : null}
      <dl class="account-stats">
        <div><dt>Inbound</dt><dd data-stat="inbound">${a.inbound.total}</dd></div>
        <div><dt>Replies sent</dt><dd data-stat="sent">${a.replies.sent}</dd></div>
        <div><dt>Replies failed</dt><dd data-stat="failed" class=${a.replies.failed > 0 ? "error" : ""}>${a.replies.failed}</dd></div>
      </dl>
      ${outcomes.length > 0
        ? html`<p class="account-outcomes">${outcomes.map(([k, n]) => html`<${Badge} key=${k} tone=${OUTCOME_TONES[k] ?? "neutral"}>${OUTCOMES[k] ?? k}: ${n}<//> `)}</p>`
        : null}
    </article>`;
}

function PairingRequests({ pending, act }) {
  const [notify, setNotify] = useState(true);
  const [busy, setBusy] = useState(""); // code being answered
  const where = (r) => `${r.channel}/${r.account}`;
  const who = (r) => (r.senderName ? `${r.senderName} (${r.senderId})` : r.senderId);
  const answer = (r, approve) => async () => {
    if (!approve && !(await confirmDialog({ title: "Deny this request?", message: `${who(r)} on ${where(r)} will not get access; they can ask again with a new message.`, confirmLabel: "Deny", danger: true }))) return;
    setBusy(r.code);
    await act(async () => {
      const body = { channel: r.channel, account: r.account, code: r.code };
      if (approve) {
        const res = await api.post("/pairing/approve", { ...body, notify });
        return { tone: "info", text: `Approved ${who(r)} on ${where(r)}.${res.notified ? " They were told." : ""}` };
      }
      await api.post("/pairing/deny", body);
      return { tone: "info", text: `Denied ${who(r)} on ${where(r)}.` };
    });
    setBusy("");
  };
  const columns = [
    { key: "channel", label: "Channel", value: where, render: where },
    { key: "sender", label: "Sender", value: who, render: (r) => html`${r.senderName ?? ""} <span class="muted">${r.senderId}</span>` },
    { key: "code", label: "Code", render: (r) => html`<code class="pairing-code">${r.code}</code>` },
    { key: "createdAt", label: "Asked", render: (r) => html`<time title=${formatTime(r.createdAt)}>${formatRelative(r.createdAt)}</time>` },
    { key: "expiresAt", label: "Expires", render: (r) => html`<time title=${formatTime(r.expiresAt)}>${formatRelative(r.expiresAt)}</time>` },
    {
      key: "actions", label: "Actions", sortable: false,
      render: (r) => html`<span class="row-actions">
        <button type="button" class="small primary" disabled=${busy === r.code} onClick=${answer(r, true)} aria-label=${`Approve ${who(r)}`}>Approve</button>
        <button type="button" class="small" disabled=${busy === r.code} onClick=${answer(r, false)} aria-label=${`Deny ${who(r)}`}>Deny</button>
      </span>`,
    },
  ];
  return html`
    <div class="section-head">
      <h2 class="section-title">Pairing requests</h2>
      <label class="check"><input type="checkbox" checked=${notify} onChange=${(e) => setNotify(e.currentTarget.checked)} /> Tell the sender when approved</label>
    </div>
    <p class="muted small-text">Someone not yet allowed who sends the bot a direct message gets a pairing code; approve it here to let them talk to the agent.</p>
    <div class="pairing-pending">
      <${Table} caption="Pending pairing requests" columns=${columns} rows=${pending} rowKey=${(r) => `${where(r)}/${r.code}`} empty="No pending pairing requests." />
    </div>`;
}

function ApprovedSenders({ approved, act }) {
  const where = (r) => `${r.channel}/${r.account}`;
  const who = (r) => (r.senderName ? `${r.senderName} (${r.senderId})` : r.senderId);
  const revoke = (r) => async () => {
    if (!(await confirmDialog({ title: "Revoke access?", message: `${who(r)} on ${where(r)} will need a new pairing code to talk to the agent.`, confirmLabel: "Revoke", danger: true }))) return;
    await act(async () => {
      await api.post("/pairing/revoke", { channel: r.channel, account: r.account, senderId: r.senderId });
      return { tone: "info", text: `Revoked ${who(r)} on ${where(r)}.` };
    });
  };
  const columns = [
    { key: "channel", label: "Channel", value: where, render: where },
    { key: "sender", label: "Sender", value: who, render: (r) => html`${r.senderName ?? ""} <span class="muted">${r.senderId}</span>` },
    { key: "approvedAt", label: "Approved", render: (r) => html`<time title=${formatTime(r.approvedAt)}>${formatRelative(r.approvedAt)}</time>` },
    { key: "actions", label: "Actions", sortable: false, render: (r) => html`<button type="button" class="small" onClick=${revoke(r)} aria-label=${`Revoke ${who(r)}`}>Revoke</button>` },
  ];
  return html`
    <h2 class="section-title">Approved senders</h2>
    <p class="muted small-text">Senders let in by pairing. Those listed in a channel's <code>allow_from</code> in pincer.yaml are not shown.</p>
    <div class="pairing-approved">
      <${Table} caption="Approved senders" columns=${columns} rows=${approved} rowKey=${(r) => `${where(r)}/${r.senderId}`} empty="No senders approved by pairing yet." />
    </div>`;
}
