// Markdown → Discord message text. Discord renders most Markdown itself, so this keeps it and converts only what
// Discord does not render (tables, images, headings below ###, indented code, rules); it also breaks mass mentions.
// Pure; chunking to the 2,000-character limit is the caller's job.
import { lexer } from "marked";
import type { Token, Tokens } from "marked";

/** Characters per message Discord accepts in `content`. */
export const DISCORD_TEXT_LIMIT = 2000;

const ZERO_WIDTH_SPACE = "\u200b";
const RULE = "───────────";

/** Renders the model's Markdown as Discord message content. */
export function renderDiscord(markdown: string): string {
  return renderBlocks(lexer(markdown)).trim();
}

/** The fallback when Discord refuses the rendered text: the Markdown as written, mass mentions broken. */
export function renderDiscordPlain(markdown: string): string {
  return neutraliseMentions(markdown);
}

/** `@everyone` / `@here` → with a zero-width space after the `@`, so they can never ping even without allowedMentions. */
export function neutraliseMentions(text: string): string {
  return text.replace(/@(everyone|here)\b/g, `@${ZERO_WIDTH_SPACE}$1`);
}

function renderBlocks(tokens: Token[]): string {
  return tokens
    .map(renderBlock)
    .filter((s) => s !== "")
    .join("\n\n");
}

function renderBlock(token: Token): string {
  const t = token as Tokens.Generic;
  switch (t.type) {
    case "space":
    case "def":
      return "";
    case "paragraph":
      return renderInline((t as Tokens.Paragraph).tokens);
    case "text": {
      const text = t as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : neutraliseMentions(text.raw);
    }
    case "heading":
      return renderHeading(t as Tokens.Heading);
    case "code":
      return renderCode(t as Tokens.Code);
    case "blockquote":
      return prefixLines(renderBlocks((t as Tokens.Blockquote).tokens), "> ");
    case "list":
      return renderList(t as Tokens.List);
    case "table":
      return renderTable(t as Tokens.Table);
    case "hr":
      return RULE;
    case "html":
      return neutraliseMentions(t.raw.trim());
    default:
      return neutraliseMentions(t.raw.trim());
  }
}

/** Discord renders #, ## and ### headings; deeper ones become a bold line. */
function renderHeading(token: Tokens.Heading): string {
  const text = renderInline(token.tokens);
  return token.depth <= 3 ? `${"#".repeat(token.depth)} ${text}` : `**${text}**`;
}

/** Always fenced: Discord does not render indented code blocks. */
function renderCode(token: Tokens.Code): string {
  const lang = token.lang?.trim().split(/\s+/)[0] ?? "";
  return `\`\`\`${lang}\n${token.text.replace(/\n+$/, "")}\n\`\`\``;
}

function renderList(list: Tokens.List): string {
  const start = typeof list.start === "number" ? list.start : 1;
  const items = list.items.map((item, i) => {
    const marker = list.ordered ? `${start + i}.` : "-";
    const check = item.task ? (item.checked ? "[x] " : "[ ] ") : "";
    const body = item.tokens
      .filter((t) => t.type !== "checkbox")
      .map(renderBlock)
      .filter((s) => s !== "")
      .join(item.loose ? "\n\n" : "\n");
    const indented = body.replace(/\n/g, `\n${" ".repeat(marker.length + 1)}`);
    return `${marker} ${check}${indented}`;
  });
  return items.join(list.loose ? "\n\n" : "\n");
}

/** Discord has no tables: an aligned monospace block keeps the columns readable. */
function renderTable(table: Tokens.Table): string {
  const rows = [table.header, ...table.rows].map((row) => row.map((cell) => renderPlainInline(cell.tokens)));
  const widths = table.header.map((_, col) => Math.max(3, ...rows.map((row) => [...(row[col] ?? "")].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, col) => cell + " ".repeat((widths[col] ?? 0) - [...cell].length)).join(" | ").trimEnd();
  const [header = [], ...body] = rows;
  const separator = widths.map((w) => "-".repeat(w)).join("-|-");
  return `\`\`\`\n${[line(header), separator, ...body.map(line)].join("\n")}\n\`\`\``;
}

function renderInline(tokens: Token[] = []): string {
  return tokens.map(renderInlineToken).join("");
}

function renderInlineToken(token: Token): string {
  const t = token as Tokens.Generic;
  switch (t.type) {
    case "text": {
      const text = t as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : neutraliseMentions(text.raw);
    }
    case "strong":
      return `**${renderInline((t as Tokens.Strong).tokens)}**`;
    case "em":
      return `*${renderInline((t as Tokens.Em).tokens)}*`;
    case "del":
      return `~~${renderInline((t as Tokens.Del).tokens)}~~`;
    case "codespan":
    case "escape":
      return t.raw;
    case "br":
      return "\n";
    case "link": {
      const link = t as Tokens.Link;
      const text = renderInline(link.tokens);
      return text === link.href || link.raw === link.href ? link.href : `[${text}](${link.href})`;
    }
    case "image": {
      // Discord does not inline images from Markdown; a masked link still leads there.
      const image = t as Tokens.Image;
      return image.text ? `[${neutraliseMentions(image.text)}](${image.href})` : image.href;
    }
    default:
      return neutraliseMentions(t.raw);
  }
}

/** Cell text without markup, for table layout. */
function renderPlainInline(tokens: Token[] = []): string {
  return tokens
    .map((token) => {
      const t = token as Tokens.Generic;
      if (t.type === "codespan" || t.type === "escape") return String(t.text ?? "");
      if (t.type === "br") return " ";
      if (Array.isArray(t.tokens)) return renderPlainInline(t.tokens as Token[]);
      return String(t.text ?? t.raw);
    })
    .join("");
}

function prefixLines(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}
