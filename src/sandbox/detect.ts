// Finds a working bubblewrap and picks the Sandbox implementation for policy.exec.sandbox.
// Detection runs bwrap for real once per call; the caller keeps the promise (no module-level cache).
import { access, constants } from "node:fs/promises";
import { ConfigError } from "../core/errors.ts";
import { createBubblewrapSandbox } from "./bubblewrap-sandbox.ts";
import { createHostSandbox } from "./host-sandbox.ts";
import { runProcess } from "./run-process.ts";
import type { Sandbox } from "./sandbox.ts";

export interface BubblewrapDetection {
  available: boolean;
  /** The bwrap binary that worked. */
  path?: string;
  /** Why bubblewrap cannot be used, with a fix. */
  reason?: string;
}

export interface DetectBubblewrapOptions {
  /** Where to look for bwrap, in order. */
  candidates?: string[];
  platform?: NodeJS.Platform;
}

const DEFAULT_CANDIDATES = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];
/** The namespaces and mounts every sandboxed exec uses: if these work, exec will. */
const PROBE_ARGS = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all", "--die-with-parent", "--new-session", "true"];
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Checks that bubblewrap is installed and can create the namespaces the sandbox needs.
 * Contract: never rejects; call it once and share the promise.
 */
export async function detectBubblewrap(opts: DetectBubblewrapOptions = {}): Promise<BubblewrapDetection> {
  if ((opts.platform ?? process.platform) !== "linux") return { available: false, reason: "bubblewrap needs Linux" };
  const path = await findExecutable(opts.candidates ?? DEFAULT_CANDIDATES);
  if (!path) {
    return { available: false, reason: "bwrap not found. Fix: install bubblewrap (e.g. apt install bubblewrap)" };
  }
  const probe = await runProcess({ file: path, args: PROBE_ARGS, cwd: "/", env: { PATH: "/usr/bin:/bin" }, timeoutMs: PROBE_TIMEOUT_MS, outputCapBytes: 4096 });
  if (probe.exitCode === 0) return { available: true, path };
  const why = probe.timedOut ? "timed out" : probe.stderr.trim().split("\n")[0] || `exit code ${probe.exitCode}`;
  return {
    available: false,
    path,
    reason: `${path} cannot create a sandbox (${why}). Fix: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor userns restriction on Ubuntu 24.04+)`,
  };
}

async function findExecutable(candidates: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    const ok = await access(candidate, constants.X_OK).then(() => true, () => false);
    if (ok) return candidate;
  }
  return undefined;
}

/**
 * The Sandbox for policy.exec.sandbox `auto` without a probe at start-up: bubblewrap is detected when the first
 * command runs (one spawn that most gateway starts never need), then the choice is kept. Until then `name` is
 * `bubblewrap`, what `auto` prefers.
 */
export function createDeferredSandbox(detect: () => Promise<BubblewrapDetection>, opts: { path?: string } = {}): Sandbox {
  let chosen: Sandbox | undefined;
  let choosing: Promise<Sandbox> | undefined;
  return {
    get name() {
      return chosen?.name ?? "bubblewrap";
    },
    async exec(execOpts) {
      choosing ??= detect().then((detected) => (chosen = createSandbox("auto", detected, opts)));
      return (await choosing).exec(execOpts);
    },
  };
}

/**
 * Picks the Sandbox for policy.exec.sandbox: `auto` prefers bubblewrap and falls back to host.
 * Throws ConfigError when `bubblewrap` is demanded but unusable.
 */
export function createSandbox(mode: "auto" | "bubblewrap" | "host", detected: BubblewrapDetection, opts: { path?: string } = {}): Sandbox {
  if (mode === "host") return createHostSandbox(opts);
  if (detected.available && detected.path) return createBubblewrapSandbox({ bwrapPath: detected.path, path: opts.path });
  if (mode === "auto") return createHostSandbox(opts);
  throw new ConfigError({
    keyPath: "policy.exec.sandbox",
    problem: `bubblewrap is not usable: ${detected.reason ?? "not detected"}`,
    fix: "install bubblewrap, or set policy.exec.sandbox to auto (falls back to host) or host",
  });
}
