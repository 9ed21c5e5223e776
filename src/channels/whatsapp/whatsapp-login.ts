// Linking this account as a WhatsApp linked device: shows every QR Baileys produces, follows the restart WhatsApp
// asks for right after pairing (515), and resolves once the linked connection opens with its credentials saved.
import { DisconnectReason } from "baileys";
import type { Logger } from "pino";
import { ChannelError } from "../../core/errors.ts";
import { backoffDelay, sleep } from "../kit/backoff.ts";
import type { BackoffOptions } from "../kit/backoff.ts";
import { loginCommand, openAuthState, phoneOf } from "./whatsapp-auth.ts";
import { statusOf, toChannelError } from "./whatsapp-errors.ts";
import type { MakeSocket, WhatsappSocket } from "./whatsapp-socket.ts";

export interface LinkDeviceOptions {
  account: string;
  authDir: string;
  makeSocket: MakeSocket;
  log: Logger;
  /** Baileys' own (quiet) logger. */
  baileysLog: Logger;
  onQr: (qr: string) => void;
  signal: AbortSignal;
  backoff?: BackoffOptions;
}

const MAX_FAILURES = 5; // transient closes in a row before giving up

/** Contract: rejects with the signal's reason on abort, with ChannelError when WhatsApp refuses or the QR expires. */
export async function linkDevice(opts: LinkDeviceOptions): Promise<{ identity: string }> {
  const auth = await openAuthState(opts.authDir);
  const { signal } = opts;
  const fail = (code: "auth_failed" | "forbidden" | "conflict" | "unavailable", message: string, cause?: unknown): ChannelError =>
    new ChannelError({ code, message: `whatsapp login: ${message}`, channel: "whatsapp", method: "login", retryable: false, cause });

  return new Promise((resolve, reject) => {
    let sock: WhatsappSocket | undefined;
    let done = false;
    let qrShown = false;
    let failures = 0;

    const finish = (result: { identity: string } | { error: unknown }): void => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      const open = sock;
      sock = undefined;
      if (open) void open.end(undefined).catch(() => undefined);
      if ("error" in result) reject(result.error);
      else resolve(result);
    };
    const onAbort = (): void => finish({ error: signal.reason });

    const onClose = (error: unknown): void => {
      const status = statusOf(error);
      if (status === DisconnectReason.restartRequired) return void connect(); // pairing done: reconnect at once with the new creds
      if (status === DisconnectReason.loggedOut) return finish({ error: fail("auth_failed", `WhatsApp refused the link (401). Fix: run '${loginCommand(opts.account)}' again.`, error) });
      if (status === DisconnectReason.forbidden) return finish({ error: fail("forbidden", "WhatsApp refused this device (403); the number may be banned or restricted.", error) });
      if (status === DisconnectReason.connectionReplaced) return finish({ error: fail("conflict", "another session took over these credentials (440). Fix: stop the other client, then link again.", error) });
      if (status === DisconnectReason.timedOut && qrShown && !auth.state.creds.me) {
        return finish({ error: fail("unavailable", `no phone scanned the QR code in time. Fix: run '${loginCommand(opts.account)}' again and scan it within a minute (WhatsApp → Settings → Linked devices → Link a device).`, error) });
      }
      failures += 1;
      if (failures > MAX_FAILURES) return finish({ error: toChannelError(error, { method: "login", account: opts.account }) });
      opts.log.warn({ status, attempt: failures }, "login connection closed; retrying");
      sleep(backoffDelay(failures, opts.backoff), signal).then(connect, () => undefined);
    };

    const connect = async (): Promise<void> => {
      if (done) return;
      let s: WhatsappSocket;
      try {
        s = await opts.makeSocket({ auth: auth.state, logger: opts.baileysLog, getMessage: async () => undefined });
      } catch (err) {
        return finish({ error: toChannelError(err, { method: "login", account: opts.account }) });
      }
      if (done) return void s.end(undefined).catch(() => undefined);
      sock = s;
      s.ev.on("creds.update", () => {
        auth.saveCreds().catch((err: unknown) => opts.log.warn({ err }, "saving WhatsApp credentials failed"));
      });
      s.ev.on("connection.update", (update) => {
        if (s !== sock) return;
        if (update.qr) {
          qrShown = true;
          opts.onQr(update.qr);
        }
        if (update.connection === "open") {
          failures = 0;
          const me = s.user?.id ?? auth.state.creds.me?.id;
          if (!me) return finish({ error: fail("unavailable", "connected without an account id; link again.") });
          auth.saveCreds().then(
            () => finish({ identity: phoneOf(me) }),
            (err: unknown) => finish({ error: err }),
          );
        } else if (update.connection === "close") {
          sock = undefined;
          onClose(update.lastDisconnect?.error);
        }
      });
    };

    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    void connect();
  });
}
