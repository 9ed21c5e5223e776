// The transcript's messages (AI SDK ModelMessage) and Pincer's tool specs → a provider model's prompt and function
// tools, as the AI SDK's streamText converts them. It does not validate messages against the SDK's schema, and never
// downloads: a URL stays a URL for the provider to take or refuse (Pincer attaches images as bytes).
import type { DataContent, ModelMessage, ToolResultPart } from "ai";
import type { ToolSpec } from "./model-events.ts";
import type { ProviderCallOptions, ProviderPrompt } from "./provider-registry.ts";

type ProviderMessage = ProviderPrompt[number];
type ProviderUserPart = Extract<ProviderMessage, { role: "user" }>["content"][number];
type ProviderAssistantPart = Extract<ProviderMessage, { role: "assistant" }>["content"][number];
type ProviderToolMessage = Extract<ProviderMessage, { role: "tool" }>;
type ProviderFilePart = Extract<ProviderUserPart, { type: "file" }>;
type ProviderToolOutput = Extract<ProviderAssistantPart, { type: "tool-result" }>["output"];
type UserPart = Exclude<Extract<ModelMessage, { role: "user" }>["content"], string>[number];

/**
 * The provider prompt for a call: the system prompt, then `messages` with consecutive tool messages merged.
 * Throws when `messages` is empty or a tool call has no result before the next user message (streamText's checks).
 */
export function toProviderPrompt(system: string, messages: ModelMessage[], opts: { toolResultImages?: boolean } = {}): ProviderPrompt {
  if (messages.length === 0) throw new Error("the prompt has no messages");
  const prompt: ProviderPrompt = [{ role: "system", content: system }];
  for (const message of messages) {
    const converted = toProviderMessage(message, opts.toolResultImages ?? true);
    const previous = prompt[prompt.length - 1];
    if (converted.role === "tool" && previous?.role === "tool") mergeToolMessages(previous, converted);
    else prompt.push(converted);
  }
  checkToolResults(prompt);
  return prompt.filter((m) => m.role !== "tool" || m.content.length > 0);
}

/** Function tools for the call, with `toolChoice` auto; nothing when there are no tools. */
export function toFunctionTools(tools: ToolSpec[]): Pick<ProviderCallOptions, "tools" | "toolChoice"> {
  if (tools.length === 0) return {};
  return {
    tools: tools.map((t) => ({ type: "function", name: t.name, description: t.description, inputSchema: t.parameters })),
    toolChoice: { type: "auto" },
  };
}

function toProviderMessage(message: ModelMessage, toolImages: boolean): ProviderMessage {
  const providerOptions = message.providerOptions;
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content, providerOptions };
    case "user": {
      if (typeof message.content === "string") return { role: "user", content: [{ type: "text", text: message.content }], providerOptions };
      const content: ProviderUserPart[] = [];
      for (const part of message.content) {
        if (part.type !== "text") content.push(toUserFilePart(part));
        else if (part.text !== "") content.push({ type: "text", text: part.text, providerOptions: part.providerOptions });
      }
      return { role: "user", content, providerOptions };
    }
    case "assistant": {
      if (typeof message.content === "string") return { role: "assistant", content: [{ type: "text", text: message.content }], providerOptions };
      const content: ProviderAssistantPart[] = [];
      for (const part of message.content) {
        const options = part.type === "tool-approval-request" ? undefined : part.providerOptions;
        switch (part.type) {
          case "text":
            if (part.text !== "" || options !== undefined) content.push({ type: "text", text: part.text, providerOptions: options });
            break;
          case "reasoning":
            content.push({ type: "reasoning", text: part.text, providerOptions: options });
            break;
          case "file": {
            const { data, mediaType } = toDataContent(part.data);
            content.push({ type: "file", data, filename: part.filename, mediaType: mediaType ?? part.mediaType, providerOptions: options });
            break;
          }
          case "tool-call":
            content.push({ type: "tool-call", toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, providerExecuted: part.providerExecuted, providerOptions: options });
            break;
          case "tool-result":
            content.push(toToolResultPart(part, toolImages));
            break;
          case "tool-approval-request":
            break; // answered in a tool message; not part of what the model is sent
        }
      }
      return { role: "assistant", content, providerOptions };
    }
    case "tool": {
      const content: ProviderToolMessage["content"] = [];
      for (const part of message.content) {
        if (part.type === "tool-result") content.push(toToolResultPart(part, toolImages));
        else if (part.providerExecuted) content.push({ type: "tool-approval-response", approvalId: part.approvalId, approved: part.approved, reason: part.reason });
      }
      return { role: "tool", content, providerOptions };
    }
  }
}

/** Appends `next`'s results to `previous`; the earlier message's options move onto its last part, as streamText does. */
function mergeToolMessages(previous: ProviderToolMessage, next: ProviderToolMessage): void {
  const last = previous.content[previous.content.length - 1];
  if (last && previous.providerOptions) last.providerOptions = { ...previous.providerOptions, ...last.providerOptions };
  previous.content.push(...next.content);
  previous.providerOptions = next.providerOptions;
}

