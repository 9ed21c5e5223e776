// The fake model's script for the sub-agent and agent-to-agent tests: what to answer is read from the last message.
import type { RecordedRequest, ScriptedReply } from "../fakes/index.ts";

type WireMessage = { role: string; content: unknown };

/**
 * The model's script, read from the last message: `SPAWN <json>[ | <json>…]` calls spawn_agent once per JSON,
 * `ANSWER x` answers x, `HANG` never answers, `BURN` calls ls with a 500-token step, `TOOLS` answers with the names
 * of the tools it was offered, a tool result is answered `done: <result>`. `SEND <json>` calls send_agent_message;
 * `PINGPONG <to>` sends PINGPONG to `to`, and an agent's PINGPONG is sent back to its sender (a reply loop).
 * `THENHANG <script>` follows the script, then hangs instead of answering the tool result.
 */
export function scriptedModel(req: RecordedRequest): ScriptedReply {
  const body = req.body as { messages: WireMessage[]; tools?: Array<{ function: { name: string } }> };
  const last = body.messages.at(-1)!;
  let text = typeof last.content === "string" ? last.content : JSON.stringify(last.content);
  if (last.role === "tool") {
    const first = body.messages.find((m) => m.role === "user");
    return typeof first?.content === "string" && first.content.startsWith("THENHANG ") ? { hang: true } : { text: `done: ${text}` };
  }
  if (text.startsWith("THENHANG ")) text = text.slice(9);
  // An agent's message: its header names the sender, the script follows it.
  const header = /^\[message from (\S+), turn \d+ of \d+\]\n/.exec(text);
  if (header) {
    text = text.slice(header[0].length);
    if (text === "PINGPONG") return { toolCalls: [{ name: "send_agent_message", args: { to: header[1]!, text: "PINGPONG" } }] };
  }
  if (text.startsWith("SEND ")) return { toolCalls: [{ name: "send_agent_message", args: JSON.parse(text.slice(5)) as Record<string, unknown> }] };
  if (text.startsWith("PINGPONG ")) return { toolCalls: [{ name: "send_agent_message", args: { to: text.slice(9), text: "PINGPONG" } }] };
  if (text.startsWith("[sub-agent ")) return { text: `noted: ${text}` };
  if (text.startsWith("SPAWN ")) {
    const calls = text.slice(6).split(" | ").map((json, i) => ({ name: "spawn_agent", args: JSON.parse(json) as Record<string, unknown>, id: `call_${i}` }));
    return { toolCalls: calls };
  }
  if (text.startsWith("ANSWER ")) return { text: text.slice(7) };
  if (text === "HANG") return { hang: true };
  if (text === "BURN") return { toolCalls: [{ name: "ls", args: {} }], usage: { input: 500, output: 10 } };
  if (text === "TOOLS") return { text: (body.tools ?? []).map((t) => t.function.name).sort().join(",") };
  return { text: "?" };
}

/** spawn_agent's arguments as the script's `SPAWN` expects them. */
export const spawn = (args: Record<string, unknown>): string => JSON.stringify(args);
