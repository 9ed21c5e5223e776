// `pincer pairing list | approve | deny | revoke`: who is waiting to talk to the bot in DMs, and who may.
// Approval is stored (SQLite or PostgreSQL); `--notify` queues a message the running gateway sends to the sender.
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import { approvePairing, denyPairing, revokeSender, type PairingActor } from "../routing/ingress/pairing-actions.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";

const actor = (store: PairingActor["store"], via: string): PairingActor => ({ store, via, now: Date.now });

function checkChannel(channel: string): void {
  if (!(CHANNEL_NAMES as readonly string[]).includes(channel)) {
    throw new CliFailure(`unknown channel "${channel}": expected one of ${CHANNEL_NAMES.join(", ")}`, EXIT_USAGE);
  }
}

export async function pairingListCommand(g: GlobalOptions, channel: string | undefined, opts: { json?: boolean; approved?: boolean }): Promise<void> {
  if (channel) checkChannel(channel);
  await withApp(g, async (app) => {
    const filter = channel ? { channel } : {};
    if (opts.approved) {
      const rows = await app.store.pairing.approved(filter);
      if (opts.json) return printJson({ approved: rows });
      if (rows.length === 0) return void process.stdout.write("no approved senders\n");
      process.stdout.write(`${renderTable(["CHANNEL", "ACCOUNT", "SENDER", "NAME", "APPROVED"], rows.map((r) => [r.channel, r.account, r.senderId, r.senderName ?? "", formatTime(r.approvedAt)]))}\n`);
      return;
    }
    const rows = await app.store.pairing.pending(filter);
    if (opts.json) return printJson({ pending: rows });
    if (rows.length === 0) return void process.stdout.write("no pending pairing requests\n");
    process.stdout.write(
      `${renderTable(["CHANNEL", "ACCOUNT", "CODE", "SENDER", "NAME", "EXPIRES"], rows.map((r) => [r.channel, r.account, r.code, r.senderId, r.senderName ?? "", formatTime(r.expiresAt)]))}\n`,
    );
  });
}

export async function pairingApproveCommand(g: GlobalOptions, channel: string, code: string, opts: { notify?: boolean; json?: boolean }): Promise<void> {
  checkChannel(channel);
  await withApp(g, async (app) => {
    const request = await approvePairing(actor(app.store, "'pincer pairing approve'"), { channel, code, notify: Boolean(opts.notify) });
    if (!request) throw new CliFailure(`no pending pairing request with code ${code.toUpperCase()} on ${channel} (codes expire after 1 hour). See 'pincer pairing list'`);
    if (opts.json) return printJson({ approved: request, notified: Boolean(opts.notify) });
    process.stdout.write(`approved ${request.senderName ?? request.senderId} (${request.senderId}) on ${channel}/${request.account}${opts.notify ? "; the gateway will tell them" : ""}\n`);
  });
}

export async function pairingDenyCommand(g: GlobalOptions, channel: string, code: string, opts: { json?: boolean }): Promise<void> {
  checkChannel(channel);
  await withApp(g, async (app) => {
    const request = await denyPairing(actor(app.store, "'pincer pairing deny'"), { channel, code });
    if (!request) throw new CliFailure(`no pending pairing request with code ${code.toUpperCase()} on ${channel}`);
    if (opts.json) return printJson({ denied: request });
    process.stdout.write(`denied ${request.senderName ?? request.senderId} (${request.senderId}) on ${channel}/${request.account}\n`);
  });
}

export async function pairingRevokeCommand(g: GlobalOptions, channel: string, senderId: string, opts: { account: string }): Promise<void> {
  checkChannel(channel);
  await withApp(g, async (app) => {
    if (!(await revokeSender(actor(app.store, "'pincer pairing revoke'"), { channel, account: opts.account, senderId }))) {
      throw new CliFailure(`${senderId} is not an approved sender on ${channel}/${opts.account}. See 'pincer pairing list --approved'`);
    }
    process.stdout.write(`revoked ${senderId} on ${channel}/${opts.account}; they will get a new pairing code next time\n`);
  });
}
