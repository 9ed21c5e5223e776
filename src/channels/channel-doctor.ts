// `pincer doctor` checks for chat channels: each enabled account's credentials and connectivity (the adapter's
// probe, no connection kept), and access settings that expose the bot more than a user may intend.
import { pino } from "pino";
import { CHANNEL_NAMES, type ChannelAccountConfig, type ChannelName } from "../core/channel-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { loadChannelFactory, type ChannelFactory } from "./channel-registry.ts";
import { canProbe } from "./kit/channel.ts";

export interface ChannelCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** One or more checks per configured account; none when no channel is configured. Contract: never throws. */
export async function checkChannels(config: PincerConfig, stateDir: string): Promise<ChannelCheck[]> {
  const out: ChannelCheck[] = [];
  for (const channel of CHANNEL_NAMES) {
    const accounts = (config.channels[channel]?.accounts ?? {}) as Record<string, ChannelAccountConfig>;
    for (const [account, cfg] of Object.entries(accounts)) {
      const name = `${channel}/${account}`;
      if (!cfg.enabled) {
        out.push({ name, status: "ok", detail: "disabled (enabled: false)" });
        continue;
      }
      out.push(await probe(channel, account, cfg, stateDir));
      out.push(...exposure(name, `channels.${channel}.accounts.${account}`, cfg));
    }
  }
  return out;
}

async function probe(channel: ChannelName, account: string, cfg: ChannelAccountConfig, stateDir: string): Promise<ChannelCheck> {
  const name = `${channel}/${account}`;
  try {
    const factory = (await loadChannelFactory(channel)) as ChannelFactory<ChannelName>;
    const instance = factory({ account, config: cfg as never, log: pino({ level: "silent" }), stateDir });
    if (!canProbe(instance)) return { name, status: "ok", detail: "configured (this channel cannot be probed)" };
    const result = await instance.probe(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    if (result.ok) return { name, status: "ok", detail: `credentials work${result.identity ? `: ${result.identity}` : ""}` };
    return { name, status: "fail", detail: result.detail, fix: `see docs/channels/${channel}.md; 'pincer channels status --probe' checks again` };
  } catch (err) {
    return { name, status: "fail", detail: err instanceof Error ? err.message : String(err), fix: `see docs/channels/${channel}.md` };
  }
}

/** Settings that let strangers spend the owner's tokens or flood groups. */
function exposure(name: string, path: string, cfg: ChannelAccountConfig): ChannelCheck[] {
  const out: ChannelCheck[] = [];
  if (cfg.dm_policy === "open" || (cfg.dm_policy === "allowlist" && cfg.allow_from.includes("*"))) {
    out.push({ name, status: "warn", detail: "anyone who finds the bot can talk to it in DMs and use your model credits", fix: `set ${path}.dm_policy: pairing (the default)` });
  }
  if (cfg.group_policy === "open" && !cfg.require_mention) {
    out.push({ name, status: "warn", detail: "the bot answers every message in every group it is added to", fix: `set ${path}.require_mention: true or ${path}.group_policy: allowlist` });
  }
  if (cfg.owners.length === 0) {
    out.push({ name, status: "warn", detail: "no owners: every message on this account counts as untrusted (guarded tools such as exec need approval), and nobody can approve in chat, use /activation or change models in groups", fix: `add your sender id to ${path}.owners (send /whoami to the bot to see it)` });
  }
  return out;
}
