// MCP tools as Pincer tools: each allowed tool of each configured server becomes `mcp__<server>__<tool>` (group `mcp`)
// for one turn, so the one tool gate (policy, ask, taint, audit) decides its calls. Results become text for the model.
import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../config/logger.ts";
import { ToolError } from "../core/errors.ts";
import type { McpConfig, McpServerConfig } from "../core/safety-config.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { Tool, ToolContext, ToolResult } from "../tools/tool.ts";
import { clipText } from "../tools/tool-kit.ts";
import { writeWorkspaceFile } from "../tools/workspace-fs.ts";
import { McpServerError, type McpManager, type McpToolInfo } from "./mcp-manager.ts";
import { compactSchema, cutDescription, mcpToolNames } from "./mcp-tool-names.ts";

export interface McpTools {
  /** This turn's MCP tools: every allowed tool of every server that is up (a failing server's are absent). Never throws. */
  toolsForTurn(): Promise<Tool[]>;
  /** True for `mcp__<server>__<tool>` names of tools listed in their server's `safe_tools` (not guarded by taint). */
  isSafeTool(name: string): boolean;
}

export interface McpToolsOptions {
  manager: McpManager;
  config: () => McpConfig;
  now?: () => number;
  log?: Logger | undefined;
}

const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const IMAGE_EXT: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };

/** The allowed tools of one server (its `tools` allowlist, when set) with their model names. */
export function allowedTools(server: string, config: McpServerConfig, tools: readonly McpToolInfo[]): Array<{ name: string; info: McpToolInfo }> {
  const allow = config.tools ? new Set(config.tools) : undefined;
  const kept = tools.filter((t) => !allow || allow.has(t.name));
  const names = mcpToolNames(server, kept.map((t) => t.name));
  return kept.map((info) => ({ name: names.get(info.name)!, info })).sort((a, b) => a.name.localeCompare(b.name));
}

export function createMcpTools(opts: McpToolsOptions): McpTools {
  const now = opts.now ?? Date.now;
  // Model name → whether it is safe, as of the last listing (a tool not listed yet cannot be called either).
  const safe = new Map<string, boolean>();

  const toTool = (server: string, cfg: McpServerConfig, name: string, info: McpToolInfo): Tool => ({
    name,
    group: "mcp",
    description: cutDescription(info.description ?? `${info.name} (MCP server ${server})`, opts.config().max_description_chars),
    parameters: compactSchema(info.inputSchema),
    async execute(args, ctx) {
      const result = await callMcpTool({ manager: opts.manager, server, tool: info.name, args, ctx, log: opts.log });
      // What an untrusted server says can steer the model: the run now holds untrusted content.
      if (!cfg.trusted) ctx.safety?.noteUntrusted({ kind: "mcp", label: `mcp ${server}/${info.name}`, at: now() });
      return renderResult(result, { workspace: ctx.workspace, maxChars: opts.config().max_result_chars });
    },
  });

  return {
    async toolsForTurn() {
      const config = opts.config();
      const listed = await opts.manager.listAll();
      const tools: Tool[] = [];
      for (const { server, tools: infos } of listed) {
        const cfg = ownEntry(config.servers, server);
        if (!cfg) continue;
        for (const { name, info } of allowedTools(server, cfg, infos)) {
          safe.set(name, cfg.safe_tools.includes(info.name));
          tools.push(toTool(server, cfg, name, info));
        }
      }
      return tools;
    },
    isSafeTool: (name) => safe.get(name) === true,
  };
}

/** One call through the manager; its failures as ToolErrors naming the server. */
export async function callMcpTool(o: { manager: McpManager; server: string; tool: string; args: Record<string, unknown>; ctx: Pick<ToolContext, "signal">; log?: Logger | undefined }): Promise<CallToolResult> {
  try {
    return await o.manager.call(o.server, o.tool, o.args, {
      signal: o.ctx.signal,
      onProgress: (p) => o.log?.debug({ server: o.server, tool: o.tool, progress: p.progress, total: p.total, message: p.message }, "mcp tool progress"),
    });
  } catch (err) {
    if (err instanceof McpServerError) throw new ToolError(err.code === "timeout" ? "timeout" : "exec_failed", err.message, { cause: err });
    throw err;
  }
}

/**
 * An MCP result as the model reads it: text parts joined; embedded resources' text; images written to the workspace's
 * `inbox/mcp/` and named by an `[image: …]` line; audio and binary resources described; capped at `maxChars` with a note.
 * `isError` results stay tool errors.
 */
export async function renderResult(result: CallToolResult, o: { workspace: string | undefined; maxChars: number }): Promise<ToolResult> {
  const parts: string[] = [];
  const images: string[] = [];
  for (const block of result.content ?? []) {
    if (block.type === "text") parts.push(block.text);
    else if (block.type === "image") {
      const saved = o.workspace ? await saveImage(o.workspace, block.data, block.mimeType) : undefined;
      if (saved) {
        images.push(saved);
        parts.push(`[image: ${saved}]`);
      } else parts.push(`[image ${block.mimeType} not kept: only PNG, JPEG, GIF and WebP up to 20 MB are]`);
    } else if (block.type === "audio") parts.push(`[audio ${block.mimeType}, ${base64Bytes(block.data)} bytes, not shown]`);
    else if (block.type === "resource") {
      const r = block.resource;
      if ("text" in r && typeof r.text === "string") parts.push(`[resource ${r.uri}]\n${r.text}`);
      else parts.push(`[resource ${r.uri}${r.mimeType ? ` ${r.mimeType}` : ""}, ${"blob" in r && typeof r.blob === "string" ? base64Bytes(r.blob) : 0} bytes, binary]`);
    } else if (block.type === "resource_link") parts.push(`[resource link ${block.uri}${block.name ? ` (${block.name})` : ""}]`);
  }
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  const joined = parts.join("\n") || (result.isError ? "the tool failed without a message" : "(no output)");
  const { text, clipped } = clipText(joined, o.maxChars);
  return { text, isError: result.isError === true, detail: { chars: joined.length, ...(clipped ? { clipped: true } : {}), ...(images.length ? { images } : {}) } };
}

function base64Bytes(data: string): number {
  return Math.floor((data.length * 3) / 4) - (data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0);
}

async function saveImage(workspace: string, data: string, mimeType: string): Promise<string | undefined> {
  const ext = ownEntry(IMAGE_EXT, mimeType.toLowerCase());
  if (!ext || base64Bytes(data) > MAX_IMAGE_BYTES) return undefined;
  const day = new Date().toISOString().slice(0, 10);
  const rel = `inbox/mcp/${day}/${randomBytes(4).toString("hex")}.${ext}`;
  try {
    await writeWorkspaceFile(workspace, rel, Buffer.from(data, "base64"), { mode: 0o600, dirMode: 0o700 });
    return rel;
  } catch {
    return undefined;
  }
}
