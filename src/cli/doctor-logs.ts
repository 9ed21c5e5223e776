// `pincer doctor` check of the gateway's log file: where it is, whether the gateway can write it, and how much it holds.
import { access, constants, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { gatewayLogPath } from "../config/log-file.ts";
import { existingLogFiles } from "../config/log-reader.ts";
import type { Check } from "./doctor-command.ts";

/** Never throws. A log not written yet is fine (the gateway creates it); one it cannot write fails. */
export async function checkLogFile(stateDir: string): Promise<Check> {
  const path = gatewayLogPath(stateDir);
  const fix = `make ${dirname(path)} and the files in it writable by this user (the gateway logs to stderr only meanwhile)`;
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return { name: "log file", status: "fail", detail: `${path} is not a file`, fix: `remove or rename ${path}` };
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return { name: "log file", status: "fail", detail: `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`, fix };
    return { name: "log file", status: "ok", detail: `${path} will be created when the gateway starts` };
  }
  try {
    await access(path, constants.W_OK);
    await access(dirname(path), constants.W_OK); // rotation renames files in the folder
  } catch (err) {
    return { name: "log file", status: "fail", detail: `${path} is not writable (${(err as NodeJS.ErrnoException).code ?? "error"})`, fix };
  }
  const files = existingLogFiles(path);
  let total = size;
  for (const file of files.slice(1)) total += (await stat(file).catch(() => ({ size: 0 }))).size;
  const rotated = files.length > 1 ? ` (${formatMiB(total)} in ${files.length} files)` : "";
  return { name: "log file", status: "ok", detail: `${path}: ${formatMiB(size)}${rotated}, writable; 'pincer logs' shows it` };
}

function formatMiB(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
