// The slice of a Baileys socket the adapter uses (so tests can pass a fake of it), the default factory over
// makeWASocket, and the quiet logger Baileys gets.
import { Browsers, makeWASocket } from "baileys";
import type {
  AnyMessageContent, AuthenticationState, BaileysEventEmitter, Contact, GroupMetadata, MiscMessageGenerationOptions,
  proto, WAMessage, WAMessageKey, WAPresence,
} from "baileys";
import type { Logger } from "pino";

/** What the adapter calls on a connected Baileys socket (`ReturnType<typeof makeWASocket>` satisfies it). */
export interface WhatsappSocket {
  ev: Pick<BaileysEventEmitter, "on" | "off">;
  /** Our own account once linked: id `<phone>:<device>@s.whatsapp.net`, lid `<lid>:<device>@lid`. */
  readonly user: Contact | undefined;
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void>;
  readMessages(keys: WAMessageKey[]): Promise<void>;
  groupMetadata(jid: string): Promise<GroupMetadata>;
  /** Asks the phone to re-upload expired media (used by downloads). */
  updateMediaMessage(msg: WAMessage): Promise<WAMessage>;
  /** Closes the connection; emits connection.update {connection: "close"}. */
  end(error: Error | undefined): Promise<void>;
}

export interface MakeSocketOptions {
  auth: AuthenticationState;
  logger: Logger;
  /** Looks up a message we sent or received, for Baileys to answer a peer's retry request. */
  getMessage: (key: WAMessageKey) => Promise<proto.IMessage | undefined>;
}

/** Builds one socket (one connection attempt); every reconnect calls it again. */
export type MakeSocket = (opts: MakeSocketOptions) => WhatsappSocket | Promise<WhatsappSocket>;

/** The real thing: a Baileys multi-device socket that shows up as "Pincer" under the phone's Linked devices. */
export const makeBaileysSocket: MakeSocket = (opts) =>
  makeWASocket({
    auth: opts.auth,
    logger: opts.logger,
    browser: Browsers.ubuntu("Pincer"),
    getMessage: opts.getMessage,
    // Stay "offline" so the phone keeps getting notifications; skip history sync: only live messages matter.
    markOnlineOnConnect: false,
    syncFullHistory: false,
    shouldSyncHistoryMessage: () => false,
    generateHighQualityLinkPreview: false,
  });

/** Baileys logs a lot at info/debug: its child logger never goes below warn. */
export function quietLogger(log: Logger): Logger {
  const level = log.levelVal < 40 ? "warn" : log.level;
  return log.child({ lib: "baileys" }, { level });
}
