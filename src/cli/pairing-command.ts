// `pincer pairing list | approve | deny | revoke`: who is waiting to talk to the bot in DMs, and who may.
// Approval is stored (SQLite or PostgreSQL); `--notify` queues a message the running gateway sends to the sender.
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import { PAIRING_APPROVED_TEXT } from "../routing/ingress/pairing-code.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";

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
    const request = await app.store.pairing.approve(channel, code.trim());
    if (!request) throw new CliFailure(`no pending pairing request with code ${code.toUpperCase()} on ${channel} (codes expire after 1 hour). See 'pincer pairing list'`);
    await app.store.audit.write({
      at: Date.now(), kind: "pairing.approved", decision: "allow", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: `approved with 'pincer pairing approve'`, detail: { channel, account: request.account, senderId: request.senderId },
    });
    if (opts.notify) await app.store.notices.enqueue({ channel, account: request.account, chatId: request.chatId, text: PAIRING_APPROVED_TEXT });
    if (opts.json) return printJson({ approved: request, notified: Boolean(opts.notify) });
    process.stdout.write(`approved ${request.senderName ?? request.senderId} (${request.senderId}) on ${channel}/${request.account}${opts.notify ? "; the gateway will tell them" : ""}\n`);
  });
}

export async function pairingDenyCommand(g: GlobalOptions, channel: string, code: string, opts: { json?: boolean }): Promise<void> {
  checkChannel(channel);
  await withApp(g, async (app) => {
    const request = await app.store.pairing.deny(channel, code.trim());
    if (!request) throw new CliFailure(`no pending pairing request with code ${code.toUpperCase()} on ${channel}`);
    await app.store.audit.write({
      at: Date.now(), kind: "pairing.denied", decision: "deny", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: `denied with 'pincer pairing deny'`, detail: { channel, account: request.account, senderId: request.senderId },
    });
    if (opts.json) return printJson({ denied: request });
    process.stdout.write(`denied ${request.senderName ?? request.senderId} (${request.senderId}) on ${channel}/${request.account}\n`);
  });
}

export async function pairingRevokeCommand(g: GlobalOptions, channel: string, senderId: string, opts: { account: string }): Promise<void> {
  checkChannel(channel);
  await withApp(g, async (app) => {
    if (!(await app.store.pairing.revoke(channel, opts.account, senderId))) {
      throw new CliFailure(`${senderId} is not an approved sender on ${channel}/${opts.account}. See 'pincer pairing list --approved'`);
    }
    process.stdout.write(`revoked ${senderId} on ${channel}/${opts.account}; they will get a new pairing code next time\n`);
  });
}
