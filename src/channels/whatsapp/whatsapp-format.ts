// Pure: Markdown (as the model writes it) → WhatsApp's own markup (*bold*, _italic_, ~strike~, `code`, ```block```).
// Does not chunk (the caller does) and does not escape: WhatsApp has no escape syntax, stray markers stay literal.
import { lexer } from "marked";
import type { Token, Tokens } from "marked";

/** Renders Markdown as WhatsApp text: headings bold, links "label (url)", lists with "-" / "1.", quotes with "> ". */
export function renderWhatsapp(markdown: string): string {
  return renderBlocks(lexer(markdown)).trim();
}

function renderBlocks(tokens: Token[]): string {
  const parts: string[] = [];
  for (const token of tokens) {
    const block = renderBlock(token);
    if (block !== undefined) parts.push(block);
  }
  return parts.join("\n\n");
}

function renderBlock(token: Token): string | undefined {
  switch (token.type) {
    case "space":
      return undefined;
    case "heading": {
      const text = renderInline((token as Tokens.Heading).tokens);
      return /^\*[^*]+\*$/.test(text) ? text : wrap("*", text);
    }
    case "paragraph":
      return renderInline((token as Tokens.Paragraph).tokens);
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : text.text;
    }
    case "code":
      return "```\n" + (token as Tokens.Code).text + "\n```";
    case "blockquote":
      return renderBlocks((token as Tokens.Blockquote).tokens)
        .split("\n")
        .map((line) => (line === "" ? ">" : `> ${line}`))
        .join("\n");
    case "list":
      return renderList(token as Tokens.List, 0);
    case "table":
      return renderTable(token as Tokens.Table);
    case "hr":
      return "———";
    case "html":
      return (token as Tokens.HTML).text.trim();
    default:
      return "raw" in token ? String(token.raw).trim() : undefined;
  }
}

function renderList(list: Tokens.List, depth: number): string {
  const start = typeof list.start === "number" ? list.start : 1;
  const indent = "   ".repeat(depth);
  return list.items
    .map((item, i) => {
      const marker = list.ordered ? `${start + i}. ` : "- ";
      const check = item.task ? (item.checked ? "☑ " : "☐ ") : "";
      const lines: string[] = [];
      for (const child of item.tokens) {
        if (child.type === "list") lines.push(renderList(child as Tokens.List, depth + 1));
        else if (child.type === "checkbox") continue;
        else {
          const block = renderBlock(child);
          if (block !== undefined) lines.push(lines.length === 0 ? indent + marker + check + block : indent + "   " + block);
        }
      }
      return lines.length > 0 ? lines.join("\n") : indent + marker + check;
    })
    .join("\n");
}

function renderTable(table: Tokens.Table): string {
  const row = (cells: Tokens.TableCell[]): string => cells.map((c) => renderInline(c.tokens)).join(" | ");
  return [wrap("*", row(table.header)), ...table.rows.map(row)].join("\n");
}

function renderInline(tokens: Token[]): string {
  let out = "";
  for (const token of tokens) {
    switch (token.type) {
      case "strong":
        out += wrap("*", renderInline((token as Tokens.Strong).tokens));
        break;
      case "em":
        out += wrap("_", renderInline((token as Tokens.Em).tokens));
        break;
      case "del":
        out += wrap("~", renderInline((token as Tokens.Del).tokens));
        break;
      case "codespan":
        out += "`" + (token as Tokens.Codespan).text + "`";
        break;
      case "link": {
        const link = token as Tokens.Link;
        const label = renderInline(link.tokens);
        out += label === link.href || label === "" ? link.href : `${label} (${link.href})`;
        break;
      }
      case "image": {
        const image = token as Tokens.Image;
        out += image.text ? `${image.text} (${image.href})` : image.href;
        break;
      }
      case "br":
        out += "\n";
        break;
      case "text": {
        const text = token as Tokens.Text;
        out += text.tokens ? renderInline(text.tokens) : text.text;
        break;
      }
      default:
        out += "text" in token ? String(token.text) : String(token.raw);
    }
  }
  return out;
}

/** WhatsApp only formats when the markers touch the text (`*bold*`, not `* bold *`): move outer spaces outside. */
function wrap(marker: string, inner: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner);
  const [, lead = "", body = "", trail = ""] = match ?? [];
  return body === "" ? inner : `${lead}${marker}${body}${marker}${trail}`;
}
