// renderTelegramHtml: each Markdown construct once, and escaping of text and attributes.
import { describe, expect, it } from "vitest";
import { escapeHtml, renderTelegramHtml } from "./telegram-format.ts";

describe("renderTelegramHtml", () => {
  it.each([
    ["bold, italic, strike", "**b** _i_ *i* ~~s~~", "<b>b</b> <i>i</i> <i>i</i> <s>s</s>"],
    ["inline code, escaped", "`a < b && c`", "<code>a &lt; b &amp;&amp; c</code>"],
    ["fenced code with language", "```ts\nif (a<b) {}\n```", '<pre><code class="language-ts">if (a&lt;b) {}</code></pre>'],
    ["fenced code without language", "```\nx\n```", "<pre><code>x</code></pre>"],
    ["a link with quotes and & in the URL", '[docs](https://x.test/?a=1&b="2")', '<a href="https://x.test/?a=1&amp;b=&quot;2&quot;">docs</a>'],
    ["an autolink", "see https://x.test", 'see <a href="https://x.test">https://x.test</a>'],
    ["a javascript: link as text", "[click](javascript:alert(1))", "click"],
    ["headings as bold", "# Title\n\n## Sub", "<b>Title</b>\n\n<b>Sub</b>"],
    ["a blockquote", "> quoted **x**", "<blockquote>quoted <b>x</b></blockquote>"],
    ["bullets", "- one\n- two", "• one\n• two"],
    ["numbered from its start", "3. c\n4. d", "3. c\n4. d"],
    ["nested lists", "- a\n  - b", "• a\n    • b"],
    ["task lists", "- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done"],
    ["raw HTML as text", "<b>not bold</b> & 1 < 2", "&lt;b&gt;not bold&lt;/b&gt; &amp; 1 &lt; 2"],
    ["character references decoded once", "Tom &amp; Jerry &lt;3", "Tom &amp; Jerry &lt;3"],
    ["hard line breaks", "a  \nb", "a\nb"],
    ["backslash escapes", "\\*not italic\\*", "*not italic*"],
    ["a table as a monospaced block", "| a | bb |\n|---|---|\n| 1 | 2 |", "<pre>a | bb\n--+---\n1 | 2</pre>"],
  ])("renders %s", (_name, markdown, html) => {
    expect(renderTelegramHtml(markdown)).toBe(html);
  });

  it("separates paragraphs with a blank line and trims", () => {
    expect(renderTelegramHtml("\n\nfirst\n\nsecond\n\n")).toBe("first\n\nsecond");
  });

  it("escapes &, < and > in text", () => {
    expect(escapeHtml("<a & b>")).toBe("&lt;a &amp; b&gt;");
  });
});
