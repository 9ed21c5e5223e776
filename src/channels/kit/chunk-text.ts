// Splits a reply into messages a platform accepts: on a paragraph break, else a line break, else a sentence end,
// else a space, else hard at the limit. A code fence cut in two is closed and reopened, so both halves render.

const FENCE = /^```([^\n`]*)$/gm;
// Room kept for the fence closed at a cut ("\n```") and reopened ("```lang\n").
const FENCE_ROOM = 24;

/** Contract: every chunk is at most `limit` characters and non-empty; joining them keeps every non-space character. */
export function chunkText(text: string, limit: number): string[] {
  if (limit < 50) throw new RangeError(`chunk limit must be at least 50 characters, got ${limit}`);
  const chunks: string[] = [];
  let rest = text.trim();
  let reopen = "";
  while (rest.length > 0) {
    rest = reopen + rest;
    reopen = "";
    if (rest.length <= limit) {
      chunks.push(rest);
      break;
    }
    const cut = findCut(rest, limit - FENCE_ROOM);
    let head = rest.slice(0, cut).trimEnd();
    rest = rest.slice(cut).trimStart();
    const open = openFence(head);
    if (open !== undefined) {
      head += "\n```";
      reopen = "```" + open + "\n";
    }
    if (head.trim()) chunks.push(head);
  }
  return chunks;
}

/** The language of a code fence left open at the end of `text`, or undefined when fences are balanced. */
function openFence(text: string): string | undefined {
  let open: string | undefined;
  for (const m of text.matchAll(FENCE)) open = open === undefined ? (m[1] ?? "") : undefined;
  return open;
}

function findCut(text: string, limit: number): number {
  const window = text.slice(0, limit);
  const floor = Math.floor(limit * 0.3); // never cut so early that chunks become tiny
  const para = window.lastIndexOf("\n\n");
  if (para > floor) return para;
  const line = window.lastIndexOf("\n");
  if (line > floor) return line;
  let sentence = -1;
  for (const m of window.matchAll(/[.!?…。！？](?=\s)/g)) sentence = m.index + 1;
  if (sentence > floor) return sentence;
  const space = window.lastIndexOf(" ");
  if (space > floor) return space;
  // Hard cut; never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}
