import { describe, expect, it } from "vitest";
import { chunkMarkdown } from "./markdown-chunks.ts";

describe("chunkMarkdown", () => {
  it("starts a chunk at each heading and keeps line ranges", () => {
    const text = ["# Prefs", "", "Likes tea.", "", "## Work", "Deploys on Friday.", "Standup at 9."].join("\n");
    expect(chunkMarkdown(text)).toEqual([
      { startLine: 1, endLine: 3, content: "# Prefs\n\nLikes tea." },
      { startLine: 5, endLine: 7, content: "## Work\n\nDeploys on Friday.\nStandup at 9." },
    ]);
  });

  it("packs paragraphs up to the target and repeats the heading in a continuation", () => {
    const para = "word ".repeat(30).trim();
    const text = ["# Long", "", para, "", para, "", para].join("\n");
    const chunks = chunkMarkdown(text, 200);
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([[1, 3], [5, 5], [7, 7]]);
    expect(chunks[1]!.content.startsWith("# Long\n\n")).toBe(true);
  });

  it("never splits a fenced code block, blank lines and # lines inside it included", () => {
    const text = ["intro", "```sh", "# not a heading", "", "echo hi", "```", "after"].join("\n");
    const chunks = chunkMarkdown(text, 10);
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([[1, 1], [2, 6], [7, 7]]);
    expect(chunks[1]!.content).toBe("```sh\n# not a heading\n\necho hi\n```");
  });

  it("gives nothing for an empty or blank text", () => {
    expect(chunkMarkdown("")).toEqual([]);
    expect(chunkMarkdown("\n\n  \n")).toEqual([]);
  });
});
