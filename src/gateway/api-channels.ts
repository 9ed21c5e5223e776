// /api/v1/channels and /api/v1/pairing: each channel account's state, health, last error and inbound counts since
// start; DM pairing requests and approved senders, and approve / deny / revoke — the same actions as
// `pincer pairing …` (routing/ingress/pairing-actions.ts), applied to the next DM without a restart.
import { Hono } from "hono";
import { z } from "zod";
import { redactSecrets } from "../config/redact.ts";
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import { approvePairing, denyPairing, revokeSender, type PairingActor } from "../routing/ingress/pairing-actions.ts";
import { notFound, parseJsonBody, parseQuery } from "./api-input.ts";
import type { ChannelsView, GatewayContext } from "./gateway-context.ts";

const channel = z.enum(CHANNEL_NAMES, { error: `must be one of ${CHANNEL_NAMES.join(", ")}` });
const account = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "must be an account id: 1-63 letters, digits, - and _");
const code = z.string().regex(/^\s*[A-Za-z0-9]{8}\s*$/, "must be the 8-character pairing code");
const senderId = z.string().min(1, "must not be empty").max(256, "must be at most 256 characters");

const pairingQuery = z.object({ channel: channel.optional() });
const approveBody = z.object({ channel, account: account.optional(), code, notify: z.boolean({ error: "must be true or false" }).optional() });
const denyBody = z.object({ channel, account: account.optional(), code });
const revokeBody = z.object({ channel, account, senderId });

/** One channel account as /api/v1/channels shows it. */
export interface ChannelAccountView {
  channel: string;
  account: string;
  enabled: boolean;
  /** `disabled` for an account switched off in the config; otherwise the adapter's state (`starting` until it runs). */
  state: string;
  /** epoch ms of the last state change; null before the adapter runs */
  since: number | null;
  identity: string | null;
  detail: string | null;
  lastError: { at: number; message: string } | null;
  /** Messages received since this process started, by what ingress did with them (`run`, `paired`, `command`, `context`, `dropped`, `duplicate`, `failed`). */
  inbound: { total: number; byOutcome: Record<string, number> };
  replies: { sent: number; failed: number };
}

export function createChannelRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const { ctx } = opts;
  const actor: PairingActor = { store: ctx.store, via: "the HTTP API", now: opts.now };
  const api = new Hono();

  api.get("/channels", (c) => c.json({ channels: listChannelAccounts(ctx) }));

  api.get("/pairing", async (c) => {
    const q = parseQuery(c, pairingQuery);
    if (!q.ok) return q.response;
    const filter = q.value.channel ? { channel: q.value.channel } : {};
    const [pending, approved] = await Promise.all([ctx.store.pairing.pending(filter), ctx.store.pairing.approved(filter)]);
    return c.json({ pending, approved });
  });

  api.post("/pairing/approve", async (c) => {
    const body = await parseJsonBody(c, approveBody);
    if (!body.ok) return body.response;
    const request = await approvePairing(actor, body.value);
    if (!request) return notFound(c, `pending pairing request with code ${body.value.code.trim().toUpperCase()} on ${where(body.value)}`);
    return c.json({ approved: request, notified: body.value.notify === true });
  });

  api.post("/pairing/deny", async (c) => {
    const body = await parseJsonBody(c, denyBody);
    if (!body.ok) return body.response;
    const request = await denyPairing(actor, body.value);
    if (!request) return notFound(c, `pending pairing request with code ${body.value.code.trim().toUpperCase()} on ${where(body.value)}`);
    return c.json({ denied: request });
  });

  api.post("/pairing/revoke", async (c) => {
    const body = await parseJsonBody(c, revokeBody);
    if (!body.ok) return body.response;
    if (!(await revokeSender(actor, body.value))) return notFound(c, `approved sender ${body.value.senderId} on ${body.value.channel}/${body.value.account}`);
    return c.json({ revoked: body.value });
  });

  return api;
}

const where = (b: { channel: string; account?: string | undefined }): string => (b.account ? `${b.channel}/${b.account}` : b.channel);

/** Every configured account (enabled or not) and every running one, in config order, with what the manager knows. */
export function listChannelAccounts(ctx: Pick<GatewayContext, "config" | "channels">): ChannelAccountView[] {
  const running = new Map((ctx.channels?.status() ?? []).map((s) => [`${s.channel}/${s.account}`, s]));
  const counts = countStats(ctx.channels?.stats);
  const out: ChannelAccountView[] = [];
  const seen = new Set<string>();
  const add = (name: string, id: string, enabled: boolean): void => {
    const key = `${name}/${id}`;
    if (seen.has(key)) return;
    seen.add(key);
    const status = running.get(key);
    const stats = counts.get(key);
    out.push({
      channel: name,
      account: id,
      enabled,
      state: status?.state ?? (enabled ? "starting" : "disabled"),
      since: status?.since ?? null,
      identity: status?.identity ?? null,
      detail: status?.detail ? redactSecrets(status.detail) : null,
      lastError: status?.lastError ? { at: status.lastError.at, message: redactSecrets(status.lastError.message) } : null,
      inbound: { total: stats?.inboundTotal ?? 0, byOutcome: stats?.inbound ?? {} },
      replies: { sent: stats?.sent ?? 0, failed: stats?.failed ?? 0 },
    });
  };
  for (const [name, section] of Object.entries(ctx.config.channels)) {
    for (const [id, cfg] of Object.entries((section as { accounts?: Record<string, { enabled: boolean }> } | undefined)?.accounts ?? {})) add(name, id, cfg.enabled);
  }
  for (const s of running.values()) add(s.channel, s.account, true);
  return out;
}

interface AccountCounts {
  inbound: Record<string, number>;
  inboundTotal: number;
  sent: number;
  failed: number;
}

/** The manager's `<channel>/<account>/<what>` counters, per account. */
function countStats(stats: ChannelsView["stats"] | undefined): Map<string, AccountCounts> {
  const out = new Map<string, AccountCounts>();
  const entry = (key: string): AccountCounts => {
    let e = out.get(key);
    if (!e) out.set(key, (e = { inbound: Object.create(null) as Record<string, number>, inboundTotal: 0, sent: 0, failed: 0 }));
    return e;
  };
  for (const [key, n] of stats?.inbound ?? []) {
    const cut = key.lastIndexOf("/");
    const e = entry(key.slice(0, cut));
    const outcome = key.slice(cut + 1);
    e.inbound[outcome] = (e.inbound[outcome] ?? 0) + n;
    e.inboundTotal += n;
  }
  for (const [key, n] of stats?.replies ?? []) {
    const cut = key.lastIndexOf("/");
    const e = entry(key.slice(0, cut));
    if (key.slice(cut + 1) === "sent") e.sent += n;
    else e.failed += n;
  }
  return out;
}
