// Context that never overflows: a 1,000-turn conversation (seeded in the store, then real turns through the CLI)
// against the OpenAI fake with a 4,000-token window. Every request the model receives stays under the window (counted
// with a real tokenizer), the memory flush comes before the summary, /compact works and the transcript stays whole.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.ts";
import type { RecordedRequest } from "../fakes/index.ts";
import { fakeProviderConfig, useCliFixture, type Home } from "./harness.ts";

const fx = useCliFixture();
const SESSION = "agent:default:cli:dm:long";
const WINDOW = 4_000;
const SEEDED_TURNS = 1_000;

type WireMessage = { role: string; content: unknown; tool_calls?: unknown };
const messagesOf = (req: RecordedRequest): WireMessage[] => (req.body as { messages: WireMessage[] }).messages;
const textOf = (m: WireMessage | undefined): string => (m === undefined ? "" : typeof m.content === "string" ? m.content : JSON.stringify(m.content));
const isSummary = (req: RecordedRequest): boolean => textOf(messagesOf(req)[0]).startsWith("You summarise a conversation");
const isFlush = (req: RecordedRequest): boolean => textOf(messagesOf(req).findLast((m) => m.role === "user")).includes("[Context maintenance");
/** Real tokens of what the model is sent: every message and tool definition as JSON (over-counts the framing). */
const requestTokens = (req: RecordedRequest): number => encode(JSON.stringify({ messages: messagesOf(req), tools: (req.body as { tools?: unknown }).tools ?? [] })).length;

/** The fake's script: the flush writes MEMORY.md once then stays silent, summaries and answers are short texts. */
function scriptModel(): void {
  let answers = 0;
  fx.fake.setFallback((req) => {
    if (isSummary(req)) return { text: "The user and the assistant went through a long numbered list of topics; the user likes tea." };
    if (isFlush(req)) {
      const last = messagesOf(req).at(-1);
      if (last?.role === "tool") return { text: "NO_REPLY" };
      return { toolCalls: [{ name: "write", args: { path: "MEMORY.md", content: "- The user likes tea.\n" } }] };
    }
    return { text: `answer ${++answers}` };
  });
}

async function seedConversation(home: Home): Promise<void> {
  const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
  try {
    await store.sessions.ensure({ key: SESSION, agentId: "default", channel: "cli" });
    for (let i = 1; i <= SEEDED_TURNS; i++) {
      await store.transcript.append(SESSION, `seed${i}`, [
        { role: "user", content: { role: "user", content: `Message ${i}: tell me something about topic number ${i}, please.` } },
        { role: "assistant", content: { role: "assistant", content: [{ type: "text", text: `Topic ${i} is a fine topic; here are a few words about it.` }] } },
      ]);
    }
  } finally {
    await store.close();
  }
}

async function readSession(home: Home) {
  const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
  try {
    return {
      session: await store.sessions.get(SESSION),
      transcript: await store.transcript.list(SESSION),
      audit: await store.audit.list({ kind: "context.compaction" }),
      usage: await store.usage.totals({ sessionKey: SESSION }),
    };
  } finally {
    await store.close();
  }
}

describe("context compaction", () => {
  it("keeps a 1,000-turn conversation under a 4,000-token window, flushing memory before summarising", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, [
      "  context_windows:",
      `    fake/gpt-4o-mini: ${WINDOW}`,
      "policy:",
      "  tools:",
      "    allow: [group:fs]",
    ].join("\n")));
    await seedConversation(home);
    scriptModel();
    const before = fx.fake.requests.length;

    for (const text of ["What was topic 3 about?", "And topic 999?", "Thanks!"]) {
      const r = await home.cli(["run", text, "--session", SESSION]);
      expect(r.stderr).not.toContain("rror");
      expect(r.code).toBe(0);
    }
    const compact = await home.cli(["run", "/compact the user's preferences", "--session", SESSION]);
    expect(compact.code).toBe(0);
    expect(compact.stdout).toMatch(/^Compacted: \d+ older message\(s\) summarised .*Context: about [\d,]+ of 4,000 tokens\.\n$/);

    const requests = fx.fake.requests.slice(before);
    const sizes = requests.map(requestTokens);
    expect(Math.max(...sizes)).toBeLessThan(WINDOW);
    const firstFlush = requests.findIndex(isFlush);
    const firstSummary = requests.findIndex(isSummary);
    expect(firstFlush).toBeGreaterThanOrEqual(0);
    expect(firstFlush).toBeLessThan(firstSummary);
    // The flush's own answer (NO_REPLY) never reached the user; the turn's answer did.
    const answers = requests.filter((r) => !isFlush(r) && !isSummary(r));
    expect(answers).toHaveLength(3);
    // The /compact summary was asked to focus on what the user said.
    expect(textOf(messagesOf(requests.at(-1)!).at(-1))).toContain("Pay particular attention to: the user's preferences");
    expect(await readFile(join(home.workspace, "MEMORY.md"), "utf8")).toBe("- The user likes tea.\n");

    const { session, transcript, audit, usage } = await readSession(home);
    // Compaction changes what the model sees, never what is kept: every seeded and real message is still stored.
    expect(transcript).toHaveLength(SEEDED_TURNS * 2 + 3 * 2);
    expect(transcript[0]!.content).toMatchObject({ content: "Message 1: tell me something about topic number 1, please." });
    expect(transcript.some((m) => JSON.stringify(m.content).includes("/compact"))).toBe(false);
    expect(session?.compaction?.summary).toContain("likes tea");
    expect(audit.map((a) => a.reason)).toEqual(["/compact", "prompt passed 0.7 of the window"]);
    expect(usage[0]?.calls).toBe(requests.length);
  });

  it("shows tool results of older turns as stubs", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, ["compaction:", "  full_tool_results_turns: 1"].join("\n")));
    await mkdir(home.workspace, { recursive: true });
    await writeFile(join(home.workspace, "notes.md"), `first line of the notes\n${"lorem ipsum ".repeat(400)}`);
    fx.fake.enqueue({ toolCalls: [{ name: "read", args: { path: "notes.md" } }] }, { text: "read it" }, { text: "fine" });
    await home.cli(["run", "read the notes", "--session", SESSION]);
    await home.cli(["run", "how are you?", "--session", SESSION]);
    const inFull = JSON.stringify(messagesOf(fx.fake.requests.at(-1)!));
    expect(inFull).toContain("lorem ipsum lorem ipsum");
    fx.fake.enqueue({ text: "ok" });
    await home.cli(["run", "and now?", "--session", SESSION]);
    const sent = JSON.stringify(messagesOf(fx.fake.requests.at(-1)!));
    expect(sent).not.toContain("lorem ipsum lorem ipsum");
    expect(sent).toMatch(/\[older read result, \d+ chars, shortened; first line: \\"[^"]*first line of the notes\\"\. Call the tool again if you need it\.\]/);
  });

  it("/compact and /status work in pincer chat", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, ["  context_windows:", "    gpt-4o-mini: 16000"].join("\n")));
    scriptModel();
    const r = await home.cli(["chat"], { input: "hello\nhow are you?\n/status\n/compact\n/status\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Context: history about [\d,]+ of 16,000 tokens \(\d+%\); never compacted/);
    expect(r.stdout).toMatch(/Compacted: 2 older message\(s\) summarised \(about [\d,]+ tokens before\)\. Context: about [\d,]+ of 16,000 tokens\./);
    expect(r.stdout).toMatch(/Context: history about [\d,]+ of 16,000 tokens \(\d+%\); last compacted \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });
});
