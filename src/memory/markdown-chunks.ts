// Pure: Markdown → search chunks with 1-based line ranges. A heading starts a chunk, blank lines separate paragraphs,
// paragraphs are packed up to a size, and a fenced code block is never split. No I/O, no hashing.

/** Characters a chunk grows to before the next paragraph starts a new one. */
export const CHUNK_TARGET_CHARS = 1_200;

export interface TextChunk {
  startLine: number;
  endLine: number;
  /** The chunk's lines; a chunk continuing a section starts with that section's heading line, for context. */
  content: string;
}

interface Block {
  start: number;
  end: number;
  lines: string[];
  heading: boolean;
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const HEADING = /^\s{0,3}#{1,6}\s/;

/** Splits into blocks: headings, paragraphs, and whole fenced code blocks (an unclosed fence runs to the end). */
function splitBlocks(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  const close = () => {
    if (current) blocks.push(current);
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      close();
      const marker = fence[1]!;
      const fenceBlock: Block = { start: i + 1, end: i + 1, lines: [line], heading: false };
      for (i++; i < lines.length; i++) {
        fenceBlock.lines.push(lines[i]!);
        fenceBlock.end = i + 1;
        if (lines[i]!.trim().startsWith(marker[0]!.repeat(marker.length))) break;
      }
      blocks.push(fenceBlock);
      continue;
    }
    if (HEADING.test(line)) {
      close();
      blocks.push({ start: i + 1, end: i + 1, lines: [line], heading: true });
      continue;
    }
    if (!line.trim()) {
      close();
      continue;
    }
    current ??= { start: i + 1, end: i + 1, lines: [], heading: false };
    current.lines.push(line);
    current.end = i + 1;
  }
  close();
  return blocks;
}

/** Chunks of a Markdown text, in order; empty text gives none. */
export function chunkMarkdown(text: string, targetChars = CHUNK_TARGET_CHARS): TextChunk[] {
  const lines = text.split(/\r?\n/);
  const chunks: TextChunk[] = [];
  let heading: string | undefined;
  let open: { start: number; end: number; parts: string[]; chars: number; hasBody: boolean } | undefined;
  const flush = () => {
    if (open?.parts.length) chunks.push({ startLine: open.start, endLine: open.end, content: open.parts.join("\n\n") });
    open = undefined;
  };
  for (const block of splitBlocks(lines)) {
    const body = block.lines.join("\n");
    if (block.heading) {
      flush();
      heading = block.lines[0]!.trim();
      open = { start: block.start, end: block.end, parts: [body], chars: body.length, hasBody: false };
      continue;
    }
    if (open && open.hasBody && open.chars + body.length > targetChars) flush();
    if (!open) {
      const context = heading ? [heading] : [];
      open = { start: block.start, end: block.end, parts: context, chars: heading?.length ?? 0, hasBody: false };
    }
    open.parts.push(body);
    open.chars += body.length;
    open.end = block.end;
    open.hasBody = true;
  }
  flush();
  return chunks;
}
