// The agent tools (group `agents`): spawn_agent starts a sub-agent, send_agent_message writes to another agent.
// Both only validate arguments here; the run's AgentsView (built by the runtime) does the work and enforces limits.
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import type { AgentsView, Tool, ToolContext } from "../tool.ts";
import { parseArgs } from "../tool-kit.ts";

const spawnArgs = z.strictObject({
  task: z.string().trim().min(1).max(20_000),
  agent: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(200).optional(),
  timeout_s: z.number().int().positive().max(86_400).optional(),
  background: z.boolean().default(false),
});

const messageArgs = z.strictObject({
  to: z.string().min(1).max(200),
  text: z.string().trim().min(1).max(20_000),
  wait: z.boolean().default(false),
});

function agentsOf(ctx: ToolContext, tool: string): AgentsView {
  if (!ctx.agents) throw new ToolError("denied", `${tool}: not available in this run`);
  return ctx.agents;
}

export const spawnAgentTool: Tool = {
  name: "spawn_agent",
  group: "agents",
  description:
    "Delegate a self-contained task to a sub-agent and get its answer; background: answer arrives later as a message.",
  parameters: {
    type: "object",
    properties: {
      task: { type: "string", description: "All it needs: it sees nothing else" },
      agent: { type: "string" },
      model: { type: "string" },
      timeout_s: { type: "integer" },
      background: { type: "boolean" },
    },
    required: ["task"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const a = parseArgs("spawn_agent", spawnArgs, args);
    return agentsOf(ctx, "spawn_agent").spawn({ task: a.task, agent: a.agent, model: a.model, timeoutS: a.timeout_s, background: a.background }, ctx.signal);
  },
};

export const sendAgentMessageTool: Tool = {
  name: "send_agent_message",
  group: "agents",
  description:
    "Message another agent (to: agent:<id> or <instance>/agent:<id>); wait: get its answer.",
  parameters: {
    type: "object",
    properties: { to: { type: "string" }, text: { type: "string" }, wait: { type: "boolean" } },
    required: ["to", "text"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const a = parseArgs("send_agent_message", messageArgs, args);
    return agentsOf(ctx, "send_agent_message").message(a, ctx.signal);
  },
};

export const agentTools: Tool[] = [spawnAgentTool, sendAgentMessageTool];
