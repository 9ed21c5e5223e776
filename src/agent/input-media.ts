// Images a turn refers to (`[image: inbox/…/x.jpg]`, written by channel ingress) become image parts of the model
// call for that turn only; the transcript keeps the text with the marker, so later turns do not resend pixels.
import { extname } from "node:path";
import type { ToolResultPart, UserContent } from "ai";
import { readWorkspaceFile } from "../tools/workspace-fs.ts";

const IMAGE_MARKER = /\[image: ([^\]\n]+)\]/g;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const MIME: Record<string, string> = { ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp" };

/** The user content for `input` with its images attached, or undefined when it names none that can be read. */
export async function attachImages(input: string, workspace: string): Promise<UserContent | undefined> {
  const parts: UserContent = [];
  for (const m of input.matchAll(IMAGE_MARKER)) {
    const rel = m[1]!.trim();
    const mediaType = MIME[extname(rel).toLowerCase()];
    if (!mediaType) continue;
    try {
      const { bytes } = await readWorkspaceFile(workspace, rel, MAX_IMAGE_BYTES);
      parts.push({ type: "image", image: new Uint8Array(bytes), mediaType });
    } catch {
      // Removed since, too big, or not in the workspace: the marker stays as text.
    }
  }
  return parts.length === 0 ? undefined : [{ type: "text", text: input }, ...parts];
}

/**
 * The output a tool result is sent with when its text names images (`[image: inbox/mcp/…/x.png]`, an MCP tool's image
 * content): the text, then each readable image as image data. Undefined when it names none. Like an input's images,
 * they go to the model for this run only; the transcript keeps the text.
 */
export async function toolResultWithImages(text: string, workspace: string): Promise<ToolResultPart["output"] | undefined> {
  const images: Array<{ type: "image-data"; data: string; mediaType: string }> = [];
  for (const m of text.matchAll(IMAGE_MARKER)) {
    const rel = m[1]!.trim();
    const mediaType = MIME[extname(rel).toLowerCase()];
    if (!mediaType) continue;
    try {
      const { bytes } = await readWorkspaceFile(workspace, rel, MAX_IMAGE_BYTES);
      images.push({ type: "image-data", data: Buffer.from(bytes).toString("base64"), mediaType });
    } catch {
      // Gone or too big: the marker stays as text.
    }
  }
  return images.length === 0 ? undefined : { type: "content", value: [{ type: "text", text }, ...images] };
}
