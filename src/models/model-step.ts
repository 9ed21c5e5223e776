// One model step read from a provider model's stream parts: the text, the tool calls to run, the finish reason and
// usage, and the assistant message for the transcript, shaped as streamText's `response.messages`. No I/O.
import type { AssistantContent, ModelMessage } from "ai";
import type { Usage } from "../core/domain.ts";
import type { ToolCallRequest, ToolSpec } from "./model-events.ts";
import type { ProviderStreamPart } from "./provider-registry.ts";

type AssistantPart = Exclude<AssistantContent, string>[number];
type ProviderOptions = Extract<AssistantPart, { type: "text" }>["providerOptions"];
type OpenPart = { type: "text" | "reasoning"; text: string; providerOptions?: ProviderOptions };
type FinishPart = Extract<ProviderStreamPart, { type: "finish" }>;

export type StepOutcome =
  | {
      ok: true;
      finishReason: string;
      text: string;
      toolCalls: ToolCallRequest[];
      /** The assistant message (none when the model said nothing), as the transcript stores it. */
      responseMessages: ModelMessage[];
      usage: Omit<Usage, "costUsd">;
    }
  | { ok: false; error: unknown };

/** Stream parts that are output; a stream with neither output nor a finish part has failed. */
const OUTPUT_PARTS: ReadonlySet<string> = new Set([
  "text-start", "text-delta", "text-end", "reasoning-start", "reasoning-delta", "reasoning-end", "tool-input-start",
  "tool-input-delta", "tool-input-end", "tool-call", "tool-result", "tool-approval-request", "file", "source",
]);

/** Collects one step from its stream parts. Contract: `add` never throws; a stream's error part fails the step. */
export class ModelStep {
  private readonly tools: ToolSpec[];
  private text = "";
  private readonly toolCalls: ToolCallRequest[] = [];
  private readonly content: Array<AssistantPart | OpenPart> = [];
  private readonly openText = new Map<string, OpenPart>();
  private readonly openReasoning = new Map<string, OpenPart>();
  private finishPart: FinishPart | undefined;
  private sawOutput = false;
  private failure: { error: unknown } | undefined;

  constructor(tools: ToolSpec[]) {
    this.tools = tools;
  }

  /** Takes one part; returns the text to show now, if it carries some. */
  add(part: ProviderStreamPart): string | undefined {
    if (!this.sawOutput && OUTPUT_PARTS.has(part.type)) this.sawOutput = true;
    switch (part.type) {
      case "text-start":
      case "reasoning-start": {
        const open: OpenPart = { type: part.type === "text-start" ? "text" : "reasoning", text: "", providerOptions: part.providerMetadata };
        (part.type === "text-start" ? this.openText : this.openReasoning).set(part.id, open);
        this.content.push(open);
        return undefined;
      }
      case "text-delta":
      case "reasoning-delta":
      case "text-end":
      case "reasoning-end": {
        const isText = part.type === "text-delta" || part.type === "text-end";
        const open = (isText ? this.openText : this.openReasoning).get(part.id);
        if (!open) {
          this.fail(new Error(`${isText ? "text" : "reasoning"} part ${part.id} not found`));
        } else {
          if (part.providerMetadata) open.providerOptions = part.providerMetadata;
          if (part.type === "text-end") this.openText.delete(part.id);
          else if (part.type === "reasoning-end") this.openReasoning.delete(part.id);
          else open.text += part.delta;
        }
        if (part.type !== "text-delta" || part.delta.length === 0) return undefined;
        this.text += part.delta;
        return part.delta;
      }
      case "tool-call":
        this.addToolCall(part);
        return undefined;
      case "tool-result":
        // Only provider-executed tools have results in the stream; they belong to the assistant message.
        this.content.push({
          type: "tool-result",
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output: part.isError ? { type: "error-json", value: part.result } : typeof part.result === "string" ? { type: "text", value: part.result } : { type: "json", value: part.result },
          providerOptions: part.providerMetadata,
        });
        return undefined;
      case "file":
        this.content.push({
          type: "file",
          data: typeof part.data === "string" ? part.data : Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength).toString("base64"),
          mediaType: part.mediaType,
          providerOptions: part.providerMetadata,
        });
        return undefined;
      case "finish":
        this.finishPart = part;
        return undefined;
      case "error":
        this.fail(part.error);
        return undefined;
      default:
        return undefined; // stream-start, response-metadata, tool input deltas, sources, approvals, raw
    }
  }

  /** The step once its stream has ended. */
  finish(): StepOutcome {
    if (this.failure) return { ok: false, error: this.failure.error };
    const finish = this.finishPart;
    if (!finish && !this.sawOutput) return { ok: false, error: new Error("the model stream ended without output or a finish part") };
    const content = this.content.filter((part) => part.type !== "text" || part.text.length > 0) as AssistantPart[];
    return {
      ok: true,
      finishReason: finish?.finishReason.unified ?? "other",
      text: this.text,
      toolCalls: this.toolCalls,
      responseMessages: content.length > 0 ? [{ role: "assistant", content }] : [],
      usage: {
        inputTokens: finish?.usage.inputTokens.total ?? 0,
        outputTokens: finish?.usage.outputTokens.total ?? 0,
        cachedTokens: finish?.usage.inputTokens.cacheRead ?? 0,
      },
    };
  }

  private addToolCall(part: Extract<ProviderStreamPart, { type: "tool-call" }>): void {
    const parsed = parseToolInput(part.input);
    const args = parsed.ok ? parsed.value : part.input;
    if (!part.providerExecuted) this.toolCalls.push({ id: part.toolCallId, name: part.toolName, args });
    // The transcript keeps an object where the SDK would: `{}` for unparseable input or an unknown tool's non-object.
    const known = this.tools.some((t) => t.name === part.toolName);
    const input = parsed.ok && (known || typeof parsed.value === "object") ? parsed.value : {};
    this.content.push({ type: "tool-call", toolCallId: part.toolCallId, toolName: part.toolName, input, providerExecuted: part.providerExecuted, providerOptions: part.providerMetadata });
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
  }
}

/** Tool input is a JSON string; empty means `{}`. Like the SDK, refuses `__proto__` and `constructor.prototype` keys
 * (also when escaped, hence the look for `\u`). */
export function parseToolInput(input: string): { ok: true; value: unknown } | { ok: false } {
  if (input.trim() === "") return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return { ok: false };
  }
  if (/proto|constructor|\\u/.test(input) && hasPrototypeKey(value)) return { ok: false };
  return { ok: true, value };
}

function hasPrototypeKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasPrototypeKey);
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "__proto__")) return true;
  const ctor = Object.hasOwn(record, "constructor") ? record["constructor"] : undefined;
  if (ctor !== null && typeof ctor === "object" && Object.hasOwn(ctor, "prototype")) return true;
  return Object.values(record).some(hasPrototypeKey);
}
