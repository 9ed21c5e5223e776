// Automatic session titles: a short title from the first message of a conversation, without a model call.

/** Longest automatic title, in characters. */
export const TITLE_MAX = 60;
/** Longest title a user may set. */
export const TITLE_MAX_SET = 200;

/**
 * The title for a conversation whose first message is `text`: its first line that says something (attachment markers
 * like `[image: …]` and the bracketed context headers of group turns left out), whitespace collapsed, cut at a word
 * boundary near TITLE_MAX with an ellipsis. Undefined when nothing is left (e.g. a photo without a caption).
 */
export function titleFromText(text: string): string | undefined {
  const line = text
    .split("\n")
    .map((l) => l.replace(/\[(?:image|audio|video|file|document|voice message)[^\]\n]*\]/gi, "").replace(/\s+/g, " ").trim())
    .find((l) => l.length > 0 && !/^\[[^\]]*\]$/.test(l));
  if (!line) return undefined;
  if (line.length <= TITLE_MAX) return line;
  const cut = line.slice(0, TITLE_MAX - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > TITLE_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, "")}…`;
}

/** The text of a stored model message (`{ role, content }`, content a string or parts): its text parts joined. */
export function messageText(message: unknown): string {
  const content = (message as { content?: unknown } | null)?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: { type?: unknown; text?: unknown }) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).filter(Boolean).join("\n");
}
