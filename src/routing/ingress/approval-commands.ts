// The chat commands that answer approvals and turn elevated mode on and off: /approve <id> [always], /deny <id>,
// /elevate on [minutes] [reason] | confirm <code> | off, and the approval lines of /status. Owners only; a refusal is
// audited. The decisions themselves are the ApprovalService's; this file only words them.
import type { ApprovalRequest } from "../../core/domain.ts";
import type { ApprovalService } from "../approval-service.ts";
import { approvalLine, clipLine, describeReason, elevationEffects, elevationLine } from "../approval-text.ts";
import type { CommandContext, ParsedCommand } from "./chat-commands.ts";

/** Longest reason kept for an elevation, characters. */
const MAX_REASON_CHARS = 200;

const NO_SERVICE = "Approvals are not available here: the gateway runs no approval service. Use the Control UI or 'pincer approvals' on the host.";

/** Who answers, as the audit and the request record it: the operator on WebChat, else `<channel>:<sender id>`. */
export function actorOf(ctx: CommandContext): string {
  return ctx.actor ?? `${ctx.msg.channel}:${ctx.msg.sender.id}`;
}

/** Runs /approve, /deny or /elevate. Contract: a non-owner changes nothing and the refusal is audited. */
export async function runApprovalCommand(cmd: ParsedCommand & { name: "approve" | "deny" | "elevate" }, ctx: CommandContext): Promise<string> {
  if (!ctx.owner) {
    await auditRefusal(ctx, cmd);
    const what = cmd.name === "elevate" ? "turn on elevated mode" : "answer approval requests";
    return `Only an owner can ${what}. Owners are listed in channels.${ctx.msg.channel}.accounts.${ctx.msg.account}.owners (your id: ${ctx.msg.sender.id}).`;
  }
  const service = ctx.approvals;
  if (!service) return NO_SERVICE;
  return cmd.name === "elevate" ? elevate(service, ctx, cmd.args) : answer(service, ctx, cmd);
}

async function answer(service: ApprovalService, ctx: CommandContext, cmd: ParsedCommand): Promise<string> {
  const [id, mode, ...rest] = cmd.args.split(/\s+/).filter(Boolean);
  const always = mode?.toLowerCase() === "always";
  const usage = cmd.name === "approve" ? "Usage: /approve <id> [always]" : "Usage: /deny <id>";
  if (!id || rest.length > 0 || (mode !== undefined && (cmd.name === "deny" || !always))) return usage;
  const refusal = await checkScope(ctx, id);
  if (refusal) return refusal;
  const decision = cmd.name === "approve" ? "approve" : "deny";
  const result = await service.answer(id, { decision, ...(always ? { always: true } : {}) }, actorOf(ctx));
  if (!result.ok) {
    if (result.reason === "unknown") return `No approval request "${clipLine(id, 40)}". Pending ones are listed by /status.`;
    const r = result.request;
    if (result.reason === "expired") return `Request ${r?.id ?? id} expired before it was answered; the tool call was denied.`;
    return `Request ${r?.id ?? id} was already answered (${r?.status ?? "answered"}${r?.answeredBy ? ` by ${r.answeredBy}` : ""}).`;
  }
  const r = result.request;
  if (decision === "deny") return `Denied ${r.id} (${r.tool}). The model is told and carries on.`;
  if (!always) return `Approved ${r.id} (${r.tool}) once.`;
  return `Approved ${r.id} (${r.tool}). From now on ${r.tool}${r.subject ? ` with ${r.subject}` : ""} runs without asking; revoke it in the Control UI or with 'pincer approvals revoke'.`;
}

/** A chat owner answers only requests of runs that came from this channel account (others: the Control UI or CLI). */
async function checkScope(ctx: CommandContext, id: string): Promise<string | undefined> {
  if (ctx.actor !== undefined) return undefined; // the operator (WebChat) answers any request
  const request = await ctx.store.approvals.get(id);
  if (!request) return undefined; // the service words "unknown"
  const run = await ctx.store.runs.get(request.runId);
  const origin = run?.origin;
  if (origin && origin.channel === ctx.msg.channel && origin.account === ctx.msg.account) return undefined;
  await auditRefusal(ctx, { name: "approve", args: id }, "request of another channel", request);
  return `Request ${request.id} did not come from this chat account; answer it in the Control UI (Approvals) or with 'pincer approvals'.`;
}

