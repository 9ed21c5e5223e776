import { describe, expect, it } from "vitest";
import { renderWhatsapp } from "./whatsapp-format.ts";

describe("renderWhatsapp", () => {
  it("renders inline styles with WhatsApp's single markers", () => {
    expect(renderWhatsapp("Some **bold**, *italic*, ~~gone~~ and `code`.")).toBe("Some *bold*, _italic_, ~gone~ and `code`.");
  });

  it("renders headings as bold without doubling markers", () => {
    expect(renderWhatsapp("# Title\n\ntext")).toBe("*Title*\n\ntext");
    expect(renderWhatsapp("## **Already bold**")).toBe("*Already bold*");
  });

  it("renders links as label (url) and bare links as the url", () => {
    expect(renderWhatsapp("[docs](https://a.example) and <https://b.example>")).toBe("docs (https://a.example) and https://b.example");
  });

  it("renders code blocks as ``` blocks, dropping the language and keeping blank lines", () => {
    expect(renderWhatsapp("```ts\nconst a = 1;\n\n\nb\n```")).toBe("```\nconst a = 1;\n\n\nb\n```");
  });

  it("renders bulleted, numbered, nested and task lists", () => {
    expect(renderWhatsapp("- a\n- b **c**\n  - nested\n\n3. three\n4. four")).toBe("- a\n- b *c*\n   - nested\n\n3. three\n4. four");
    expect(renderWhatsapp("- [ ] todo\n- [x] done")).toBe("- ☐ todo\n- ☑ done");
  });

  it("renders blockquotes with > and tables as rows", () => {
    expect(renderWhatsapp("> quoted\n> more **b**")).toBe("> quoted\n> more *b*");
    expect(renderWhatsapp("| a | b |\n|---|---|\n| 1 | 2 |")).toBe("*a | b*\n1 | 2");
  });

  it("keeps markers that are not Markdown formatting, and line breaks", () => {
    expect(renderWhatsapp("snake_case_name and 2 * 3 * 4")).toBe("snake_case_name and 2 * 3 * 4");
    expect(renderWhatsapp("line1  \nline2")).toBe("line1\nline2");
  });
});
