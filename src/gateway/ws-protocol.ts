// The `/ws` wire protocol: zod schemas for client→server frames, types for server→client frames, and the pure
// mappings from run events and transcript rows to frames. No sockets here; ws-server.ts owns the connection.
import { z } from "zod";
import type { ApprovalRequest, ApprovalStatus, RunStatus, TranscriptMessage, Usage } from "../core/domain.ts";
import { TOOL_PREVIEW_CHARS, type RunEvent } from "../core/events.ts";
import { parseSessionKey } from "../core/ids.ts";

/** Bumped on any incompatible change to a frame; sent in `hello`. */
export const PROTOCOL_VERSION = 1;

const requestId = z.union([z.string().min(1).max(128), z.number().int()]);
const sessionKey = z.string().max(512).refine((s) => parseSessionKey(s) !== undefined, "expected a session key agent:<agent>:<channel>:<dm|group|thread>:<peer>");
const limit = (max: number) => z.number().int().min(1).max(max).optional();

/** Image types a chat.send may attach, as vision models take them. */
export const ATTACHMENT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
/** Largest attached image (decoded bytes) and images per message. */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const MAX_ATTACHMENTS = 4;
/** Decoded bytes of all images of one message, at most. */
export const MAX_MESSAGE_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Largest base64 text of one attachment. */
const MAX_ATTACHMENT_BASE64 = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;

