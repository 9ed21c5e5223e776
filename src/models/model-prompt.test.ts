import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { TOOL_IMAGES_OMITTED, toFunctionTools, toProviderPrompt } from "./model-prompt.ts";

const userParts = (content: ModelMessage["content"]) => toProviderPrompt("s", [{ role: "user", content } as ModelMessage])[1]?.content;

describe("toProviderPrompt", () => {
  it("sends a tool result's images where the API takes them, and only its text (saying so) where it does not", () => {
    const messages: ModelMessage[] = [
      { role: "assistant", content: [{ type: "tool-call", toolCallId: "c1", toolName: "shot", input: {} }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "shot", output: { type: "content", value: [{ type: "text", text: "a shot" }, { type: "image-data", data: "iVBORw0KGgo=", mediaType: "image/png" }] } }] },
    ];
    const outputOf = (images: boolean) => {
      const tool = toProviderPrompt("s", messages, { toolResultImages: images })[2];
      return tool?.role === "tool" && tool.content[0]?.type === "tool-result" ? tool.content[0].output : undefined;
    };
    expect(outputOf(true)).toEqual({ type: "content", value: [{ type: "text", text: "a shot" }, { type: "image-data", data: "iVBORw0KGgo=", mediaType: "image/png" }] });
    expect(outputOf(false)).toEqual({ type: "text", value: `a shot\n${TOOL_IMAGES_OMITTED}` });
  });

  it("puts the system prompt first and turns string content into text parts", () => {
    expect(toProviderPrompt("sys", [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }])).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "hi" }], providerOptions: undefined },
      { role: "assistant", content: [{ type: "text", text: "hello" }], providerOptions: undefined },
    ]);
  });

  it("takes a data URL apart, keeps other URLs as URLs (no download), and reads a base64 image's type from its bytes", () => {
    const gif = Buffer.from("GIF89a....").toString("base64");
    expect(
      userParts([
        { type: "image", image: "data:image/webp;base64,UklGRg==" },
        { type: "image", image: "https://example.com/cat.png" },
        { type: "image", image: gif, mediaType: "image/png" },
        { type: "file", data: new URL("https://example.com/a.pdf"), mediaType: "application/pdf", filename: "a.pdf" },
      ]),
    ).toMatchObject([
      { type: "file", mediaType: "image/webp", data: "UklGRg==" },
      { type: "file", mediaType: "image/*", data: new URL("https://example.com/cat.png") },
      { type: "file", mediaType: "image/gif", data: gif },
      { type: "file", mediaType: "application/pdf", filename: "a.pdf", data: new URL("https://example.com/a.pdf") },
    ]);
  });

  it("refuses a file without a media type and an invalid data URL", () => {
    expect(() => userParts([{ type: "file", data: "data:,abc" } as never])).toThrow(/invalid data URL/);
    expect(() => userParts([{ type: "file", data: new Uint8Array([1]) } as never])).toThrow(/no media type/);
  });

  it("turns the deprecated media items of a tool's content output into image and file data", () => {
    const prompt = toProviderPrompt("s", [
      { role: "user", content: "shot" },
      { role: "assistant", content: [{ type: "tool-call", toolCallId: "c", toolName: "screenshot", input: {} }] },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c",
            toolName: "screenshot",
            output: { type: "content", value: [{ type: "text", text: "here" }, { type: "media", data: "AAA=", mediaType: "image/png" }, { type: "media", data: "BBB=", mediaType: "application/pdf" }] },
          },
        ],
      },
    ]);
    expect(prompt[3]).toMatchObject({
      role: "tool",
      content: [
        {
          output: {
            type: "content",
            value: [
              { type: "text", text: "here" },
              { type: "image-data", data: "AAA=", mediaType: "image/png" },
              { type: "file-data", data: "BBB=", mediaType: "application/pdf" },
            ],
          },
        },
      ],
    });
  });

  it("accepts a tool call answered before the next user message, and refuses an empty prompt", () => {
    const answered: ModelMessage[] = [
      { role: "user", content: "go" },
      { role: "assistant", content: [{ type: "tool-call", toolCallId: "c", toolName: "t", input: {} }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c", toolName: "t", output: { type: "text", value: "ok" } }] },
      { role: "user", content: "next" },
    ];
    expect(toProviderPrompt("s", answered)).toHaveLength(5);
    expect(() => toProviderPrompt("s", [])).toThrow(/no messages/);
  });
});

describe("toFunctionTools", () => {
  it("passes the JSON Schema through unchanged", () => {
    const parameters = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };
    expect(toFunctionTools([{ name: "search", description: "Search", parameters }])).toEqual({
      tools: [{ type: "function", name: "search", description: "Search", inputSchema: parameters }],
      toolChoice: { type: "auto" },
    });
  });
});
