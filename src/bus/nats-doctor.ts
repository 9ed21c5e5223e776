// `pincer doctor` checks for the NATS bus: reachability with the configured authentication, JetStream for the
// account, and the instance's streams and consumers against what the bus would create. Reports; never changes them.
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import pino from "pino";
import { classifyNatsError, connectNats, displayUrl, errorText, jetStreamMissing, loadNats, toBusError, type NatsConnection } from "./nats-connect.ts";
import { describeDiffs, diffConsumer, diffStream, streamSpecs, workStreamName, type StreamSpec } from "./nats-streams.ts";

/** One doctor line; the same shape as the CLI's Check. */
export interface BusCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

export interface NatsDoctorOptions {
  instance: string;
  url: string;
  user?: string;
  password?: string;
  nkeySeed?: string;
  credsFile?: string;
  /** bus.ack_wait_ms: what consumers should have. */
  ackWaitMs: number;
  /** ms to wait for the server. Default 3 000. */
  timeoutMs?: number;
}

/**
 * Connects once (no reconnects) and reports: `bus` (reachable and authenticated), `jetstream` (enabled for the
 * account), one `bus stream` line per stream, and `bus consumers` when the work stream has any.
 * Contract: never throws; every warn or fail carries a fix; no secret appears in a detail.
 */
export async function checkNatsBus(opts: NatsDoctorOptions): Promise<BusCheck[]> {
  const ctx = { url: opts.url, instance: opts.instance };
  const where = displayUrl(opts.url);
  const mods = await loadNats();
  let nc: NatsConnection;
  try {
    nc = await connectNats(mods.core, {
      url: opts.url,
      user: opts.user,
      password: opts.password,
      nkeySeed: opts.nkeySeed,
      credsFile: opts.credsFile,
      name: `pincer-doctor-${opts.instance}`,
      inboxPrefix: `_INBOX_${opts.instance}`,
      log: pino({ level: "silent" }),
      reconnect: false,
      connectTimeoutMs: opts.timeoutMs ?? 3_000,
    });
  } catch (err) {
    return [{ name: "bus", status: "fail", ...splitFix(errorText(err)) }];
  }
  const out: BusCheck[] = [];
  try {
    const info = nc.info;
    out.push({ name: "bus", status: "ok", detail: `${where} reachable${info ? ` (nats-server ${info.version}${info.server_name ? `, ${info.server_name}` : ""})` : ""}` });
    let jsm: JetStreamManager;
    try {
      jsm = await mods.js.jetstreamManager(nc, { timeout: opts.timeoutMs ?? 3_000 });
      const account = await jsm.getAccountInfo();
      out.push({ name: "jetstream", status: "ok", detail: `enabled: ${account.streams} stream(s), ${account.consumers} consumer(s), ${(account.storage / 1_048_576).toFixed(1)} MiB stored` });
    } catch (err) {
      out.push({ name: "jetstream", status: "fail", ...splitFix(jetStreamMissing(err, ctx).message) });
      return out;
    }
    const [work, dlq] = streamSpecs(opts.instance);
    out.push(await checkStream(jsm, work, ctx));
    out.push(await checkStream(jsm, dlq, ctx));
    const consumers = await checkConsumers(jsm, opts);
    if (consumers) out.push(consumers);
  } finally {
    await nc.close().catch(() => {});
  }
  return out;
}

async function checkStream(jsm: JetStreamManager, spec: StreamSpec, ctx: { url: string; instance: string }): Promise<BusCheck> {
  const name = "bus stream";
  try {
    const info = await jsm.streams.info(spec.name);
    const diffs = diffStream(spec, info.config);
    const fixed = diffs.filter((d) => !d.updatable);
    if (fixed.length > 0) {
      return { name, status: "fail", detail: `${spec.name} differs in what cannot change in place: ${describeDiffs(fixed)}`, fix: `drain or back up its messages, then 'nats stream rm ${spec.name}'; the bus recreates it on start` };
    }
    if (diffs.length > 0) return { name, status: "warn", detail: `${spec.name} differs: ${describeDiffs(diffs)}`, fix: "start the bus (any pincer cluster process): it updates these fields in place" };
    const dead = spec.retention === "limits" && info.state.messages > 0 ? `; ${info.state.messages} dead letter(s)` : "";
    if (dead) return { name, status: "warn", detail: `${spec.name} matches${dead}`, fix: `inspect them with 'nats stream view ${spec.name}', then purge or replay` };
    return { name, status: "ok", detail: `${spec.name} matches (${spec.retention}, ${info.state.messages} message(s))` };
  } catch (err) {
    if (classifyNatsError(err) === "stream_not_found") return { name, status: "ok", detail: `${spec.name} does not exist yet; the bus creates it on first start` };
    return { name, status: "fail", ...splitFix(toBusError(err, `reading stream ${spec.name}`, ctx).message) };
  }
}

async function checkConsumers(jsm: JetStreamManager, opts: NatsDoctorOptions): Promise<BusCheck | undefined> {
  const stream = workStreamName(opts.instance);
  const list: ConsumerInfo[] = [];
  try {
    for await (const ci of jsm.consumers.list(stream)) list.push(ci);
  } catch {
    return undefined; // no stream yet, or listing not allowed; the stream line already says which
  }
  if (list.length === 0) return undefined;
  const problems: string[] = [];
  let fatal = false;
  for (const ci of list) {
    const subject = ci.config.filter_subject ?? "";
    const topic = subject.startsWith(`pincer.${opts.instance}.`) ? subject.slice(`pincer.${opts.instance}.`.length) : "";
    if (!topic) {
      fatal = true;
      problems.push(`${ci.name} has no topic filter (it would take every topic's messages)`);
      continue;
    }
    const diffs = diffConsumer({ stream, durable: ci.name, topic: topic as "runs", subject, ackWaitMs: opts.ackWaitMs }, ci.config);
    if (diffs.some((d) => !d.updatable)) fatal = true;
    if (diffs.length > 0) problems.push(`${ci.name}: ${describeDiffs(diffs)}`);
  }
  const names = list.map((c) => `${c.name} (${c.num_pending} pending, ${c.num_ack_pending} in flight)`).join(", ");
  if (problems.length === 0) return { name: "bus consumers", status: "ok", detail: `${list.length} match: ${names}` };
  return fatal
    ? { name: "bus consumers", status: "fail", detail: problems.join("; "), fix: `remove the consumer with 'nats consumer rm ${stream} <name>'; messages stay in the stream and the bus recreates its consumers` }
    : { name: "bus consumers", status: "warn", detail: problems.join("; "), fix: "start the consumers (pincer cluster processes): the bus updates ack_wait, max_deliver and backoff in place" };
}

/** Splits "problem. Fix: how" into a detail and a fix. */
function splitFix(message: string): { detail: string; fix?: string } {
  const at = message.indexOf(" Fix: ");
  return at < 0 ? { detail: message } : { detail: message.slice(0, at).replace(/\.$/, ""), fix: message.slice(at + 6) };
}
