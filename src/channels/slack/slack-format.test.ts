// renderMrkdwn: Markdown → Slack mrkdwn, one case per construct, plus the escaping Slack requires.
import { describe, expect, it } from "vitest";
import { escapeMrkdwn, renderMrkdwn } from "./slack-format.ts";

describe("renderMrkdwn", () => {
  it.each([
    ["**bold** and __bold__", "*bold* and *bold*"],
    ["*italic* and _italic_", "_italic_ and _italic_"],
    ["~~gone~~", "~gone~"],
    ["`a < b`", "`a &lt; b`"],
    ["[docs](https://x.io/?a=1&b=2)", "<https://x.io/?a=1&amp;b=2|docs>"],
    ["see https://x.io/a", "see <https://x.io/a>"],
    ["[a|b](https://x.io/p|q)", "<https://x.io/p%7Cq|a|b>"],
    ["# Title", "*Title*"],
    ["## **Already bold** title", "*Already bold title*"],
    ["- one\n- two", "• one\n• two"],
    ["3. three\n4. four", "3. three\n4. four"],
    ["- outer\n  - inner", "• outer\n    • inner"],
    ["- [x] done\n- [ ] todo", "• ☑ done\n• ☐ todo"],
    ["> quoted\n> lines", "> quoted\n> lines"],
    ["Tom & Jerry <3 > 2", "Tom &amp; Jerry &lt;3 &gt; 2"],
    ["line one  \nline two", "line one\nline two"],
    ["![chart](https://x.io/c.png)", "<https://x.io/c.png|chart>"],
  ])("%j → %j", (markdown, mrkdwn) => {
    expect(renderMrkdwn(markdown)).toBe(mrkdwn);
  });

  it("keeps code blocks verbatim apart from Slack's escapes, without the language", () => {
    expect(renderMrkdwn("```ts\nif (a < b && c) {}\n```")).toBe("```\nif (a &lt; b &amp;&amp; c) {}\n```");
  });

  it("separates paragraphs with a blank line and renders tables as a monospace block", () => {
    expect(renderMrkdwn("first\n\nsecond")).toBe("first\n\nsecond");
    expect(renderMrkdwn("| a | bb |\n|---|---|\n| 1 | 2 |")).toBe("```\na   | bb\n----|----\n1   | 2\n```");
  });

  it("returns an empty string for empty input", () => {
    expect(renderMrkdwn("")).toBe("");
  });

  it("escapes exactly &, < and >", () => {
    expect(escapeMrkdwn(`&<>"'*_`)).toBe(`&amp;&lt;&gt;"'*_`);
  });
});
