// The linked-device credentials on disk: where they live (a 0700 directory per account), loading them for Baileys,
// reading the linked number without connecting, and clearing them once WhatsApp has logged the device out.
import { chmod, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { jidDecode, useMultiFileAuthState } from "baileys";
import type { AuthenticationState } from "baileys";

export interface AuthFiles {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
}

/** `auth_dir` from the config (`~` expanded, relative to the state dir), else `<stateDir>/channels/whatsapp/<account>`. */
export function authDirOf(opts: { authDir?: string | undefined; stateDir: string; account: string }): string {
  const configured = opts.authDir?.trim();
  if (!configured) return join(opts.stateDir, "channels", "whatsapp", opts.account);
  const expanded = configured === "~" || configured.startsWith("~/") ? join(homedir(), configured.slice(1)) : configured;
  return resolve(opts.stateDir, expanded);
}

/** Loads (or starts) the credentials in `dir`, creating it readable by the owner only: its files are secrets. */
export async function openAuthState(dir: string): Promise<AuthFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return useMultiFileAuthState(dir);
}

/** The linked phone number (`+491701234567`) recorded in `dir`, without connecting; undefined when not linked. */
export async function readLinkedPhone(dir: string): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await readFile(join(dir, "creds.json"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const creds = JSON.parse(raw) as { me?: { id?: unknown } };
    return typeof creds.me?.id === "string" ? phoneOf(creds.me.id) : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes the credential files of a logged-out device (they can never connect again). Only touches a directory that
 * holds a `creds.json`, and only its `*.json` files, so a mistyped `auth_dir` cannot lose anything else. */
export async function clearAuthDir(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (!names.includes("creds.json")) return;
  await Promise.all(names.filter((n) => n.endsWith(".json")).map((n) => rm(join(dir, n), { force: true })));
}

/** `+<digits>` from a user jid such as `491701234567:12@s.whatsapp.net`. */
export function phoneOf(jid: string): string {
  const user = jidDecode(jid)?.user ?? jid.split(/[:@]/)[0] ?? jid;
  return /^\d+$/.test(user) ? `+${user}` : user;
}

/** The command that links (or re-links) this account. */
export function loginCommand(account: string): string {
  return `pincer channels login whatsapp --account ${account}`;
}
