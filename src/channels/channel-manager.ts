// Runs the configured channel accounts in this process: starts each adapter (lazily loaded) with reconnects, feeds
// inbound messages to ingress, shows typing while runs are active, delivers finished runs' replies from the
// instance's outbound queue (`outbound.<channel>.<account>`), sends queued notices, and reports health.
import type { Logger } from "pino";
import type { Bus, Consumer, WorkMessage } from "../bus/bus.ts";
import { keepWorking } from "../bus/keep-working.ts";
import { CHANNEL_NAMES, type ChannelAccountConfig, type ChannelName } from "../core/channel-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import type { Run } from "../core/domain.ts";
import { ChannelError } from "../core/errors.ts";
import type { InboundMessage, ReplyRoute } from "../core/inbound.ts";
import type { Transcriber } from "../models/transcription.ts";
import { replyJobSchema, TERMINAL_STATUSES } from "../routing/cluster-messages.ts";
import { INTERRUPTED_NOTICE, type Dispatcher, type Submitted } from "../routing/dispatcher.ts";
import { createIngress, type Ingress, type IngressOutcome } from "../routing/ingress/ingress.ts";
import type { ApprovalService } from "../routing/approval-service.ts";
import type { Store } from "../store/store.ts";
import { loadChannelFactory, type ChannelFactory } from "./channel-registry.ts";
import { createMediaStager } from "./inbound-media.ts";
import { backoffDelay, sleep } from "./kit/backoff.ts";
import { canShowTyping, hasWebhook, type Channel, type ChannelHealth } from "./kit/channel.ts";
import { createReplySender } from "./reply-sender.ts";
import { isQuietHeartbeat, outboundTopic, queueReply } from "./reply-queue.ts";
import { writeStatusFile } from "./channel-status-file.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface ChannelManagerOptions {
  config: () => PincerConfig;
  store: Store;
  dispatcher: Dispatcher;
  /** Carries finished runs' replies to this process (in-process bus when embedded, NATS in a cluster). */
  bus: Bus;
  log: Logger;
  stateDir: string;
  now: () => number;
  workspaceFor: (agentId: string) => string;
  transcribe: Transcriber | undefined;
  knownModels: () => string[];
  isUsableModel: (ref: string) => boolean;
  /** The approval service chat commands (/approve, /deny, /elevate) answer through; absent: they say it is unavailable. */
  approvals?: () => ApprovalService | undefined;
  fetch?: typeof fetch;
  /** Configured accounts that cannot start (their config is incomplete here, e.g. an unset `${env:X}`): reported as
   * `failed` with `detail`, never started. */
  unavailable?: ReadonlyArray<{ channel: string; account: string; detail: string }>;
  /** Replace adapter factories (tests, e.g. WhatsApp on a fake socket). */
  factories?: Partial<{ [N in ChannelName]: ChannelFactory<N> }>;
  /** How often queued notices are looked for, ms. Default 2000. */
  noticePollMs?: number;
  /** Heartbeat of a reply being delivered, ms (well under bus.ack_wait_ms). Default 500. */
  replyHeartbeatMs?: number;
}

export interface AccountStatus extends ChannelHealth {
  channel: string;
  account: string;
  /** The last problem seen since this process started (a failed start, a reconnect or failure with its detail). */
  lastError?: { at: number; message: string };
}

/** A message the owner sends first (`pincer message send`, POST /api/v1/messages), not a reply to a run. */
export interface ProactiveMessage {
  channel: string;
  account: string;
  /** The chat id on the platform (a DM's user or chat id). */
  to: string;
  text: string;
  /** Caller-chosen key: a retry with the same key sends nothing already sent. */
  idempotencyKey: string;
}

export type ProactiveOutcome =
  | { status: "sent"; messages: number }
  /** Every message of this key had been sent before. */
  | { status: "duplicate" }
  /** Nothing to send once reply directives are read (empty, or `NO_REPLY`). */
  | { status: "empty" }
  /** The platform refused it for good (e.g. unknown chat). */
  | { status: "failed"; error: string }
  /** The account is not connected in this process; `state` is its channel state or `not running`. */
  | { status: "unavailable"; state: string; detail?: string };

