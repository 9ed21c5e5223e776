// `pincer message send`: a message the owner sends first, through a channel account of the running gateway
// (POST /api/v1/messages). The idempotency key makes a retried command send nothing twice.
import { randomUUID } from "node:crypto";
import { text as readStream } from "node:stream/consumers";
import { loadConfig } from "../config/index.ts";
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { connectGateway } from "./gateway-client.ts";
import { CliFailure, EXIT_USAGE, printJson } from "./output.ts";

export interface MessageSendOptions {
  channel: string;
  to: string;
  account?: string;
  idempotencyKey?: string;
  json?: boolean;
}

export async function messageSendCommand(g: GlobalOptions, textArg: string, opts: MessageSendOptions): Promise<void> {
  if (!(CHANNEL_NAMES as readonly string[]).includes(opts.channel)) {
    throw new CliFailure(`--channel: unknown channel "${opts.channel}"; expected one of ${CHANNEL_NAMES.join(", ")}`, EXIT_USAGE);
  }
  const text = textArg === "-" ? (await readStream(process.stdin)).replace(/\n$/, "") : textArg;
  if (text.trim() === "") throw new CliFailure("<text>: nothing to send (give the text, or - to read it from stdin)", EXIT_USAGE);
  const idempotencyKey = opts.idempotencyKey ?? randomUUID();
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const client = await connectGateway({ stateDir: loaded.stateDir, env: process.env, config: loaded.config, configFile: loaded.file });
  const res = await client.request("/api/v1/messages", {
    json: { channel: opts.channel, ...(opts.account ? { account: opts.account } : {}), to: opts.to, text },
    headers: { "idempotency-key": idempotencyKey },
    // The gateway retries a platform that is briefly down before it answers.
    timeoutMs: 120_000,
  });
  const body = (await res.json().catch(() => ({}))) as { status?: string; account?: string; messages?: number; error?: { message?: string } };
  if (!res.ok) {
    const why = body.error?.message ?? `the gateway answered ${res.status}`;
    // A wrong channel, account or chat id is the caller's to fix (2); a channel that is down or refuses is a failed send (1).
    throw new CliFailure(`${why}${res.status === 503 ? `\n(retry with --idempotency-key ${idempotencyKey} to send only what is missing)` : ""}`, res.status === 400 || res.status === 404 ? EXIT_USAGE : 1);
  }
  if (opts.json) return printJson({ ...body, idempotencyKey });
  const where = `${opts.channel}/${body.account ?? opts.account ?? "default"} → ${opts.to}`;
  process.stdout.write(
    body.status === "duplicate"
      ? `already sent with idempotency key ${idempotencyKey} (${where}); nothing sent again\n`
      : `sent (${where}, ${body.messages ?? 1} message${body.messages === 1 ? "" : "s"})\n`,
  );
}
