// Where `pincer approvals` and `pincer elevate` act: the running gateway's API (`/api/v1/approvals…`, as operator:cli)
// when it runs, else the approval service of an app opened on the store (a waiting run in a gateway that is starting
// or on a worker picks the answer up from the store). One interface for both, so the commands word results once.
import type { ApprovalRequest, ApprovalRule, ApprovalStatus, Elevation } from "../core/domain.ts";
import type { AnswerResult, ApprovalService } from "../routing/approval-service.ts";
import type { GatewayClient } from "./gateway-client.ts";
import { CliFailure } from "./output.ts";

export type ElevateResult = { ok: true; code: string; minutes: number } | { ok: false; reason: string };
export type ConfirmResult = { ok: true; elevation: Elevation } | { ok: false; reason: string };

export interface ApprovalsTarget {
  /** `gateway <url>` or `store`: said in human output, so the user knows which answered. */
  via: string;
  list(opts: { status: ApprovalStatus[]; limit: number }): Promise<ApprovalRequest[]>;
  answer(id: string, decision: "approve" | "deny", always: boolean): Promise<AnswerResult>;
  rules(): Promise<ApprovalRule[]>;
  revoke(id: string): Promise<boolean>;
  elevate(session: string, opts: { minutes?: number; reason?: string }): Promise<ElevateResult>;
  confirm(session: string, code: string): Promise<ConfirmResult>;
  end(session: string): Promise<Elevation | undefined>;
}

export const CLI_ACTOR = "operator:cli";

/** The approval service of an app opened on the store. */
export function serviceTarget(service: ApprovalService): ApprovalsTarget {
  return {
    via: "store",
    list: (o) => service.list(o),
    answer: (id, decision, always) => service.answer(id, { decision, ...(always ? { always: true } : {}) }, CLI_ACTOR),
    rules: () => service.rules(),
    revoke: (id) => service.revokeRule(id, CLI_ACTOR),
    elevate: (session, o) => service.elevate(session, { ...o, by: CLI_ACTOR }),
    confirm: (session, code) => service.confirmElevation(session, code, CLI_ACTOR),
    end: (session) => service.endElevation(session, CLI_ACTOR, `ended by ${CLI_ACTOR}`),
  };
}

interface ErrorBody {
  error?: { type?: string; message?: string };
  request?: ApprovalRequest;
}

/** The running gateway's API. Contract: a 404 for the session and the gateway's refusals are CliFailures naming why. */
export function gatewayTarget(client: GatewayClient): ApprovalsTarget {
  const headers = { "x-pincer-client": "cli" };
  const call = async (path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> => {
    const res = await client.request(`/api/v1${path}`, { ...init, headers });
    const body = await res.json().catch(() => ({}));
    if (res.status === 503 || res.status === 400 || res.status >= 500) throw new CliFailure(`the gateway refused: ${(body as ErrorBody).error?.message ?? `HTTP ${res.status}`}`);
    return { status: res.status, body };
  };
  const session = (key: string): string => `/sessions/${encodeURIComponent(key)}`;
  const sessionFound = (status: number, key: string): void => {
    if (status === 404) throw new CliFailure(`no session "${key}". See 'pincer sessions list'`);
  };
  return {
    via: `gateway ${client.url}`,
    async list(o) {
      return (await call(`/approvals?status=${o.status.join(",")}&limit=${o.limit}`)).body.data as ApprovalRequest[];
    },
    async answer(id, decision, always) {
      const { status, body } = await call(`/approvals/${encodeURIComponent(id)}`, { json: { decision, ...(always ? { always: true } : {}) } });
      if (status === 200) return { ok: true, request: body.request as ApprovalRequest };
      if (status === 404) return { ok: false, reason: "unknown" };
      const b = body as ErrorBody;
      return { ok: false, reason: b.error?.type === "expired" ? "expired" : "answered", ...(b.request ? { request: b.request } : {}) };
    },
    async rules() {
      return (await call("/approval-rules")).body.data as ApprovalRule[];
    },
    async revoke(id) {
      return (await call(`/approval-rules/${encodeURIComponent(id)}`, { method: "DELETE" })).status === 200;
    },
    async elevate(key, o) {
      const { status, body } = await call(`${session(key)}/elevate`, { json: o });
      sessionFound(status, key);
      return status === 200 ? { ok: true, code: body.code as string, minutes: body.minutes as number } : { ok: false, reason: (body as ErrorBody).error?.message ?? `HTTP ${status}` };
    },
    async confirm(key, code) {
      const { status, body } = await call(`${session(key)}/elevate/confirm`, { json: { code } });
      sessionFound(status, key);
      return status === 200 ? { ok: true, elevation: body.elevation as Elevation } : { ok: false, reason: (body as ErrorBody).error?.message ?? `HTTP ${status}` };
    },
    async end(key) {
      const { status, body } = await call(`${session(key)}/elevate`, { method: "DELETE" });
      sessionFound(status, key);
      return (body.elevation as Elevation | null) ?? undefined;
    },
  };
}
