// Public surface of the tools folder: the Tool contract, the gate, tool policy and the built-in tool set.
export type { Tool, ToolCall, ToolContext, ToolGroup, ToolParameters, ToolResult } from "./tool.ts";
export { createToolGate, type ToolGate, type ToolGateContext, type ToolGateOptions, type ToolGateResult, type ToolSpec } from "./tool-gate.ts";
export { decideTool, mergeToolRules, type ToolDecision, type ToolRules } from "./tool-policy.ts";
export { createBuiltinTools, type BuiltinToolsOptions } from "./builtin-tools.ts";
export { listWorkspaceDir, openWorkspaceFile, readWorkspaceFile, writeWorkspaceFile, type OpenedFile } from "./workspace-fs.ts";
export { redactArgs, redactText } from "./redact-args.ts";
export type { LookupFn } from "./builtin/address-guard.ts";
export type { ConnectFn } from "./builtin/pinned-request.ts";