export interface ChannelStats {
  /** `<channel>/<account>/<outcome>` → count */
  inbound: Map<string, number>;
  /** `<channel>/<account>/<sent|failed>` → count of replies */
  replies: Map<string, number>;
}

export interface ChannelManager {
  /** Starts every enabled account; an account that fails to start is reported, the others run. */
  start(): Promise<void>;
  /** Disconnects every account and stops delivering; waits for messages being processed. */
  stop(): Promise<void>;
  /** The handler of a webhook path (`/channels/<channel>/<account>/…`), when an account in webhook mode owns it. */
  webhook(path: string): ((req: Request) => Promise<Response>) | undefined;
  status(): AccountStatus[];
  stats: ChannelStats;
  ingress: Ingress;
  /** Queues the replies of runs that finished elsewhere or before a restart (e.g. interrupted runs' notices). */
  queueReplies(runs: Run[]): Promise<void>;
  /** Embedded runtime after a restart: queues replies of recently finished channel runs that were never sent
   * (the in-process queue died with the process). Returns how many. */
  recoverReplies(): Promise<number>;
  /** Sends a proactive message through the reply sender (chunking, retries, one delivery per key and chunk).
   * Contract: throws a retryable ChannelError when the platform stays unavailable; a retry with the same key then
   * sends only what is missing. */
  sendMessage(msg: ProactiveMessage): Promise<ProactiveOutcome>;
}

const TYPING_EVERY_MS = 4_000;
const TYPING_MAX_MS = 10 * 60_000;
/** Replies of runs that finished this long before a restart are not sent any more. */
const RECOVER_WINDOW_MS = 24 * 60 * 60_000;
/**
 * Turns of the event loop left to pending I/O before each adapter (and its SDK) is imported, which is synchronous work
 * of tens of ms: a connection waiting to be accepted, its request read, and the file-system check of /readyz take one
 * turn each, so a request made as the gateway starts listening is answered first.
 */
const IO_TURNS_BEFORE_IMPORT = 3;

