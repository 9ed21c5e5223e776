// Typed errors shared by every layer: setup (ConfigError), remote (ProviderError), tool and user-input errors.
// Callers branch on `code`, never on message text.

/** A user-fixable setup problem: bad file, key path, missing credential. Reported without a stack; exit 78. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly keyPath: string | undefined;
  readonly problem: string;
  readonly fix: string | undefined;

  constructor(opts: { problem: string; file?: string; line?: number; keyPath?: string; fix?: string; cause?: unknown }) {
    super(formatConfigMessage(opts), { cause: opts.cause });
    this.file = opts.file;
    this.line = opts.line;
    this.keyPath = opts.keyPath;
    this.problem = opts.problem;
    this.fix = opts.fix;
  }
}

function formatConfigMessage(opts: { problem: string; file?: string; line?: number; keyPath?: string; fix?: string }): string {
  const where = opts.file ? `${opts.file}${opts.line ? `:${opts.line}` : ""}` : "";
  const head = [where, opts.keyPath].filter(Boolean).join(" ");
  const body = head ? `${head}: ${opts.problem}` : opts.problem;
  return opts.fix ? `${body}. Fix: ${opts.fix}` : body;
}

export type ProviderErrorCode =
  | "rate_limited"
  | "server_error"
  | "timeout"
  | "auth_failed"
  | "missing_credential"
  | "bad_request"
  | "network"
  | "unknown_provider"
  | "aborted"
  /** A budget with `action: block` is used up: no model call was made. */
  | "budget_exceeded";

/** A model provider call failed. `retryable` says whether failover to another credential/model may help. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly status: number | undefined;

  constructor(opts: {
    code: ProviderErrorCode;
    message: string;
    retryable?: boolean;
    retryAfterMs?: number;
    provider?: string;
    model?: string;
    status?: number;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.code = opts.code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.provider = opts.provider;
    this.model = opts.model;
    this.status = opts.status;
  }
}

export type ToolErrorCode =
  | "denied"
  | "path_escape"
  | "not_found"
  | "invalid_args"
  | "exec_failed"
  | "timeout"
  | "too_large"
  | "blocked_address"
  | "fetch_failed"
  | "no_match"
  | "ambiguous_match"
  | "protected_path"
  | "limit";

/** A tool refused or failed. Becomes a tool result with isError: true so the model can recover. */
export class ToolError extends Error {
  override readonly name = "ToolError";
  readonly code: ToolErrorCode;

  constructor(code: ToolErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, { cause: opts?.cause });
    this.code = code;
  }
}

/** Bad input from a user or API client: the message names the field and what to fix. */
export class InputError extends Error {
  override readonly name = "InputError";
  readonly field: string | undefined;

  constructor(message: string, opts?: { field?: string }) {
    super(message);
    this.field = opts?.field;
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

export type ChannelErrorCode =
  | "auth_failed"
  | "rate_limited"
  | "forbidden"
  | "not_found"
  | "bad_request"
  | "too_large"
  | "unavailable"
  | "network"
  | "conflict";

/** A chat platform call failed. `retryable` says whether sending again later may succeed (429, 5xx, network). */
export class ChannelError extends Error {
  override readonly name = "ChannelError";
  readonly code: ChannelErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly channel: string;
  /** The platform method or endpoint, e.g. `sendMessage`, `chat.postMessage`. */
  readonly method: string | undefined;
  readonly status: number | undefined;

  constructor(opts: {
    code: ChannelErrorCode;
    message: string;
    channel: string;
    method?: string;
    status?: number;
    retryable?: boolean;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.code = opts.code;
    this.channel = opts.channel;
    this.method = opts.method;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable = opts.retryable ?? ["rate_limited", "unavailable", "network"].includes(opts.code);
  }
}
