// One writer at a time in the managed skills folder: installs, updates, removals and grant changes of any process
// take `<state>/skills/.mutex` (created with O_EXCL, holding the owner's pid) around their read-modify-write of the
// folder and the lock file. A mutex left by a process that died is taken over.
import { constants } from "node:fs";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { managedSkillsDir, readSkillLock, writeSkillLock, type SkillLock } from "./skill-lock.ts";
import { SkillError } from "./skill-errors.ts";

const MUTEX_FILE = ".mutex";
/** ms between tries while another writer holds the mutex */
const POLL_MS = 25;

/** Runs `fn` holding the skills folder's mutex; waits up to `waitMs` (default 60 s) for another holder to finish. */
export async function withSkillsMutex<T>(stateDir: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
  const dir = managedSkillsDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, MUTEX_FILE);
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    if (await tryCreate(path)) break;
    if (await holderIsGone(path)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new SkillError("busy", `another install, update or removal holds ${path}. Fix: wait for it to finish; if no pincer command is running, remove that file`);
    }
    await delay(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/** Reads the lock, lets `change` edit it, writes it back — all under the mutex. Returns what `change` returns. */
export async function updateSkillLock<T>(stateDir: string, change: (lock: SkillLock) => T | Promise<T>): Promise<T> {
  return withSkillsMutex(stateDir, async () => {
    const lock = await readSkillLock(stateDir);
    const result = await change(lock);
    await writeSkillLock(stateDir, lock);
    return result;
  });
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** True when the pid in the mutex names no running process (a holder that crashed). */
async function holderIsGone(path: string): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return false;
  const pid = Number(text.trim());
  // Being written right now: the holder created the file but has not written its pid yet.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
