// `pincer channels add | list | remove | status | login`: chat platform accounts in pincer.yaml, their credentials
// checked against the platform (--probe), the running gateway's view of them, and WhatsApp's QR linking.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "../config/logger.ts";
import { defaultConfigPath, loadConfig, loadConfigText, planConfigEdits, resolveStateDir, writeConfigPlan } from "../config/index.ts";
import type { ConfigEdit, LoadedConfig, WithheldPart } from "../config/index.ts";
import { CHANNEL_NAMES, type ChannelAccountConfig, type ChannelName } from "../core/channel-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { loadChannelFactory, type ChannelFactory } from "../channels/channel-registry.ts";
import { canLogin, canProbe, type ProbeResult } from "../channels/kit/channel.ts";
import { CHANNELS_STATUS_FILE, type ChannelsStatusFile } from "../channels/channel-status-file.ts";
import { loadCliConfig, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_CONFIG, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";
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

/** The withheld account `channel/account` (an `${env:X}` in it is unset here), if it is. */
function withheldAccount(loaded: LoadedConfig, channel: string, account: string): WithheldPart | undefined {
  return loaded.withheld.find((w) => w.path[0] === "channels" && w.path[1] === channel && w.path[2] === "accounts" && w.path[3] === account);
}

/**
 * Adds or updates an account. Contract: pincer.yaml changes only when every edit is valid and, unless --no-probe, the
 * platform accepted the credentials; otherwise the file is left as it was.
 */
export async function channelsAddCommand(g: GlobalOptions, channelArg: string, opts: AddOptions): Promise<void> {
  const channel = checkChannel(channelArg);
  const file = configPath(g);
  const base = `channels.${channel}.accounts.${opts.account}`;
  const tokenKey = TOKEN_KEY[channel];
  const token = opts.tokenEnv ? `\${env:${opts.tokenEnv}}` : opts.token;
  if (tokenKey && token === undefined) {
    const loaded = await loadConfig({ file: g.config, env: process.env }).catch(() => undefined);
    if (!loaded || !(hasOwnEntry(accountsOf(loaded.config, channel), opts.account) || withheldAccount(loaded, channel, opts.account))) {
      throw new CliFailure(`${channel} needs a token: pass --token <token> or --token-env <VAR> (see docs/channels/${channel}.md)`, EXIT_USAGE);
    }
  }
  const edits: ConfigEdit[] = [];
  if (tokenKey && token !== undefined) edits.push({ keyPath: `${base}.${tokenKey}`, value: token });
  if (!tokenKey) edits.push({ keyPath: `${base}.enabled`, value: "true" });
  if (opts.appToken) edits.push({ keyPath: `${base}.app_token`, value: opts.appToken });
  if (opts.signingSecret) edits.push({ keyPath: `${base}.signing_secret`, value: opts.signingSecret });
  if (opts.apiRoot) edits.push({ keyPath: `${base}.api_root`, value: opts.apiRoot });
  if (opts.mode) edits.push({ keyPath: `${base}.mode`, value: opts.mode });
  const plan = await planConfigEdits(file, edits, { env: process.env });
  // The account as the file would hold it, with this environment's variables: what the probe and the gateway get.
  const preview = await loadConfigText(plan.text, { file: plan.file, env: process.env });
  const withheld = withheldAccount(preview, channel, opts.account);
  const name = `${channel}/${opts.account}`;
  let probe: ProbeResult | undefined;
  if (opts.probe && channel !== "whatsapp") {
    if (withheld) {
      const vars = withheld.variables.join(", ");
      throw new CliFailure(
        `${vars} ${withheld.variables.length === 1 ? "is" : "are"} not set, so the credentials of ${name} cannot be checked; nothing was written. ` +
          `Fix: export ${withheld.variables.map((v) => `${v}=…`).join(" ")} and run this again, or add --no-probe to add the account now (the gateway needs ${vars} in its environment)`,
        EXIT_CONFIG,
      );
    }
    const cfg = ownEntry(accountsOf(preview.config, channel), opts.account);
    probe = cfg ? await probeAccountConfig(channel, opts.account, cfg, preview.stateDir) : { ok: false, detail: `${name} is not configured` };
    if (!probe.ok) {
      throw new CliFailure(`the credentials of ${name} do not work: ${probe.detail}\nnothing was written; correct them and run this again, or add --no-probe to add the account anyway`);
    }
  }
  await writeConfigPlan(plan);
  if (withheld) process.stderr.write(`warning: ${withheld.variables.join(", ")} is not set here; ${name} connects once the gateway's environment has it\n`);
  if (opts.json) return printJson({ channel, account: opts.account, file: plan.file, ...(probe ? { probe } : {}) });
  process.stdout.write(`added ${name} to ${plan.file}\n`);
  if (probe) process.stdout.write(`credentials work: ${probe.identity ?? probe.detail}\n`);
  if (channel === "whatsapp") process.stdout.write(`next: link the phone with 'pincer channels login whatsapp${opts.account === "default" ? "" : ` --account ${opts.account}`}'\n`);
  process.stdout.write("unknown senders get a pairing code; approve them with 'pincer pairing approve <channel> <code>'. Restart the gateway to connect.\n");
}

export async function channelsRemoveCommand(g: GlobalOptions, channelArg: string, opts: { account: string }): Promise<void> {
  const channel = checkChannel(channelArg);
  const file = configPath(g);
  // The maps the account leaves empty go too: no `accounts: {}` or `channels: {}` left behind.
  const plan = await planConfigEdits(file, [{ keyPath: `channels.${channel}.accounts.${opts.account}`, unset: true, prune: true }], { env: process.env });
  if (!plan.changed) throw new CliFailure(`${channel}/${opts.account} is not in ${plan.file}. See 'pincer channels list'`);
  await writeConfigPlan(plan);
  process.stdout.write(`removed ${channel}/${opts.account} from ${plan.file}; restart the gateway to disconnect it\n`);
}

export async function channelsListCommand(g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const loaded = await loadCliConfig(g);
  const rows = CHANNEL_NAMES.flatMap((channel) => [
    ...Object.entries(accountsOf(loaded.config, channel)).map(([account, a]) => ({
      channel, account, enabled: a.enabled, mode: (a as { mode?: string }).mode ?? "-", dmPolicy: a.dm_policy, groupPolicy: a.group_policy,
      groups: Object.keys(a.groups).length, owners: a.owners.length,
    })),
    // Left out of the loaded config (warned about above); listed so the account does not seem to be gone.
    ...withheldAccounts(loaded, channel).map(({ account, part }) => ({ channel, account, enabled: true, unavailable: part.error.message })),
  ]);
  if (opts.json) return printJson({ channels: rows });
  if (rows.length === 0) return void process.stdout.write("no channels configured; add one with 'pincer channels add telegram --token <token>'\n");
  const cells = (r: (typeof rows)[number]): string[] =>
    "unavailable" in r
      ? [r.channel, r.account, "yes (unavailable: see the warning)", "-", "-", "-", "-", "-"]
      : [r.channel, r.account, r.enabled ? "yes" : "no", r.mode, r.dmPolicy, r.groupPolicy, String(r.groups), String(r.owners)];
  process.stdout.write(`${renderTable(["CHANNEL", "ACCOUNT", "ENABLED", "MODE", "DMS", "GROUPS", "LISTED GROUPS", "OWNERS"], rows.map(cells))}\n`);
}

function withheldAccounts(loaded: LoadedConfig, channel: ChannelName): Array<{ account: string; part: WithheldPart }> {
  return loaded.withheld.flatMap((part) => (part.path[0] === "channels" && part.path[1] === channel && part.path[2] === "accounts" ? [{ account: String(part.path[3]), part }] : []));
}

export async function channelsStatusCommand(g: GlobalOptions, opts: { probe?: boolean; json?: boolean }): Promise<void> {
  const loaded = await loadCliConfig(g);
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
    for (const { account, part } of withheldAccounts(loaded, channel)) {
      const seen = live?.accounts.find((a) => a.channel === channel && a.account === account);
      const detail = seen?.detail ?? part.error.message;
      rows.push({ channel, account, state: "failed", detail, ...(seen ? { since: seen.since } : {}), ...(opts.probe ? { probe: { ok: false, detail } } : {}) });
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
  if (!cfg) return { ok: false, detail: withheldAccount(loaded, channel, account)?.error.message ?? `${channel}/${account} is not configured` };
  return probeAccountConfig(channel, account, cfg, loaded.stateDir);
}

async function probeAccountConfig(channel: ChannelName, account: string, cfg: ChannelAccountConfig, stateDir: string): Promise<ProbeResult> {
  const factory = (await loadChannelFactory(channel)) as ChannelFactory<ChannelName>;
  const instance = factory({ account, config: cfg as never, log: createLogger({ level: "silent" }), stateDir });
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
  const withheld = withheldAccount(loaded, channel, opts.account);
  if (withheld) throw withheld.error;
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
