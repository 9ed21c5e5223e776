// `pincer channels add | list | remove | status | login`: chat platform accounts in pincer.yaml, their credentials
// checked against the platform (--probe), the running gateway's view of them, and WhatsApp's QR linking.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "../config/logger.ts";
import { defaultConfigPath, loadConfig, resolveStateDir, setConfigValue, unsetConfigValue } from "../config/index.ts";
import { CHANNEL_NAMES, type ChannelAccountConfig, type ChannelName } from "../core/channel-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { loadChannelFactory, type ChannelFactory } from "../channels/channel-registry.ts";
import { canLogin, canProbe, type ProbeResult } from "../channels/kit/channel.ts";
import { CHANNELS_STATUS_FILE, type ChannelsStatusFile } from "../channels/channel-status-file.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";
import { hasOwnEntry, ownEntry } from "../core/own-entry.ts";

/** The config key holding each channel's main credential. */
const TOKEN_KEY: Record<ChannelName, string | undefined> = { telegram: "token", slack: "bot_token", discord: "token", whatsapp: undefined };

export interface AddOptions {
  account: string;
  token?: string;
  tokenEnv?: string;
  appToken?: string;
  signingSecret?: string;
  apiRoot?: string;
  mode?: string;
  probe: boolean;
  json?: boolean;
}

function checkChannel(channel: string): ChannelName {
  if (!(CHANNEL_NAMES as readonly string[]).includes(channel)) {
    throw new CliFailure(`unknown channel "${channel}": expected one of ${CHANNEL_NAMES.join(", ")}`, EXIT_USAGE);
  }
  return channel as ChannelName;
}

const configPath = (g: GlobalOptions): string => g.config ?? defaultConfigPath(resolveStateDir(process.env));

function accountsOf(config: PincerConfig, channel: ChannelName): Record<string, ChannelAccountConfig> {
  return (config.channels[channel]?.accounts ?? {}) as Record<string, ChannelAccountConfig>;
}

export async function channelsAddCommand(g: GlobalOptions, channelArg: string, opts: AddOptions): Promise<void> {
  const channel = checkChannel(channelArg);
  const file = configPath(g);
  const base = `channels.${channel}.accounts.${opts.account}`;
  const tokenKey = TOKEN_KEY[channel];
  const token = opts.tokenEnv ? `\${env:${opts.tokenEnv}}` : opts.token;
  if (tokenKey && token === undefined) {
    const loaded = await loadConfig({ file: g.config, env: process.env }).catch(() => undefined);
    if (!loaded || !hasOwnEntry(accountsOf(loaded.config, channel), opts.account)) {
      throw new CliFailure(`${channel} needs a token: pass --token <token> or --token-env <VAR> (see docs/channels/${channel}.md)`, EXIT_USAGE);
    }
  }
  // The required credential first, so every intermediate file is valid.
  const edits: Array<[string, string]> = [];
  if (tokenKey && token !== undefined) edits.push([`${base}.${tokenKey}`, token]);
  if (!tokenKey) edits.push([`${base}.enabled`, "true"]);
  if (opts.appToken) edits.push([`${base}.app_token`, opts.appToken]);
  if (opts.signingSecret) edits.push([`${base}.signing_secret`, opts.signingSecret]);
  if (opts.apiRoot) edits.push([`${base}.api_root`, opts.apiRoot]);
  if (opts.mode) edits.push([`${base}.mode`, opts.mode]);
  for (const [key, value] of edits) await setConfigValue(file, key, value, { env: process.env });

  const probe = opts.probe && channel !== "whatsapp" ? await probeAccount(g, channel, opts.account) : undefined;
  if (opts.json) return printJson({ channel, account: opts.account, file, ...(probe ? { probe } : {}) });
  process.stdout.write(`added ${channel}/${opts.account} to ${file}\n`);
  if (probe) process.stdout.write(probe.ok ? `credentials work: ${probe.identity ?? probe.detail}\n` : `warning: ${probe.detail}\n`);
  if (channel === "whatsapp") process.stdout.write(`next: link the phone with 'pincer channels login whatsapp${opts.account === "default" ? "" : ` --account ${opts.account}`}'\n`);
  process.stdout.write("unknown senders get a pairing code; approve them with 'pincer pairing approve <channel> <code>'. Restart the gateway to connect.\n");
  if (probe && !probe.ok) process.exitCode = 1;
}

export async function channelsRemoveCommand(g: GlobalOptions, channelArg: string, opts: { account: string }): Promise<void> {
  const channel = checkChannel(channelArg);
  const file = configPath(g);
  const removed = await unsetConfigValue(file, `channels.${channel}.accounts.${opts.account}`, { env: process.env });
  if (!removed) throw new CliFailure(`${channel}/${opts.account} is not in ${file}. See 'pincer channels list'`);
  process.stdout.write(`removed ${channel}/${opts.account} from ${file}; restart the gateway to disconnect it\n`);
}

