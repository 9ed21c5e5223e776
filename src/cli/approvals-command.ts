// `pincer approvals list|approve|deny|rules|revoke` and `pincer elevate <session>`: the operator's answers from the
// terminal (recorded as operator:cli), through the running gateway's API when it runs, else on the store.
import type { ApprovalRequest, ApprovalStatus } from "../core/domain.ts";
import type { App } from "../app.ts";
import type { ApprovalService } from "../routing/approval-service.ts";
import { clipLine, describeReason, formatDuration } from "../routing/approval-text.ts";
import type { AnswerResult } from "../routing/approval-service.ts";
import { loadCliConfig, openApp, type GlobalOptions } from "./cli-app.ts";
import { findGateway, gatewayClient } from "./gateway-client.ts";
import { gatewayTarget, serviceTarget, type ApprovalsTarget } from "./approvals-target.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";

interface JsonFlag {
  json?: boolean;
}

/** Runs `fn` against the running gateway, or an app opened on the store when none runs. */
export async function withTarget<T>(g: GlobalOptions, fn: (target: ApprovalsTarget) => Promise<T>): Promise<T> {
  const loaded = await loadCliConfig(g);
  const found = await findGateway({ stateDir: loaded.stateDir, config: loaded.config, configFile: loaded.file });
  if (found.running) return fn(gatewayTarget(gatewayClient(found, { stateDir: loaded.stateDir, env: process.env })));
  const app = await openApp(g);
  try {
    return await fn(serviceTarget(localService(app)));
  } finally {
    await app.close();
  }
}

function localService(app: App): ApprovalService {
  const service = (app as App & { approvals?: () => ApprovalService }).approvals?.();
  if (!service) throw new CliFailure("this build has no approval service; start the gateway and answer in the Control UI");
  return service;
}

export async function approvalsListCommand(target: ApprovalsTarget, opts: JsonFlag & { all?: boolean; limit?: string }, now = Date.now()): Promise<void> {
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliFailure(`--limit: expected a whole number from 1 to 500, got ${JSON.stringify(opts.limit)}`, EXIT_USAGE);
  const status: ApprovalStatus[] = opts.all ? ["pending", "approved", "denied", "expired"] : ["pending"];
  const requests = await target.list({ status, limit });
  if (opts.json) return printJson({ data: requests });
  if (requests.length === 0) {
    process.stdout.write(opts.all ? "No approval requests.\n" : "Nothing waits for approval. ('pincer approvals list --all' shows answered ones)\n");
    return;
  }
  const rows = requests.map((r) => [
    r.id, r.tool, clipLine(r.summary, 50), reasonText(r), r.sessionKey,
    r.status === "pending" ? `expires in ${formatDuration(r.expiresAt - now)}` : `${r.status}${r.answer === "always" ? " (always)" : ""} by ${r.answeredBy ?? "?"}`,
  ]);
  process.stdout.write(`${renderTable(["ID", "TOOL", "CALL", "WHY", "SESSION", "STATUS"], rows)}\n`);
  if (requests.some((r) => r.status === "pending")) process.stdout.write("\nAnswer with 'pincer approvals approve <id> [--always]' or 'pincer approvals deny <id>'.\n");
}

function reasonText(r: ApprovalRequest): string {
  return r.reason === "taint" ? clipLine(describeReason(r), 60) : r.reason === "exec" ? "exec level ask" : "policy.tools.ask";
}

export async function approvalsAnswerCommand(target: ApprovalsTarget, id: string, opts: JsonFlag & { decision: "approve" | "deny"; always?: boolean }): Promise<void> {
  const result = await target.answer(id, opts.decision, opts.always === true);
  if (opts.json) {
    printJson(result);
    if (!result.ok) process.exitCode = 1;
    return;
  }
  if (!result.ok) throw new CliFailure(refusalText(id, result));
  const r = result.request;
  const rule = r.answer === "always" ? `; from now on ${r.tool}${r.subject ? ` with ${r.subject}` : ""} runs without asking ('pincer approvals rules')` : "";
  process.stdout.write(`${r.status === "approved" ? "approved" : "denied"} ${r.id} (${r.tool})${rule}\n`);
}

