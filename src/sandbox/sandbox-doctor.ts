// `pincer doctor` checks for what confines a sandboxed command: the host user it runs as (never root) and
// its resource limits. Whether bubblewrap works is checked by the doctor command itself (detect.ts).
import type { Policy } from "../core/config-schema.ts";
import { findConfineHelpers, NOBODY, pickSandboxUser, type ConfineHelpers } from "./confinement.ts";

export interface SandboxCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

export interface SandboxDoctorOptions {
  exec: Policy["exec"];
  /** The agents' workspaces. */
  workspaces: string[];
  /** The gateway's uid (process.getuid()). */
  gatewayUid: number | undefined;
  /** Default: looked up like the sandboxes do. */
  helpers?: ConfineHelpers;
}

/** Who commands run as, and which limits apply. Never throws. */
export async function checkConfinement(opts: SandboxDoctorOptions): Promise<SandboxCheck[]> {
  const helpers = opts.helpers ?? (await findConfineHelpers());
  return [await checkUser(opts, helpers), checkLimits(opts.exec.limits, helpers)];
}

async function checkUser(opts: SandboxDoctorOptions, helpers: ConfineHelpers): Promise<SandboxCheck> {
  if (opts.gatewayUid !== 0) {
    return { name: "sandbox user", status: "ok", detail: `commands run as uid ${opts.gatewayUid ?? "?"}, the gateway's own user, without capabilities` };
  }
  const lines: string[] = [];
  for (const ws of opts.workspaces) {
    // A workspace not created yet will be root's.
    const user = (await pickSandboxUser(ws, 0).catch(() => undefined)) ?? { ...NOBODY, rootOwnedWorkspace: true };
    lines.push(user.rootOwnedWorkspace ? `${ws}: as nobody (${NOBODY.uid}), which can only read what is world-readable there` : `${ws}: as its owner, uid ${user.uid}`);
  }
  const noSetpriv = helpers.setpriv
    ? ""
    : "; setpriv (util-linux) is missing, so commands are uid 65534 only inside a user namespace: the host kernel still sees root, and the process limit does not apply";
  return {
    name: "sandbox user",
    status: "warn",
    detail: `pincer runs as root. Sandboxed commands never do: ${lines.join("; ")}${noSetpriv}`,
    fix: "run the gateway as an unprivileged user (systemd User=, docker run --user); or give a workspace to the user its commands should run as (chown -R 65534:65534 <workspace>)",
  };
}

function checkLimits(l: Policy["exec"]["limits"], helpers: ConfineHelpers): SandboxCheck {
  if (!helpers.prlimit) {
    return { name: "exec limits", status: "warn", detail: "prlimit (util-linux) not found: policy.exec.limits are not applied", fix: "install util-linux" };
  }
  return {
    name: "exec limits",
    status: "ok",
    detail: `per process ${l.memory_mb} MiB memory, ${l.file_size_mb} MiB per file, ${l.cpu_seconds} s CPU, ${l.open_files} open files; ${l.processes} processes per user (policy.exec.limits)`,
  };
}