async function elevate(service: ApprovalService, ctx: CommandContext, args: string): Promise<string> {
  const [sub = "", ...rest] = args.split(/\s+/).filter(Boolean);
  const by = actorOf(ctx);
  const now = (ctx.now ?? Date.now)();
  switch (sub.toLowerCase()) {
    case "":
    case "status":
      return `${elevationLine(await service.elevation(ctx.sessionKey), now)}. Use /elevate on [minutes] [reason], /elevate confirm <code>, /elevate off.`;
    case "on": {
      const minutesText = rest[0] !== undefined && /^\d+$/.test(rest[0]) ? rest.shift() : undefined;
      const minutes = minutesText === undefined ? undefined : Number(minutesText);
      const reason = rest.join(" ").trim();
      const asked = await service.elevate(ctx.sessionKey, { ...(minutes !== undefined ? { minutes } : {}), ...(reason ? { reason: clipLine(reason, MAX_REASON_CHARS) } : {}), by });
      if (!asked.ok) return `Elevated mode was not started: ${asked.reason}.`;
      return [
        `To turn on elevated mode for ${asked.minutes} min in this conversation, send: /elevate confirm ${asked.code}`,
        `While on: ${elevationEffects(ctx.config.policy.elevated.allow)}.`,
        "The code is valid 5 minutes. It ends at expiry, with /elevate off or /new.",
      ].join("\n");
    }
    case "confirm": {
      const code = rest[0];
      if (!code || rest.length > 1) return "Usage: /elevate confirm <code>";
      const confirmed = await service.confirmElevation(ctx.sessionKey, code, by);
      if (!confirmed.ok) return `Elevated mode was not turned on: ${confirmed.reason}. Ask for a new code with /elevate on.`;
      return `Elevated mode is on for ${confirmed.elevation.minutes} min (until ${timeOf(confirmed.elevation.expiresAt)} UTC). End it with /elevate off.`;
    }
    case "off": {
      const ended = await service.endElevation(ctx.sessionKey, by, `ended by ${by}`);
      return ended ? "Elevated mode is off." : "Elevated mode was not on.";
    }
    default:
      return "Usage: /elevate on [minutes] [reason] · /elevate confirm <code> · /elevate off";
  }
}

/** /status lines: the session's elevation and its pending approvals (none when no service runs). */
export async function approvalStatusLines(ctx: CommandContext): Promise<string[]> {
  const service = ctx.approvals;
  if (!service) return [];
  const now = (ctx.now ?? Date.now)();
  const [elevation, pending] = await Promise.all([service.elevation(ctx.sessionKey), service.list({ status: ["pending"], sessionKey: ctx.sessionKey, limit: 5 })]);
  const lines = [elevationLine(elevation, now)];
  if (pending.length > 0) lines.push(`Waiting for approval: ${pending.length === 5 ? "5 or more" : pending.length}`, ...pending.map((r) => `• ${approvalLine(r, now)}`));
  return lines;
}

/** What /new and /reset do to elevated mode: end it (audited by the service). */
export async function endElevationOnNew(ctx: CommandContext): Promise<void> {
  await ctx.approvals?.endElevation(ctx.sessionKey, actorOf(ctx), "/new");
}

async function auditRefusal(ctx: CommandContext, cmd: ParsedCommand, reason = "sender is not an owner", request?: ApprovalRequest): Promise<void> {
  await ctx.store.audit.write({
    at: (ctx.now ?? Date.now)(), kind: cmd.name === "elevate" ? "elevation.refused" : "approval.refused", decision: "deny",
    runId: request?.runId, sessionKey: ctx.sessionKey, tool: request?.tool, reason,
    detail: { command: `/${cmd.name}`, args: clipLine(cmd.args, 80), channel: ctx.msg.channel, account: ctx.msg.account, senderId: ctx.msg.sender.id, ...(request ? { why: describeReason(request) } : {}) },
  });
}

function timeOf(at: number | undefined): string {
  return at === undefined ? "?" : new Date(at).toISOString().slice(11, 16);
}
