// The running gateway's view of its channel accounts, written to `<state dir>/channels-status.json` whenever it
// changes, so `pincer channels status` can show it without the gateway token.
import { writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { ChannelHealth } from "./kit/channel.ts";

export const CHANNELS_STATUS_FILE = "channels-status.json";

export interface ChannelsStatusFile {
  pid: number;
  updatedAt: number; // epoch ms
  accounts: Array<ChannelHealth & { channel: string; account: string }>;
}

/** Writes the file atomically (mode 0600) when its content changed; returns the new content key. */
export async function writeStatusFile(stateDir: string, status: ChannelsStatusFile, previous: string | undefined): Promise<string> {
  const key = JSON.stringify(status.accounts);
  if (key === previous) return key;
  const file = join(stateDir, CHANNELS_STATUS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return key;
}
