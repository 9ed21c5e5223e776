// The one error type of registry installs: registry answers, refused bundles, moderation and scanner refusals, and
// install-state conflicts. Callers branch on `code`; the message is written for the user (what, where, how to fix).

export type SkillErrorCode =
  /** The registry has no such skill or version. */
  | "not_found"
  /** The registry flags the skill as malicious, or refused the download (403). */
  | "malicious"
  /** The registry flags the skill as suspicious and `force` was not given. */
  | "suspicious"
  /** The registry answered something else that is not a success (410, 5xx, a wrong shape, …). */
  | "registry"
  /** The registry kept answering 429 after the allowed waits. */
  | "rate_limited"
  /** The registry could not be reached, or did not answer in time. */
  | "network"
  /** The bundle is not a safe ZIP of a skill (paths, links, sizes, methods, SKILL.md). */
  | "invalid_bundle"
  /** The scanner blocked the skill. */
  | "scan_blocked"
  /** A skill of that name is installed already (install), or the name is taken by a folder the lock does not know. */
  | "exists"
  /** No installed skill of that name. */
  | "not_installed"
  /** The installed files were edited since install; update needs `force`. */
  | "local_edits"
  /** A grant or revoke names something the skill does not declare or was not granted. */
  | "invalid_grant"
  /** Another install, update or removal held the skills folder too long. */
  | "busy"
  | "aborted";

export class SkillError extends Error {
  override readonly name = "SkillError";
  readonly code: SkillErrorCode;
  /** The registry's HTTP status, when the error is an answer of the registry. */
  readonly status: number | undefined;

  constructor(code: SkillErrorCode, message: string, opts?: { status?: number; cause?: unknown }) {
    super(message, { cause: opts?.cause });
    this.code = code;
    this.status = opts?.status;
  }
}

export function isSkillError(err: unknown): err is SkillError {
  return err instanceof SkillError;
}