/** Every tool call the model made must have its result before the next user or system message. */
function checkToolResults(prompt: ProviderPrompt): void {
  const open = new Set<string>();
  for (const message of prompt) {
    if (message.role === "assistant") {
      for (const part of message.content) if (part.type === "tool-call" && !part.providerExecuted) open.add(part.toolCallId);
    } else if (message.role === "tool") {
      for (const part of message.content) if (part.type === "tool-result") open.delete(part.toolCallId);
    } else if (open.size > 0) break;
  }
  if (open.size > 0) throw new Error(`tool calls without results in the prompt: ${[...open].join(", ")}`);
}

function toToolResultPart(part: ToolResultPart, toolImages: boolean): Extract<ProviderAssistantPart, { type: "tool-result" }> {
  return { type: "tool-result", toolCallId: part.toolCallId, toolName: part.toolName, output: toToolOutput(part.output, toolImages), providerOptions: part.providerOptions };
}

/** Said in place of a tool result's images to a model whose API takes none there. */
export const TOOL_IMAGES_OMITTED = "[the images of this result are not shown: this model's API takes no images in tool results]";

/**
 * Tool output as sent; the deprecated `media` items of content output become image or file data. Without `toolImages`
 * (chat-completions style APIs, which would send the base64 as text) content output becomes its text alone.
 */
function toToolOutput(output: ToolResultPart["output"], toolImages: boolean): ProviderToolOutput {
  if (output.type !== "content") return output;
  if (!toolImages) {
    const text = output.value.flatMap((item) => (item.type === "text" ? [item.text] : [])).join("\n");
    const dropped = output.value.some((item) => item.type !== "text");
    return { type: "text", value: dropped ? `${text}\n${TOOL_IMAGES_OMITTED}` : text };
  }
  return {
    type: "content",
    value: output.value.map((item) => {
      if (item.type !== "media") return item;
      const type = item.mediaType.startsWith("image/") ? "image-data" : "file-data";
      return { type, data: item.data, mediaType: item.mediaType };
    }),
  };
}

/** An image or file of a user message → the provider's file part; an image's media type is sniffed from its bytes. */
function toUserFilePart(part: Exclude<UserPart, { type: "text" }>): ProviderFilePart {
  const converted = toDataContent(part.type === "image" ? part.image : part.data);
  const { data } = converted;
  const url = data instanceof URL && converted.originalUrl !== undefined ? { originalUrl: converted.originalUrl } : {};
  let mediaType = converted.mediaType ?? part.mediaType;
  if (part.type === "image") {
    if (!(data instanceof URL)) mediaType = sniffImageType(data) ?? mediaType;
    return { type: "file", mediaType: mediaType ?? "image/*", filename: undefined, data, ...url, providerOptions: part.providerOptions };
  }
  if (mediaType === undefined) throw new Error("a file part of the prompt has no media type");
  return { type: "file", mediaType, filename: part.filename, data, ...url, providerOptions: part.providerOptions };
}

/** Bytes stay bytes, a data URL becomes base64 and its media type, another URL a URL, any other string is base64. */
function toDataContent(content: DataContent | URL): { data: Uint8Array | string | URL; mediaType?: string; originalUrl?: string } {
  if (content instanceof Uint8Array) return { data: content };
  if (content instanceof ArrayBuffer) return { data: new Uint8Array(content) };
  let url: URL | undefined;
  let originalUrl: string | undefined;
  if (content instanceof URL) url = content;
  else if (/^[a-z][a-z\d+.-]*:/i.test(content)) {
    url = URL.parse(content) ?? undefined;
    if (url && url.href !== content) originalUrl = content;
  }
  if (!url) return { data: content as string };
  if (url.protocol !== "data:") return originalUrl === undefined ? { data: url } : { data: url, originalUrl };
  const href = url.href;
  const comma = href.indexOf(",");
  const mediaType = href.slice(5, comma).split(";")[0];
  if (comma < 0 || !mediaType) throw new Error(`invalid data URL in the prompt: ${href.slice(0, 40)}…`);
  return { data: href.slice(comma + 1), mediaType };
}

/** Leading bytes of the image types the AI SDK recognises (null: any byte). */
const IMAGE_SIGNATURES: Array<[string, Array<number | null>]> = [
  ["image/gif", [0x47, 0x49, 0x46]],
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/jpeg", [0xff, 0xd8]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50]],
  ["image/bmp", [0x42, 0x4d]],
  ["image/tiff", [0x49, 0x49, 0x2a, 0x00]],
  ["image/tiff", [0x4d, 0x4d, 0x00, 0x2a]],
  ["image/avif", [0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66]],
  ["image/heic", [0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63]],
];

function sniffImageType(data: Uint8Array | string): string | undefined {
  const bytes = typeof data === "string" ? Buffer.from(data.slice(0, 24), "base64") : data;
  for (const [mediaType, prefix] of IMAGE_SIGNATURES) {
    if (bytes.length >= prefix.length && prefix.every((b, i) => b === null || bytes[i] === b)) return mediaType;
  }
  return undefined;
}
