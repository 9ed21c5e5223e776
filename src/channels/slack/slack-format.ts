// Pure: Markdown as the model writes it → Slack mrkdwn (*bold*, _italic_, ~strike~, `code`, ```blocks```, <url|label>,
// "• " lists, headings as bold, "> " quotes), escaping the three characters Slack reserves (& < >). No chunking here.
import { lexer, type Token, type Tokens } from "marked";

/** Escapes what Slack treats as control characters in message text (everywhere, code included). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Renders Markdown to Slack mrkdwn for the `text` of chat.postMessage or a file's initial_comment. */
export function renderMrkdwn(markdown: string): string {
  return renderBlocks(lexer(markdown)).trim();
}

interface InlineContext {
  /** Inside a heading or **bold** already: a nested bold would print literal asterisks. */
  bold: boolean;
}

function renderBlocks(tokens: Token[]): string {
  const parts: string[] = [];
  for (const token of tokens) {
    const out = renderBlock(token);
    if (out !== "") parts.push(out);
  }
  return parts.join("\n\n");
}

function renderBlock(token: Token): string {
  switch (token.type) {
    case "space":
    case "def":
      return "";
    case "paragraph":
      return renderInline((token as Tokens.Paragraph).tokens);
    case "heading":
      return `*${renderInline((token as Tokens.Heading).tokens, { bold: true })}*`;
    case "code":
      return "```\n" + escapeMrkdwn((token as Tokens.Code).text) + "\n```";
    case "blockquote":
      return renderBlocks((token as Tokens.Blockquote).tokens)
        .split("\n")
        .map((line) => `> ${line}`)
        .join("\n");
    case "list":
      return renderList(token as Tokens.List);
    case "hr":
      return "──────────";
    case "table":
      return renderTable(token as Tokens.Table);
    case "html":
      return escapeMrkdwn((token as Tokens.HTML).text.trim());
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : escapeMrkdwn(text.text);
    }
    default:
      return "tokens" in token && Array.isArray(token.tokens) ? renderInline(token.tokens) : escapeMrkdwn(token.raw);
  }
}

function renderList(list: Tokens.List): string {
  const first = typeof list.start === "number" ? list.start : 1;
  return list.items
    .map((item, i) => {
      const bullet = list.ordered ? `${first + i}. ` : "• ";
      const box = item.task ? (item.checked ? "☑ " : "☐ ") : "";
      const body = item.tokens
        .filter((t) => t.type !== "checkbox")
        .map((t) => (t.type === "list" ? indent(renderList(t as Tokens.List)) : renderBlock(t)))
        .filter((s) => s !== "")
        .join("\n");
      return `${bullet}${box}${body}`;
    })
    .join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** Slack has no tables: a monospace block keeps the columns readable. */
function renderTable(table: Tokens.Table): string {
  const rows = [table.header.map((c) => c.text), ...table.rows.map((r) => r.map((c) => c.text))];
  const widths = rows[0]?.map((_, col) => Math.max(3, ...rows.map((r) => (r[col] ?? "").length))) ?? [];
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ").trimEnd();
  const [header = [], ...body] = rows;
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  return "```\n" + escapeMrkdwn([line(header), rule, ...body.map(line)].join("\n")) + "\n```";
}

function renderInline(tokens: Token[], ctx: InlineContext = { bold: false }): string {
  return tokens.map((t) => renderInlineToken(t, ctx)).join("");
}

function renderInlineToken(token: Token, ctx: InlineContext): string {
  switch (token.type) {
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens, ctx) : escapeMrkdwn(text.text);
    }
    case "escape":
      return escapeMrkdwn((token as Tokens.Escape).text);
    case "strong": {
      const inner = renderInline((token as Tokens.Strong).tokens, { bold: true });
      return ctx.bold ? inner : `*${inner}*`;
    }
    case "em":
      return `_${renderInline((token as Tokens.Em).tokens, ctx)}_`;
    case "del":
      return `~${renderInline((token as Tokens.Del).tokens, ctx)}~`;
    case "codespan":
      return `\`${escapeMrkdwn((token as Tokens.Codespan).text)}\``;
    case "br":
      return "\n";
    case "link":
      return renderLink(token as Tokens.Link, ctx);
    case "image": {
      const image = token as Tokens.Image;
      return `<${linkTarget(image.href)}|${escapeLabel(escapeMrkdwn(image.text || image.href))}>`;
    }
    case "html":
      return escapeMrkdwn((token as Tokens.HTML).text);
    case "checkbox":
      return "";
    default:
      return escapeMrkdwn(token.raw);
  }
}

function renderLink(link: Tokens.Link, ctx: InlineContext): string {
  const label = renderInline(link.tokens, ctx);
  if (link.autolink || link.text === link.href || label === escapeMrkdwn(link.href)) return `<${linkTarget(link.href)}>`;
  return `<${linkTarget(link.href)}|${escapeLabel(label)}>`;
}

/** A URL inside <…>: Slack's reserved characters escaped, and a "|" encoded so it cannot end the URL early. */
function linkTarget(href: string): string {
  return escapeMrkdwn(href.replaceAll("|", "%7C"));
}

/** An already escaped label: a line break would end the link, so it becomes a space. */
function escapeLabel(label: string): string {
  return label.replaceAll("\n", " ");
}
