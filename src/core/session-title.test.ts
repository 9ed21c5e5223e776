import { describe, expect, it } from "vitest";
import { TITLE_MAX, titleFromText } from "./session-title.ts";

describe("titleFromText", () => {
  it("takes the first line that says something, whitespace collapsed", () => {
    expect(titleFromText("  What is on   my calendar?\nand more")).toBe("What is on my calendar?");
    expect(titleFromText("\n\n[image: inbox/2026-01-01/ab-photo.jpg]\nWhat is this?")).toBe("What is this?");
    expect(titleFromText("Look [image: inbox/x.png] here")).toBe("Look here");
  });

  it("leaves out bracketed headers (group context) and returns undefined when nothing is left", () => {
    expect(titleFromText("[Earlier messages in this chat, not addressed to you; for context only]\nBob: hi")).toBe("Bob: hi");
    expect(titleFromText("[image: inbox/x.png]")).toBeUndefined();
    expect(titleFromText("   ")).toBeUndefined();
  });

  it("cuts a long line at a word boundary with an ellipsis", () => {
    const title = titleFromText("Please summarise the quarterly report for the board meeting next Tuesday and list risks")!;
    expect(title.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(title).toBe("Please summarise the quarterly report for the board…");
    expect(titleFromText("x".repeat(100))).toBe(`${"x".repeat(TITLE_MAX - 1)}…`);
  });
});