function refusalText(id: string, result: Extract<AnswerResult, { ok: false }>): string {
  if (result.reason === "unknown") return `no approval request "${id}". See 'pincer approvals list'`;
  if (result.reason === "expired") return `approval request ${id} expired before it was answered; the call was denied`;
  const r = result.request;
  return `approval request ${id} was answered already (${r?.status ?? "answered"}${r?.answeredBy ? ` by ${r.answeredBy}` : ""})`;
}

export async function approvalsRulesCommand(target: ApprovalsTarget, opts: JsonFlag): Promise<void> {
  const rules = await target.rules();
  if (opts.json) return printJson({ data: rules });
  if (rules.length === 0) {
    process.stdout.write("No standing approvals. An 'always' answer adds one.\n");
    return;
  }
  const rows = rules.map((r) => [r.id, r.agentId, r.tool, r.subject ?? "(any call)", r.createdBy, formatTime(r.createdAt)]);
  process.stdout.write(`${renderTable(["ID", "AGENT", "TOOL", "WITH", "BY", "CREATED (UTC)"], rows)}\n`);
}

export async function approvalsRevokeCommand(target: ApprovalsTarget, id: string, opts: JsonFlag): Promise<void> {
  const revoked = await target.revoke(id);
  if (opts.json) {
    printJson({ revoked, id });
    if (!revoked) process.exitCode = 1;
    return;
  }
  if (!revoked) throw new CliFailure(`no approval rule "${id}". See 'pincer approvals rules'`);
  process.stdout.write(`revoked ${id}: that tool asks again\n`);
}

export interface ElevateFlags extends JsonFlag {
  minutes?: string;
  reason?: string;
  yes?: boolean;
  off?: boolean;
}

/** `ask`: reads the confirmation code from the terminal (undefined when the user gives up). */
export async function elevateCommand(target: ApprovalsTarget, session: string, flags: ElevateFlags, ask: (code: string) => Promise<string | undefined>): Promise<void> {
  if (flags.off) {
    if (flags.minutes !== undefined || flags.reason !== undefined || flags.yes) throw new CliFailure("--off ends elevated mode; it takes no --minutes, --reason or --yes", EXIT_USAGE);
    const ended = await target.end(session);
    if (flags.json) return printJson({ ended: ended !== undefined, elevation: ended ?? null });
    process.stdout.write(ended ? `elevated mode of ${session} ended\n` : `elevated mode was not on in ${session}\n`);
    return;
  }
  const minutes = flags.minutes === undefined ? undefined : Number(flags.minutes);
  if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1)) throw new CliFailure(`--minutes: expected a whole number of minutes, got ${JSON.stringify(flags.minutes)}`, EXIT_USAGE);
  const asked = await target.elevate(session, { ...(minutes !== undefined ? { minutes } : {}), ...(flags.reason ? { reason: flags.reason } : {}) });
  if (!asked.ok) throw new CliFailure(`elevated mode was not started: ${asked.reason}`);
  const code = flags.yes ? asked.code : await ask(asked.code);
  if (code === undefined) throw new CliFailure("not confirmed: elevated mode stays off");
  const confirmed = await target.confirm(session, code);
  if (!confirmed.ok) throw new CliFailure(`elevated mode was not turned on: ${confirmed.reason}`);
  if (flags.json) return printJson({ elevation: confirmed.elevation });
  const e = confirmed.elevation;
  process.stdout.write(`elevated mode is on in ${session} for ${e.minutes} min (until ${formatTime(e.expiresAt)} UTC); end it with 'pincer elevate ${session} --off'\n`);
}

/** The interactive confirmation: shows the code, reads it back. */
export async function askForCode(code: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) throw new CliFailure(`confirmation needed and stdin is not a terminal. Fix: add --yes (the code was ${code})`, EXIT_USAGE);
  const { text, isCancel } = await import("@clack/prompts");
  const typed = await text({ message: `Type ${code} to turn on elevated mode`, validate: (v) => (v?.trim() ? undefined : "type the code, or press Ctrl+C") });
  return isCancel(typed) ? undefined : String(typed).trim();
}