const attachmentSchema = z.object({
  type: z.literal("image"),
  mimeType: z.enum(ATTACHMENT_TYPES, { error: `expected one of ${ATTACHMENT_TYPES.join(", ")}` }),
  /** The file's bytes, base64 (standard alphabet, padded). */
  data: z.string().min(1).max(MAX_ATTACHMENT_BASE64, `an image may be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`).regex(/^[A-Za-z0-9+/]+={0,2}$/, "expected base64"),
  name: z.string().max(200).optional(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const authFrameSchema = z.object({
  type: z.literal("auth"),
  token: z.string().min(1).max(4096),
  /** Names this client; becomes the peer id of its default session. */
  client: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 letters, digits, '.', '_' or '-'").optional(),
});

export const clientFrameSchema = z.discriminatedUnion("type", [
  authFrameSchema,
  z.object({
    type: z.literal("chat.send"),
    id: requestId,
    session: sessionKey.optional(),
    agent: z.string().min(1).max(64).optional(),
    /** Client-chosen id of this message (e.g. a UUID); a resend with the same id after a reconnect starts no second run. */
    messageId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "expected 1-128 letters, digits, '.', '_', ':' or '-'").optional(),
    text: z.string(),
    /** Images sent with the message (pasted or picked); they reach the model like a channel's photos. */
    attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} images per message`).optional(),
  }).refine((f) => f.text.trim().length > 0 || (f.attachments?.length ?? 0) > 0, { message: "the message text is empty", path: ["text"] }),
  z.object({ type: z.literal("chat.abort"), id: requestId, session: sessionKey }),
  z.object({ type: z.literal("sessions.list"), id: requestId, limit: limit(500) }),
  z.object({ type: z.literal("sessions.history"), id: requestId, session: sessionKey, limit: limit(1000) }),
  z.object({
    type: z.literal("approval.answer"), id: requestId, approvalId: z.string().min(1).max(128), decision: z.enum(["approve", "deny"]),
    /** With approve: also allow this tool (with this binary, host or server tool) from now on. */
    always: z.boolean().optional(),
  }).refine((f) => !(f.always && f.decision === "deny"), { message: "always applies to approve only", path: ["always"] }),
  z.object({ type: z.literal("ping"), id: requestId }),
]);

export type RequestId = z.infer<typeof requestId>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type AuthFrame = z.infer<typeof authFrameSchema>;

export type ErrorCode =
  | "bad_frame"
  | "unauthorized"
  | "not_found"
  | "rate_limited"
  | "model_unavailable"
  | "unknown_approval"
  /** approval.answer for a request answered already or expired. */
  | "approval_closed"
  /** approval.answer where no approval service runs. */
  | "unavailable"
  | "internal";

/** `command`: the text was a chat command (/status, /new …), answered in the ack's `reply` without a run. */
export type Disposition = "started" | "queued" | "merged" | "steered" | "interrupting" | "duplicate" | "command";

export interface SessionSummary {
  key: string;
  agentId: string;
  channel: string;
  /** From the conversation's first message, or set by the user; absent until there is one. */
  title?: string;
  createdAt: number; // epoch ms
  updatedAt: number; // epoch ms
}

/** Structured content of a history message: what a client needs to show it as it looked live. */
export type HistoryPart =
  | { type: "text"; text: string }
  /** An image the user sent (a path in the agent's workspace). */
  | { type: "image"; path: string }
  | { type: "tool_call"; callId: string; name: string; args: unknown }
  /** `preview`: the first TOOL_PREVIEW_CHARS of the result, as `run.tool_end` carries it. `decision` from the audit log. */
  | { type: "tool_result"; callId: string; name: string; isError: boolean; decision: "allow" | "deny"; preview: string };

export interface HistoryMessage {
  role: "user" | "assistant" | "tool";
  /** Display text: text parts joined, tool calls and results summarized in brackets (for clients that ignore `parts`). */
  text: string;
  createdAt: number; // epoch ms
  /** The run that wrote it; absent for messages no run wrote. */
  runId?: string;
  parts?: HistoryPart[];
}

/** A run of the session within the history's window, with its outcome. `input` only for runs that left no message. */
export interface HistoryRun {
  runId: string;
  status: RunStatus;
  createdAt: number; // epoch ms
  finishedAt?: number;
  errorCode?: string;
  error?: string;
  input?: string;
}

/** Server→client frames. Contract: for one connection, `ack` of a chat.send precedes that run's `run.started`,
 * and `run.final` is the last frame of a run. */
export type ServerFrame =
  | { type: "hello"; protocol: number; serverVersion: string; defaultAgent: string; defaultSession: string }
  /** A `duplicate` ack carries the run that took the first delivery (`runId`) and its status, when one did. */
  | { type: "ack"; id: RequestId; runId?: string; disposition?: Disposition; session?: string; runStatus?: RunStatus; command?: string; reply?: string; approvalStatus?: ApprovalStatus }
  | { type: "run.started"; runId: string; session: string; agent: string }
  | { type: "run.delta"; runId: string; session: string; text: string }
  | { type: "run.tool_start"; runId: string; session: string; callId: string; name: string; args: unknown }
  | { type: "run.tool_end"; runId: string; session: string; callId: string; name: string; isError: boolean; decision: "allow" | "deny"; preview: string }
  | { type: "run.final"; runId: string; session: string; status: RunStatus; reply: string; usage: Usage; errorCode?: string; error?: string }
  | { type: "sessions"; id: RequestId; sessions: SessionSummary[] }
  | { type: "history"; id: RequestId; session: string; messages: HistoryMessage[]; runs?: HistoryRun[] }
  /** A tool call of the run waits for an answer (approval.answer, the API, a chat owner's /approve). */
  | { type: "approval.requested"; runId: string; session: string; request: ApprovalRequest }
  /** Its answer: approved (once or always), denied or expired. */
  | { type: "approval.answered"; runId: string; session: string; request: ApprovalRequest }
  | { type: "error"; id?: RequestId; code: ErrorCode; message: string; path?: string }
  | { type: "pong"; id: RequestId };

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; id?: RequestId; message: string; path?: string };

/** Parses one text frame. Contract: never throws; a failure names the offending field's path. */
export function parseClientFrame(text: string): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: "the frame is not valid JSON" };
  }
  const id = requestId.safeParse((raw as { id?: unknown } | null)?.id);
  const result = clientFrameSchema.safeParse(raw);
  if (result.success) return { ok: true, frame: result.data };
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : undefined;
  const detail = issue?.code === "invalid_union" && path === "type" ? `expected one of ${frameTypes().join(", ")}` : (issue?.message ?? "invalid frame");
  return { ok: false, ...(id.success ? { id: id.data } : {}), message: path ? `${path}: ${detail}` : detail, ...(path ? { path } : {}) };
}

function frameTypes(): string[] {
  return clientFrameSchema.options.map((o) => o.shape.type.value);
}

/** Maps a run event of a known session to its frame; events clients don't see (failover, steps) map to undefined. */
export function toRunFrame(event: RunEvent, session: string): ServerFrame | undefined {
  switch (event.type) {
    case "run_started":
      return { type: "run.started", runId: event.runId, session, agent: event.agentId };
    case "text_delta":
      return { type: "run.delta", runId: event.runId, session, text: event.text };
    case "tool_call_start":
      return { type: "run.tool_start", runId: event.runId, session, callId: event.callId, name: event.name, args: event.args };
    case "tool_call_end":
      return { type: "run.tool_end", runId: event.runId, session, callId: event.callId, name: event.name, isError: event.isError, decision: event.decision, preview: event.preview };
    case "approval_requested":
    case "approval_answered":
      return { type: event.type === "approval_requested" ? "approval.requested" : "approval.answered", runId: event.runId, session, request: event.request };
    case "run_finished":
      return {
        type: "run.final",
        runId: event.runId,
        session,
        status: event.status,
        reply: event.reply,
        usage: event.usage,
        ...(event.errorCode ? { errorCode: event.errorCode, error: event.error ?? "" } : {}),
      };
    default:
      return undefined;
  }
}

type Part = { type?: string; text?: string; toolName?: string; toolCallId?: string; input?: unknown; output?: { type?: string; value?: unknown } };


const IMAGE_MARKER = /\[image: ([^\]\n]+)\]\n?/g;

/**
 * Stored AI SDK messages → history messages: `text` flattened as before, `parts` structured. `decisions` maps a tool
 * call id to the tool gate's decision (from the audit log); a call without one counts as allowed.
 */
export function toHistoryMessages(rows: TranscriptMessage[], decisions: ReadonlyMap<string, "allow" | "deny"> = new Map()): HistoryMessage[] {
  return rows.map((row) => {
    const body = (row.content as { content?: unknown } | null)?.content;
    return {
      role: row.role,
      text: flattenContent(body),
      createdAt: row.createdAt,
      ...(row.runId ? { runId: row.runId } : {}),
      parts: toParts(row.role, body, decisions),
    };
  });
}

function toParts(role: HistoryMessage["role"], body: unknown, decisions: ReadonlyMap<string, "allow" | "deny">): HistoryPart[] {
  if (typeof body === "string") return role === "user" ? userParts(body) : [{ type: "text", text: body }];
  if (!Array.isArray(body)) return [];
  const parts: HistoryPart[] = [];
  for (const part of body as Part[]) {
    if (part.type === "text" && part.text) parts.push(...(role === "user" ? userParts(part.text) : [{ type: "text" as const, text: part.text }]));
    else if (part.type === "tool-call") parts.push({ type: "tool_call", callId: part.toolCallId ?? "", name: part.toolName ?? "?", args: part.input ?? {} });
    else if (part.type === "tool-result") {
      const callId = part.toolCallId ?? "";
      parts.push({
        type: "tool_result", callId, name: part.toolName ?? "?", isError: part.output?.type === "error-text" || part.output?.type === "error-json",
        decision: decisions.get(callId) ?? "allow", preview: outputText(part.output).slice(0, TOOL_PREVIEW_CHARS),
      });
    }
  }
  return parts;
}

/** A user's text with its `[image: …]` markers (written for images the user sent) as image parts. */
function userParts(text: string): HistoryPart[] {
  const images = [...text.matchAll(IMAGE_MARKER)].map((m): HistoryPart => ({ type: "image", path: m[1]!.trim() }));
  const rest = text.replace(IMAGE_MARKER, "").trim();
  return [...(rest ? [{ type: "text" as const, text: rest }] : []), ...images];
}

function flattenContent(body: unknown): string {
  if (typeof body === "string") return body;
  if (!Array.isArray(body)) return "";
  return (body as Part[])
    .map((part) => {
      if (part.type === "text") return part.text ?? "";
      if (part.type === "reasoning") return "";
      if (part.type === "tool-call") return `[tool call ${part.toolName ?? "?"} ${clip(JSON.stringify(part.input ?? {}), 200)}]`;
      if (part.type === "tool-result") return `[tool result ${part.toolName ?? "?"}: ${clip(outputText(part.output), 200)}]`;
      return `[${part.type ?? "part"}]`;
    })
    .filter((s) => s.length > 0)
    .join("\n");
}

function outputText(output: Part["output"]): string {
  const value = output?.value;
  return typeof value === "string" ? value : JSON.stringify(value ?? "");
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