export async function channelsListCommand(g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const { config } = await loadConfig({ file: g.config, env: process.env });
  const rows = CHANNEL_NAMES.flatMap((channel) =>
    Object.entries(accountsOf(config, channel)).map(([account, a]) => ({
      channel, account, enabled: a.enabled, mode: (a as { mode?: string }).mode ?? "-", dmPolicy: a.dm_policy, groupPolicy: a.group_policy,
      groups: Object.keys(a.groups).length, owners: a.owners.length,
    })),
  );
  if (opts.json) return printJson({ channels: rows });
  if (rows.length === 0) return void process.stdout.write("no channels configured; add one with 'pincer channels add telegram --token <token>'\n");
  process.stdout.write(`${renderTable(
    ["CHANNEL", "ACCOUNT", "ENABLED", "MODE", "DMS", "GROUPS", "LISTED GROUPS", "OWNERS"],
    rows.map((r) => [r.channel, r.account, r.enabled ? "yes" : "no", r.mode, r.dmPolicy, r.groupPolicy, String(r.groups), String(r.owners)]),
  )}\n`);
}

export async function channelsStatusCommand(g: GlobalOptions, opts: { probe?: boolean; json?: boolean }): Promise<void> {
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const live = await readStatusFile(loaded.stateDir);
  const rows: Array<{ channel: string; account: string; state: string; identity?: string; detail?: string; since?: number; probe?: ProbeResult }> = [];
  for (const channel of CHANNEL_NAMES) {
    for (const [account, cfg] of Object.entries(accountsOf(loaded.config, channel))) {
      const seen = live?.accounts.find((a) => a.channel === channel && a.account === account);
      const row = {
        channel, account,
        state: !cfg.enabled ? "disabled" : seen ? seen.state : "not running",
        ...(seen?.identity ? { identity: seen.identity } : {}),
        ...(seen?.detail ? { detail: seen.detail } : {}),
        ...(seen ? { since: seen.since } : {}),
      };
      rows.push(opts.probe && cfg.enabled ? { ...row, probe: await probeAccount(g, channel, account) } : row);
    }
  }
  if (opts.json) return printJson({ gateway: live ? { pid: live.pid, updatedAt: live.updatedAt } : null, channels: rows });
  if (rows.length === 0) return void process.stdout.write("no channels configured\n");
  process.stdout.write(`${renderTable(
    ["CHANNEL", "ACCOUNT", "STATE", "SINCE", "IDENTITY", ...(opts.probe ? ["PROBE"] : []), "DETAIL"],
    rows.map((r) => [
      r.channel, r.account, r.state, formatTime(r.since), r.identity ?? r.probe?.identity ?? "",
      ...(opts.probe ? [r.probe ? (r.probe.ok ? "ok" : "FAILED") : "-"] : []), r.probe && !r.probe.ok ? r.probe.detail : (r.detail ?? ""),
    ]),
  )}\n`);
  if (!live) process.stdout.write("(no running gateway has reported in this state dir; states come from 'pincer gateway')\n");
  if (rows.some((r) => r.probe && !r.probe.ok)) process.exitCode = 1;
}

/** Checks an account's credentials against its platform without connecting it. */
export async function probeAccount(g: GlobalOptions, channel: ChannelName, account: string): Promise<ProbeResult> {
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const cfg = ownEntry(accountsOf(loaded.config, channel), account);
  if (!cfg) return { ok: false, detail: `${channel}/${account} is not configured` };
  const factory = (await loadChannelFactory(channel)) as ChannelFactory<ChannelName>;
  const instance = factory({ account, config: cfg as never, log: createLogger({ level: "silent" }), stateDir: loaded.stateDir });
  if (!canProbe(instance)) return { ok: true, detail: "this channel cannot be probed" };
  const signal = AbortSignal.timeout(15_000);
  try {
    return await instance.probe(signal);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function channelsLoginCommand(g: GlobalOptions, channelArg: string, opts: { account: string }): Promise<void> {
  const channel = checkChannel(channelArg);
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const cfg = ownEntry(accountsOf(loaded.config, channel), opts.account);
  if (!cfg) throw new CliFailure(`${channel}/${opts.account} is not configured. Fix: 'pincer channels add ${channel}${opts.account === "default" ? "" : ` --account ${opts.account}`}' first`);
  const factory = (await loadChannelFactory(channel)) as ChannelFactory<ChannelName>;
  const instance = factory({ account: opts.account, config: cfg as never, log: createLogger({ level: "warn" }), stateDir: loaded.stateDir });
  if (!canLogin(instance)) throw new CliFailure(`${channel} does not link by QR code; it uses a token ('pincer channels add ${channel} --token …')`, EXIT_USAGE);
  const { default: qrcode } = await import("qrcode-terminal");
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("cancelled")));
  process.stderr.write(`Open WhatsApp on your phone → Settings → Linked devices → Link a device, and scan:\n`);
  const { identity } = await instance.login({
    signal: controller.signal,
    onQr: (qr) => qrcode.generate(qr, { small: true }, (art) => process.stderr.write(`${art}\n(the code refreshes; waiting for the scan, Ctrl-C to cancel)\n`)),
  });
  process.stdout.write(`linked ${channel}/${opts.account} as ${identity}. Start (or restart) 'pincer gateway' to connect.\n`);
}

async function readStatusFile(stateDir: string): Promise<ChannelsStatusFile | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, CHANNELS_STATUS_FILE), "utf8")) as ChannelsStatusFile;
  } catch {
    return undefined;
  }
}
