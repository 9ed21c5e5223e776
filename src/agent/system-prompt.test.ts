// Unit tests for system prompt assembly: which workspace files are read, in what order, truncation,
// and a byte ceiling on the base prompt (it is paid on every turn).
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPromptFileLoader, loadPromptFiles, MAX_PROMPT_FILE_CHARS, renderSystemPrompt, type PromptInput } from "./system-prompt.ts";

let workspace = "";

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), "pincer-prompt-"));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const writeFiles = (files: Record<string, string>) => Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(workspace, name), text)));

const render = (overrides: Partial<PromptInput> = {}) =>
  renderSystemPrompt({ agentId: "default", workspace: "/home/me/.pincer/workspace", files: [], toolNames: [], now: new Date("2025-03-04T12:00:00Z"), ...overrides });

describe("loadPromptFiles", () => {
  it("reads AGENTS.md, SOUL.md and USER.md in that order", async () => {
    await writeFiles({ "USER.md": "user", "AGENTS.md": "agents", "SOUL.md": "soul" });

    const files = await loadPromptFiles(workspace);

    expect(files.map((f) => [f.name, f.text])).toEqual([["AGENTS.md", "agents"], ["SOUL.md", "soul"], ["USER.md", "user"]]);
  });

  it("skips missing and blank files", async () => {
    await writeFiles({ "AGENTS.md": "  \n\n", "USER.md": "\n  likes tea \n" });

    const files = await loadPromptFiles(workspace);

    expect(files).toEqual([{ name: "USER.md", text: "likes tea", truncated: false }]);
  });

  it("never follows a prompt file that is a symlink (it could point at the state dir's credentials)", async () => {
    const secret = join(workspace, "..", `${workspace.split("/").at(-1)}-auth.json`);
    await writeFile(secret, "sk-secret");
    await symlink(secret, join(workspace, "AGENTS.md"));
    await writeFiles({ "USER.md": "user" });

    expect((await loadPromptFiles(workspace)).map((f) => f.name)).toEqual(["USER.md"]);
    expect(createPromptFileLoader()(workspace).map((f) => f.name)).toEqual(["USER.md"]);
    await rm(secret);
  });

  it("returns nothing for a workspace that does not exist", async () => {
    expect(await loadPromptFiles(join(workspace, "missing"))).toEqual([]);
  });

  it("cuts a file longer than MAX_PROMPT_FILE_CHARS and marks it truncated", async () => {
    await writeFiles({ "SOUL.md": "x".repeat(MAX_PROMPT_FILE_CHARS + 10) });

    const [soul] = await loadPromptFiles(workspace);

    expect(soul).toMatchObject({ name: "SOUL.md", truncated: true });
    expect(soul!.text).toHaveLength(MAX_PROMPT_FILE_CHARS);
  });
});

describe("renderSystemPrompt", () => {
  it("stays under 600 bytes with no files and the built-in tools", () => {
    const prompt = render({ toolNames: ["read", "write", "edit", "ls", "glob", "grep", "exec", "web_fetch"] });

    expect(Buffer.byteLength(prompt, "utf8")).toBeLessThan(600);
  });

  it("names the agent, workspace and date, and leaves out the tools line when there are no tools", () => {
    const prompt = render();

    expect(prompt).toContain('agent "default"');
    expect(prompt).toContain("Workspace: /home/me/.pincer/workspace");
    expect(prompt).toContain("Date: 2025-03-04.");
    expect(prompt).not.toContain("Tools:");
  });

  it("appends files as sections in the given order with a note for truncated ones", () => {
    const prompt = render({ files: [{ name: "AGENTS.md", text: "rules", truncated: true }, { name: "USER.md", text: "likes tea", truncated: false }] });

    expect(prompt.split("\n").slice(3)).toEqual([
      "",
      "## AGENTS.md",
      "rules",
      `[AGENTS.md truncated at ${MAX_PROMPT_FILE_CHARS} characters]`,
      "",
      "## USER.md",
      "likes tea",
    ]);
  });

  it("adds the skills block last, and nothing at all without skills", () => {
    const files = [{ name: "USER.md", text: "likes tea", truncated: false }];
    const without = render({ files, toolNames: ["read"] });
    expect(render({ files, toolNames: ["read"], skills: undefined })).toBe(without);
    expect(render({ files, toolNames: ["read"], skills: "" })).toBe(without);
    expect(render({ files, toolNames: ["read"], skills: "## Skills\n<skills>\n- a: b (/skills/a/SKILL.md)\n</skills>" })).toBe(`${without}\n\n## Skills\n<skills>\n- a: b (/skills/a/SKILL.md)\n</skills>`);
  });
});
