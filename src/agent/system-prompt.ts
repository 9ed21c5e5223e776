// System prompt assembly: a short base prompt plus the workspace's AGENTS.md, SOUL.md and USER.md when present.
// Kept small on purpose — every byte is paid on every turn; tool schemas travel separately.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const WORKSPACE_PROMPT_FILES = ["AGENTS.md", "SOUL.md", "USER.md"] as const;
/** Per file; longer files are cut with a note so one runaway file cannot blow the budget. */
export const MAX_PROMPT_FILE_CHARS = 12_000;

export interface PromptFile {
  name: string;
  text: string;
  truncated: boolean;
}

/** Reads the prompt files that exist in the workspace, in a fixed order. Missing files are skipped. */
export async function loadPromptFiles(workspace: string): Promise<PromptFile[]> {
  const files: PromptFile[] = [];
  for (const name of WORKSPACE_PROMPT_FILES) {
    let text: string;
    try {
      text = await readFile(join(workspace, name), "utf8");
    } catch {
      continue;
    }
    text = text.trim();
    if (!text) continue;
    const truncated = text.length > MAX_PROMPT_FILE_CHARS;
    files.push({ name, text: truncated ? text.slice(0, MAX_PROMPT_FILE_CHARS) : text, truncated });
  }
  return files;
}

export interface PromptInput {
  agentId: string;
  workspace: string;
  files: PromptFile[];
  /** Tool names the model may call this turn. */
  toolNames: string[];
  now: Date;
}

export function renderSystemPrompt(input: PromptInput): string {
  const lines = [
    `You are Pincer agent "${input.agentId}", a personal assistant. Be concise and accurate.`,
    `Workspace: ${input.workspace} (tool paths are relative to it).`,
    `Date: ${input.now.toISOString().slice(0, 10)}.`,
  ];
  if (input.toolNames.length > 0) {
    lines.push(`Tools: ${input.toolNames.join(", ")}. Use them when they help; read before you edit; one exec command at a time.`);
  }
  for (const file of input.files) {
    lines.push("", `## ${file.name}`, file.text);
    if (file.truncated) lines.push(`[${file.name} truncated at ${MAX_PROMPT_FILE_CHARS} characters]`);
  }
  return lines.join("\n");
}
