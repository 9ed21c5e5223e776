// Markdown → Discord text: what Discord renders passes through, what it does not is converted, mass mentions break.
import { describe, expect, it } from "vitest";
import { neutraliseMentions, renderDiscord, renderDiscordPlain } from "./discord-format.ts";

describe("renderDiscord", () => {
  it("keeps the inline Markdown Discord renders", () => {
    expect(renderDiscord("**bold** *it* _it2_ ~~gone~~ `x < y` [docs](https://example.com/a_b)")).toBe(
      "**bold** *it* *it2* ~~gone~~ `x < y` [docs](https://example.com/a_b)",
    );
  });

  it("keeps headings down to ### and turns deeper ones bold", () => {
    expect(renderDiscord("# One\n\n### Three\n\n#### Four *x*")).toBe("# One\n\n### Three\n\n**Four *x***");
  });

  it("fences code blocks, including indented ones Discord would not render", () => {
    expect(renderDiscord("```ts\nconst a = 1;\n```")).toBe("```ts\nconst a = 1;\n```");
    expect(renderDiscord("text\n\n    indented()\n")).toBe("text\n\n```\nindented()\n```");
  });

  it("renders lists with nesting and numbering", () => {
    expect(renderDiscord("- one\n  - nested\n- two")).toBe("- one\n  - nested\n- two");
    expect(renderDiscord("3. c\n4. d")).toBe("3. c\n4. d");
    expect(renderDiscord("- [x] done\n- [ ] todo")).toBe("- [x] done\n- [ ] todo");
  });

  it("prefixes every line of a blockquote", () => {
    expect(renderDiscord("> first\n> second\n\nafter")).toBe("> first\n> second\n\nafter");
  });

  it("turns a table into an aligned code block", () => {
    expect(renderDiscord("| name | n |\n|---|---:|\n| **a** | 10 |\n| bee | 2 |")).toBe(
      "```\nname | n\n-----|----\na    | 10\nbee  | 2\n```",
    );
  });

  it("turns images into links and rules into a line", () => {
    expect(renderDiscord("![chart](https://x.test/c.png) and ![](https://x.test/d.png)")).toBe(
      "[chart](https://x.test/c.png) and https://x.test/d.png",
    );
    expect(renderDiscord("a\n\n---\n\nb")).toBe("a\n\n───────────\n\nb");
  });

  it("keeps bare URLs bare and backslash escapes as written", () => {
    expect(renderDiscord("see https://example.com and \\*not italic\\*")).toBe("see https://example.com and \\*not italic\\*");
  });

  it("breaks @everyone and @here outside code, leaves code untouched", () => {
    expect(renderDiscord("hey @everyone and @here, `@everyone`")).toBe("hey @\u200beveryone and @\u200bhere, `@everyone`");
  });

  it("returns an empty string for empty input", () => {
    expect(renderDiscord("")).toBe("");
  });
});

describe("plain fallback", () => {
  it("is the Markdown as written with mass mentions broken", () => {
    expect(renderDiscordPlain("| a |\n|---|\n| @here |")).toBe("| a |\n|---|\n| @\u200bhere |");
    expect(neutraliseMentions("@everyones @hereafter")).toBe("@everyones @hereafter");
  });
});
