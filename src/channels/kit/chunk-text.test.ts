import { describe, expect, it } from "vitest";
import { chunkText } from "./chunk-text.ts";
import { planReply } from "./reply-directives.ts";

const strip = (s: string) => s.replace(/\s+/g, "").replace(/```[a-z]*/g, "");

describe("chunkText", () => {
  it("keeps a short text whole", () => {
    expect(chunkText("  hello world  ", 100)).toEqual(["hello world"]);
  });

  it("cuts on paragraphs first, then sentences, then spaces, and never exceeds the limit", () => {
    const para = "A".repeat(60) + ". " + "B".repeat(60) + ".";
    const text = [para, para, para, para].join("\n\n");
    const chunks = chunkText(text, 200);
    expect(chunks.every((c) => c.length <= 200)).toBe(true);
    expect(chunks[0]!.endsWith(".")).toBe(true);
    expect(strip(chunks.join(""))).toBe(strip(text));
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    const s = chunkText(sentences, 120);
    expect(s.every((c) => c.length <= 120 && c.endsWith("."))).toBe(true);
  });

  it("cuts hard when there is nowhere else, without splitting a surrogate pair", () => {
    const chunks = chunkText("x".repeat(99) + "😀".repeat(100), 100);
    expect(chunks.every((c) => c.length <= 100)).toBe(true);
    expect(chunks.join("")).toBe("x".repeat(99) + "😀".repeat(100));
    expect(chunks.some((c) => /[\ud800-\udbff]$/.test(c))).toBe(false);
  });

  it("closes a code fence at the cut and reopens it in the next chunk", () => {
    const code = Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join("\n");
    const chunks = chunkText("Here:\n\n```ts\n" + code + "\n```\nDone.", 300);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect((c.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(chunks[1]!.startsWith("```ts\n")).toBe(true);
  });
});

describe("planReply", () => {
  it("strips reply tags and remembers the first", () => {
    expect(planReply("[[reply_to_current]] Sure thing")).toEqual({ text: "Sure thing", silent: false, replyTo: "current", media: [] });
    expect(planReply("Yes [[ reply_to: 123:45 ]]").replyTo).toBe("123:45");
  });

  it("is silent for NO_REPLY and for nothing", () => {
    expect(planReply("  NO_REPLY \n")).toMatchObject({ silent: true, text: "" });
    expect(planReply("[[reply_to_current]]")).toMatchObject({ silent: true });
    expect(planReply("NO_REPLY is my answer").silent).toBe(false);
  });

  it("takes MEDIA lines out as files", () => {
    expect(planReply("Here is the chart.\nMEDIA: out/chart.png\n")).toEqual({ text: "Here is the chart.", silent: false, replyTo: undefined, media: ["out/chart.png"] });
    expect(planReply("MEDIA: `a.pdf`")).toMatchObject({ silent: false, text: "", media: ["a.pdf"] });
  });
});
