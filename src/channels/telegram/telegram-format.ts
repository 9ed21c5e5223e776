// Pure rendering of the model's Markdown to Telegram's HTML parse mode (marked lexer → tags Telegram knows).
// Chunking to the 4,096-character limit is the outbound sender's job, not this file's.
import { lexer } from "marked";
import type { MarkedToken, Token, Tokens } from "marked";

/** Escapes text for Telegram HTML: `&`, `<`, `>` (https://core.telegram.org/bots/api#html-style). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value written inside double quotes. */
function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, "&quot;");
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Markdown decodes character references in text (`&amp;` means `&`); marked's lexer leaves them as written. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Link targets Telegram accepts in `<a href>`; anything else (javascript:, relative paths) is shown as text. */
const LINKABLE = /^(https?:|tg:|mailto:)/i;

/** Renders Markdown to Telegram HTML: bold, italic, strike, code, fenced code with language, links, blockquotes,
 * lists as "• " / "1. " lines, headings as bold lines, tables as monospaced blocks. Every text is escaped. */
export function renderTelegramHtml(markdown: string): string {
  return renderBlocks(lexer(markdown), "").trim();
}

function renderBlocks(tokens: Token[], indent: string): string {
  const parts: string[] = [];
  for (const token of tokens) {
    const html = renderBlock(token as MarkedToken, indent);
    if (html !== "") parts.push(html);
  }
  return parts.join("\n\n");
}

function renderBlock(token: MarkedToken, indent: string): string {
  switch (token.type) {
    case "space":
    case "def":
      return "";
    case "paragraph":
      return renderInline(token.tokens);
    case "text":
      return token.tokens ? renderInline(token.tokens) : escapeHtml(decodeEntities(token.text));
    case "heading":
      return `<b>${renderInline(token.tokens)}</b>`;
    case "code": {
      const lang = token.lang?.trim().split(/\s+/)[0];
      const open = lang ? `<code class="language-${escapeAttribute(lang)}">` : "<code>";
      return `<pre>${open}${escapeHtml(token.text)}</code></pre>`;
    }
    case "blockquote":
      return `<blockquote>${renderBlocks(token.tokens, "")}</blockquote>`;
    case "list":
      return renderList(token, indent);
    case "table":
      return renderTable(token);
    case "hr":
      return "———";
    case "html":
      return renderHtmlToken(token.text);
    default:
      return "tokens" in token && Array.isArray(token.tokens) ? renderInline(token.tokens) : escapeHtml(token.raw);
  }
}

function renderList(list: Tokens.List, indent: string): string {
  const start = typeof list.start === "number" ? list.start : 1;
  const lines = list.items.map((item, i) => {
    const bullet = list.ordered ? `${start + i}. ` : "• ";
    const box = item.task ? (item.checked ? "☑ " : "☐ ") : "";
    const inner: string[] = [];
    const nested: string[] = [];
    for (const child of item.tokens) {
      const t = child as MarkedToken;
      if (t.type === "checkbox") continue;
      if (t.type === "list") nested.push(renderList(t, `${indent}    `));
      else {
        const html = renderBlock(t, indent);
        if (html !== "") inner.push(html);
      }
    }
    const head = `${indent}${bullet}${box}${inner.join(`\n${indent}  `)}`;
    return [head, ...nested].join("\n");
  });
  return lines.join("\n");
}

/** Telegram has no tables: a monospaced block keeps the columns readable. */
function renderTable(table: Tokens.Table): string {
  const rows = [table.header, ...table.rows].map((cells) => cells.map((c) => plainText(c.tokens)));
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => r[col]?.length ?? 0))) ?? [];
  const lines = rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(" | ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("-+-"));
  return `<pre>${escapeHtml(lines.join("\n"))}</pre>`;
}

function renderHtmlToken(raw: string): string {
  return /^<br\s*\/?>$/i.test(raw.trim()) ? "\n" : escapeHtml(raw);
}

function renderInline(tokens: Token[]): string {
  let out = "";
  for (const token of tokens) out += renderInlineToken(token as MarkedToken);
  return out;
}

function renderInlineToken(token: MarkedToken): string {
  switch (token.type) {
    case "text":
      return token.tokens ? renderInline(token.tokens) : escapeHtml(decodeEntities(token.text));
    case "escape":
      return escapeHtml(token.text);
    case "strong":
      return `<b>${renderInline(token.tokens)}</b>`;
    case "em":
      return `<i>${renderInline(token.tokens)}</i>`;
    case "del":
      return `<s>${renderInline(token.tokens)}</s>`;
    case "codespan":
      return `<code>${escapeHtml(token.text)}</code>`;
    case "br":
      return "\n";
    case "link": {
      const inner = renderInline(token.tokens);
      return LINKABLE.test(token.href) ? `<a href="${escapeAttribute(token.href)}">${inner}</a>` : inner;
    }
    case "image": {
      const label = escapeHtml(token.text || token.href);
      return LINKABLE.test(token.href) ? `<a href="${escapeAttribute(token.href)}">${label}</a>` : label;
    }
    case "html":
      return renderHtmlToken(token.text);
    default:
      return "tokens" in token && Array.isArray(token.tokens) ? renderInline(token.tokens) : escapeHtml(token.raw);
  }
}

/** The visible text of inline tokens, without markup (table cells). */
function plainText(tokens: Token[]): string {
  let out = "";
  for (const token of tokens) {
    const t = token as MarkedToken;
    if ("tokens" in t && Array.isArray(t.tokens)) out += plainText(t.tokens);
    else if (t.type === "text" || t.type === "codespan" || t.type === "escape") out += decodeEntities(t.text);
    else if (t.type === "br") out += " ";
    else out += t.raw;
  }
  return out;
}