export function createChannelManager(opts: ChannelManagerOptions): ChannelManager {
  const log = opts.log.child({ component: "channels" });
  const channels = new Map<string, { channel: Channel; name: ChannelName }>(); // `<channel>/<account>` →
  const webhooks = new Map<string, (req: Request) => Promise<Response>>();
  const consumers: Consumer[] = [];
  const timers: NodeJS.Timeout[] = [];
  const stopping = new AbortController();
  const stats: ChannelStats = { inbound: new Map(), replies: new Map() };
  const count = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);
  const sender = createReplySender({ store: opts.store, log });
  const delivering = new Set<string>(); // run ids whose reply this process is sending
  const lastErrors = new Map<string, { at: number; message: string }>(); // `<channel>/<account>` →
  const noteError = (key: string, at: number, message: string): void => {
    const last = lastErrors.get(key);
    if (last?.at !== at || last.message !== message) lastErrors.set(key, { at, message });
  };
  /** Each account's health; a reconnecting or failed state's detail is remembered as its last error. */
  const statusOf = (channel: Channel): AccountStatus => {
    const health = channel.health();
    const key = `${channel.channel}/${channel.account}`;
    if ((health.state === "failed" || health.state === "reconnecting") && health.detail) noteError(key, health.since, health.detail);
    const lastError = lastErrors.get(key);
    return { channel: channel.channel, account: channel.account, ...health, ...(lastError ? { lastError } : {}) };
  };
  const createdAt = opts.now();
  const unavailable = (opts.unavailable ?? []).map((u): AccountStatus => ({
    channel: u.channel, account: u.account, state: "failed", since: createdAt, detail: u.detail, lastError: { at: createdAt, message: u.detail },
  }));
  const statuses = (): AccountStatus[] => [...unavailable, ...[...channels.values()].map(({ channel }) => statusOf(channel))];

  const accountConfig = (channel: string, account: string): ChannelAccountConfig | undefined => {
    const section = ownEntry(opts.config().channels as Record<string, { accounts: Record<string, ChannelAccountConfig> } | undefined>, channel);
    const cfg = ownEntry(section?.accounts, account);
    return cfg && cfg.enabled ? cfg : undefined;
  };
  const find = (channel: string, account: string): Channel | undefined => channels.get(`${channel}/${account}`)?.channel;

  const stageMedia = createMediaStager({ workspaceFor: opts.workspaceFor, transcribe: opts.transcribe, log, now: opts.now });

  const ingress = createIngress({
    store: opts.store,
    dispatcher: opts.dispatcher,
    config: opts.config,
    now: opts.now,
    log,
    accountConfig,
    botUsername: (channel, account) => find(channel, account)?.health().identity,
    knownModels: opts.knownModels,
    isUsableModel: opts.isUsableModel,
    ...(opts.approvals ? { approvals: opts.approvals } : {}),
    async reply(route, text, key) {
      const channel = find(route.channel, route.account);
      const account = accountConfig(route.channel, route.account);
      if (!channel || !account) return;
      await sender.send({ channel, account, route, text, key });
    },
    stageMedia: async (msg, agentId, account) => {
      const channel = find(msg.channel, msg.account);
      return channel ? stageMedia(channel, msg, agentId, account) : [];
    },
    onTurn: (submitted, route) => showTyping(submitted, route),
    onOutcome: (msg: InboundMessage, outcome: IngressOutcome) => count(stats.inbound, `${msg.channel}/${msg.account}/${outcome}`),
  });

  function showTyping(submitted: Submitted, route: ReplyRoute): void {
    const channel = find(route.channel, route.account);
    const account = accountConfig(route.channel, route.account);
    if (!channel || !account || account.typing_mode === "never" || !canShowTyping(channel)) return;
    let done = false;
    const started = opts.now();
    const tick = (): void => {
      if (done || stopping.signal.aborted || opts.now() - started > TYPING_MAX_MS) return clearInterval(timer);
      channel.sendTyping(route).catch((err: unknown) => log.debug({ err, channel: route.channel }, "typing indicator failed"));
    };
    const timer = setInterval(tick, TYPING_EVERY_MS);
    timer.unref();
    tick();
    void submitted.result.finally(() => {
      done = true;
      clearInterval(timer);
    });
  }

  /** The text a finished run sends back to its chat. */
  function replyText(run: Run): string {
    if (isQuietHeartbeat(run)) return "";
    if (run.status === "succeeded") return run.reply ?? "";
    if (run.status === "interrupted") return INTERRUPTED_NOTICE;
    // A spent budget is not a fault: its message says which budget, its limit and when it resets.
    if (run.status === "failed" && run.errorCode === "budget_exceeded" && run.error) return `⛔ ${run.error}`;
    if (run.status === "failed") return `⚠️ I couldn't answer that: ${run.error ?? run.errorCode ?? "the run failed"}`;
    return ""; // cancelled: /stop already answered
  }

  async function deliverReply(msg: WorkMessage<unknown>): Promise<void> {
    const job = replyJobSchema.safeParse(msg.data);
    if (!job.success) return msg.term(`malformed reply job: ${job.error.issues[0]?.message ?? "invalid"}`);
    const run = await opts.store.runs.get(job.data.runId);
    if (!run?.origin) return msg.term(`run ${job.data.runId} is missing or has no origin`);
    if (!TERMINAL_STATUSES.has(run.status)) return msg.nak(1_000);
    const route = run.origin;
    const channel = find(route.channel, route.account);
    const account = accountConfig(route.channel, route.account);
    if (!channel || !account) return msg.term(`channel account ${route.channel}/${route.account} is not running here`);
    // One delivery per run at a time in this process: a redelivered job waits for the one in flight.
    if (delivering.has(run.id)) return msg.nak(2_000);
    delivering.add(run.id);
    const stopBeat = keepWorking(msg, opts.replyHeartbeatMs ?? 500);
    try {
      const result = await sender.send({ channel, account, route, text: replyText(run), key: run.id, workspace: opts.workspaceFor(run.agentId) });
      if (result.status === "failed") {
        count(stats.replies, `${route.channel}/${route.account}/failed`);
        await recordFailure(run, result.error);
      } else if (result.status === "sent") count(stats.replies, `${route.channel}/${route.account}/sent`);
      await msg.ack();
    } catch (err) {
      // Still failing after retries (platform down): the bus redelivers later; sent chunks are not sent again.
      log.warn({ runId: run.id, code: err instanceof ChannelError ? err.code : undefined }, "reply not delivered yet; will retry");
      msg.nak();
    } finally {
      stopBeat();
      delivering.delete(run.id);
    }
  }

  async function recordFailure(run: Run, error: string): Promise<void> {
    await opts.store.runs.update(run.id, { errorCode: "delivery_failed", error });
    await opts.store.audit.write({
      at: opts.now(), kind: "reply.failed", decision: "info", runId: run.id, sessionKey: run.sessionKey, tool: undefined,
      reason: error, detail: { channel: run.origin?.channel, account: run.origin?.account },
    });
    log.error({ runId: run.id, channel: run.origin?.channel, error }, "reply could not be delivered");
  }

  async function sendNotices(name: string, account: string): Promise<void> {
    const channel = find(name, account);
    const cfg = accountConfig(name, account);
    if (!channel || !cfg || channel.health().state !== "connected") return;
    for (const notice of await opts.store.notices.pending(name, account)) {
      const route: ReplyRoute = { channel: name, account, chatKind: "dm", chatId: notice.chatId };
      await sender.send({ channel, account: cfg, route, text: notice.text, key: `notice:${notice.id}` });
      await opts.store.notices.markSent(notice.id);
    }
  }

  /** A payload an adapter could not map: counted as inbound outcome `malformed` and logged, then acknowledged by the
   * adapter, so the platform does not send it again. */
  function reportMalformed(where: { channel: string; account: string }, problem: string): void {
    count(stats.inbound, `${where.channel}/${where.account}/malformed`);
    log.warn({ ...where, problem }, "malformed inbound payload skipped");
  }

  /** Starts one account. Credentials refused → reported, not retried; a transient failure → retried with backoff in
   * the background (the returned promise settles after the first attempt either way). */
  async function startAccount(channel: Channel): Promise<void> {
    const where = { channel: channel.channel, account: channel.account };
    const attempt = async (): Promise<"done" | "retry"> => {
      try {
        await channel.start({ deliver: (msg) => ingress.deliver(msg), reportMalformed: (problem) => reportMalformed(where, problem) });
        log.info({ ...where, identity: channel.health().identity }, "channel connected");
        return "done";
      } catch (err) {
        const code = err instanceof ChannelError ? err.code : undefined;
        noteError(`${where.channel}/${where.account}`, opts.now(), err instanceof Error ? err.message : String(err));
        if (err instanceof ChannelError && err.retryable) return "retry";
        log.error({ ...where, code }, `channel not started: ${err instanceof Error ? err.message : String(err)}`);
        return "done";
      }
    };
    if ((await attempt()) === "done") return;
    void (async () => {
      for (let n = 1; !stopping.signal.aborted; n++) {
        const wait = backoffDelay(n, { baseMs: 2_000, maxMs: 60_000 });
        log.warn({ ...where, waitMs: wait }, "channel start failed; retrying");
        await sleep(wait, stopping.signal).catch(() => undefined);
        if (stopping.signal.aborted || (await attempt()) === "done") return;
      }
    })();
  }

  return {
    ingress,
    stats,
    async start() {
      const config = opts.config();
      for (const name of CHANNEL_NAMES) {
        const accounts = (config.channels[name]?.accounts ?? {}) as Record<string, ChannelAccountConfig>;
        for (const [account, cfg] of Object.entries(accounts)) {
          if (!cfg.enabled) continue;
          const factory = (opts.factories?.[name] ?? (await loadAfterPendingIo(name))) as ChannelFactory<ChannelName>;
          const channel = factory({
            account, config: cfg as never, log: opts.log, stateDir: opts.stateDir, now: opts.now, ...(opts.fetch ? { fetch: opts.fetch } : {}),
          });
          channels.set(`${name}/${account}`, { channel, name });
          if (hasWebhook(channel)) webhooks.set(channel.webhookPath, (req) => channel.handleWebhook(req));
          consumers.push(opts.bus.consume(outboundTopic(name, account), "channel", deliverReply, { concurrency: 4 }));
          const poll = setInterval(() => {
            sendNotices(name, account).catch((err: unknown) => log.warn({ err, channel: name, account }, "sending notices failed"));
          }, opts.noticePollMs ?? 2_000);
          poll.unref();
          timers.push(poll);
        }
      }
      // The detail (file:line key path: …) is shown by the gateway's status line and `pincer channels status`.
      for (const u of unavailable) log.error({ channel: u.channel, account: u.account }, "channel not started: its config is incomplete in this environment");
      await Promise.all([...channels.values()].map(({ channel }) => startAccount(channel)));
      if (channels.size > 0 || unavailable.length > 0) {
        let written: string | undefined;
        const report = (): void => {
          const status = { pid: process.pid, updatedAt: opts.now(), accounts: statuses() };
          writeStatusFile(opts.stateDir, status, written).then((k) => (written = k), (err: unknown) => log.debug({ err }, "status file not written"));
        };
        report();
        const t = setInterval(report, 2_000);
        t.unref();
        timers.push(t);
      }
    },
    async stop() {
      stopping.abort();
      for (const t of timers) clearInterval(t);
      await Promise.all(consumers.map((c) => c.stop()));
      await Promise.all([...channels.values()].map(({ channel }) => channel.stop().catch((err: unknown) => log.warn({ err }, "channel stop failed"))));
      await ingress.idle();
    },
    webhook: (path) => webhooks.get(path),
    status: statuses,
    async queueReplies(runs) {
      for (const run of runs) await queueReply(opts.bus, run);
    },
    async sendMessage(msg) {
      const channel = find(msg.channel, msg.account);
      const account = accountConfig(msg.channel, msg.account);
      if (!channel || !account) return { status: "unavailable", state: "not running" };
      const health = channel.health();
      if (health.state !== "connected") return { status: "unavailable", state: health.state, ...(health.detail ? { detail: health.detail } : {}) };
      const route: ReplyRoute = { channel: msg.channel, account: msg.account, chatKind: "dm", chatId: msg.to };
      // No workspace: a MEDIA line names no file this message may attach.
      const result = await sender.send({ channel, account, route, text: msg.text, key: `message:${msg.channel}:${msg.account}:${msg.idempotencyKey}` });
      if (result.status === "silent") return { status: "empty" };
      if (result.status === "failed") {
        count(stats.replies, `${msg.channel}/${msg.account}/failed`);
        return result;
      }
      if (result.messages === 0) return { status: "duplicate" };
      count(stats.replies, `${msg.channel}/${msg.account}/sent`);
      return result;
    },
    async recoverReplies() {
      const since = opts.now() - RECOVER_WINDOW_MS;
      const finished = await opts.store.runs.list({ status: ["succeeded", "failed", "interrupted"], limit: 500 });
      let queued = 0;
      for (const run of finished) {
        if (!run.origin || (run.finishedAt ?? 0) < since || !channels.has(`${run.origin.channel}/${run.origin.account}`)) continue;
        if (await opts.store.deliveries.get(`${run.id}:0`)) continue;
        await queueReply(opts.bus, run);
        queued++;
      }
      return queued;
    },
  };
}

/** Imports the adapter of `name` once pending I/O had IO_TURNS_BEFORE_IMPORT turns of the event loop. */
async function loadAfterPendingIo<N extends ChannelName>(name: N): Promise<ChannelFactory<N>> {
  for (let turn = 0; turn < IO_TURNS_BEFORE_IMPORT; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  return loadChannelFactory(name);
}
