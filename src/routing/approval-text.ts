// Pure wording of approvals and elevations as chats and the terminal show them: why a call waits, how long is left,
// the notice an owner gets, one line per request, what elevated mode allows. No I/O.
import type { ApprovalRequest, Elevation } from "../core/domain.ts";

/** Characters of a request's (already redacted) summary a chat notice shows. */
export const NOTICE_SUMMARY_CHARS = 400;

/** `3 min`, `1 h 20 min`, `45 s`; never negative. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

/** Why the call waits: the policy rule, exec level or the untrusted sources that tainted the run. */
export function describeReason(request: Pick<ApprovalRequest, "reason" | "tool" | "taintSources">): string {
  switch (request.reason) {
    case "ask":
      return `policy.tools.ask lists ${request.tool}`;
    case "exec":
      return "the binary is not in policy.exec.safe_bins (exec level ask)";
    case "taint": {
      const sources = (request.taintSources ?? []).map((s) => s.label);
      const shown = sources.slice(0, 3).join("; ");
      const more = sources.length > 3 ? ` and ${sources.length - 3} more` : "";
      return `the run holds untrusted content${shown ? ` (${shown}${more})` : ""}`;
    }
  }
}

/** A single line, at most `max` characters (control characters and runs of whitespace flattened). */
export function clipLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The chat message an owner gets when a call waits: tool, summary, why, and the three answers. */
export function approvalNoticeText(request: ApprovalRequest, now: number): string {
  return [
    `Approval needed (${request.id}): ${request.tool}`,
    clipLine(request.summary, NOTICE_SUMMARY_CHARS),
    `Why: ${describeReason(request)}.`,
    `Session: ${request.sessionKey}. Expires in ${formatDuration(request.expiresAt - now)}.`,
    `Answer: /approve ${request.id} · /approve ${request.id} always · /deny ${request.id}`,
  ].join("\n");
}

/** One request as a line: `ap_x exec "git push" (policy.tools.ask lists exec), expires in 8 min`. */
export function approvalLine(request: ApprovalRequest, now: number): string {
  const state = request.status === "pending"
    ? `expires in ${formatDuration(request.expiresAt - now)}`
    : `${request.status}${request.answer === "always" ? " (always)" : ""}${request.answeredBy ? ` by ${request.answeredBy}` : ""}`;
  return `${request.id} ${request.tool} "${clipLine(request.summary, 80)}", ${state}`;
}

/** What elevated mode allows, for the `/elevate on` answer and the confirm dialog. */
export function elevationEffects(allow: readonly string[]): string {
  const extra = allow.length > 0 ? `; these tools are allowed too: ${allow.join(", ")}` : "";
  return `exec runs on the host instead of the sandbox${extra}. Blocked binaries and deny rules still apply`;
}

/** `Elevated: on, 12 min left (reason: deploy)` or `Elevated: off`. */
export function elevationLine(elevation: Elevation | undefined, now: number): string {
  if (elevation?.status !== "active" || elevation.expiresAt === undefined) return "Elevated: off";
  return `Elevated: on, ${formatDuration(elevation.expiresAt - now)} left${elevation.reason ? ` (reason: ${clipLine(elevation.reason, 120)})` : ""}`;
}
