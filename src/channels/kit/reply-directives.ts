// What a model's reply asks of delivery, read from the text itself: reply-to tags (`[[reply_to_current]]`,
// `[[reply_to:<id>]]`), `MEDIA: <path>` lines for files, the silent `NO_REPLY`, and a heartbeat's `HEARTBEAT_OK`. Pure.

export interface ReplyPlan {
  /** The text to send, tags and MEDIA lines removed. */
  text: string;
  /** Send nothing at all (`NO_REPLY`, or nothing left). */
  silent: boolean;
  /** `current`: quote the message that triggered the run; an id: quote that platform message. */
  replyTo: "current" | string | undefined;
  /** Files to send, as written after `MEDIA:` (resolved against the agent's workspace by the sender). */
  media: string[];
}

export const SILENT_TOKEN = "NO_REPLY";
/** A heartbeat's "nothing needs the user": never delivered, for heartbeat runs only (a chat reply saying it is sent). */
export const HEARTBEAT_OK = "HEARTBEAT_OK";

/** Whether a reply is `HEARTBEAT_OK`, trimmed, optionally followed by punctuation (`HEARTBEAT_OK.`). */
export function isHeartbeatOk(reply: string): boolean {
  return /^HEARTBEAT_OK[.!?。…]*$/.test(reply.trim());
}

const REPLY_TAG = /\[\[\s*reply_to(?:_current|\s*:\s*([^\]\s]+))\s*\]\]/g;
const MEDIA_LINE = /^[ \t]*MEDIA:[ \t]*(\S.*?)[ \t]*$/gm;

export function planReply(reply: string): ReplyPlan {
  let replyTo: ReplyPlan["replyTo"];
  let text = reply.replace(REPLY_TAG, (_all, id: string | undefined) => {
    replyTo ??= id ?? "current";
    return "";
  });
  const media: string[] = [];
  text = text.replace(MEDIA_LINE, (_all, path: string) => {
    media.push(path.replace(/^`|`$/g, ""));
    return "";
  });
  text = text.replace(/\n{3,}/g, "\n\n").trim();
  const silent = (text === SILENT_TOKEN || text === "") && media.length === 0;
  if (text === SILENT_TOKEN) text = "";
  return { text, silent, replyTo, media };
}
