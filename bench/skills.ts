// `npm run bench` (skills): the system prompt of a one-word turn with 0, 10 and 50 installed skills, built by the
// real turn path (createApp → dispatcher → agent → the fake model, which records the request). Records characters,
// Pincer's own estimate (chars / 4, what skills.prompt_max_tokens is checked against) and real tokens (gpt-tokenizer,
// o200k), for the whole system prompt and for the skills block, plus how many skills the index listed.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { estimateTokens } from "../src/skills/skills-prompt.ts";
import { startFakeOpenAI } from "../test/fakes/index.ts";
import { makeHome } from "./bench-home.ts";
import { progress, writeResult } from "./bench-stats.ts";

const COUNTS = [0, 10, 50];
const TOPICS = ["calendar", "invoices", "photos", "recipes", "travel", "fitness", "backups", "budget", "music", "reading"];

/** A plausible skill: a name, a one-sentence description of typical length (~150 chars), a body never sent. */
function skillText(i: number): { name: string; text: string } {
  const topic = TOPICS[i % TOPICS.length]!;
  const name = `${topic}-helper-${i}`;
  const description = `Manage the user's ${topic} - find, summarize and update entries, and answer questions about them. Use when the user mentions ${topic}.`;
  return { name, text: `---\nname: ${name}\ndescription: ${description}\n---\n# ${name}\n\n${"A step of the procedure.\n".repeat(40)}` };
}

const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
fake.setFallback(() => ({ text: "pong", usage: { input: 50, output: 2 } }));
const results: Record<string, unknown> = {};
for (const count of COUNTS) {
  const home = await makeHome(`skills-${count}`, fake.baseURL, "skills: { bundled: false }\n");
  for (let i = 0; i < count; i++) {
    const { name, text } = skillText(i);
    await mkdir(join(home, "skills", name), { recursive: true });
    await writeFile(join(home, "skills", name, "SKILL.md"), text);
  }
  const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });
  const before = fake.requests.length;
  const sent = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:bench:dm:skills", channel: "bench", text: "hi" });
  const outcome = await sent.result;
  if (outcome.status !== "succeeded") throw new Error(`bench turn failed: ${outcome.error}`);
  await app.close();
  await rm(home, { recursive: true, force: true });
  const body = fake.requests[before]!.body as { messages: Array<{ role: string; content: string }>; tools?: Array<{ function: { name: string } }> };
  const system = body.messages.find((m) => m.role === "system")?.content ?? "";
  const block = system.includes("## Skills") ? system.slice(system.indexOf("## Skills")) : "";
  if (count > 0 && !block) throw new Error(`bench: none of the ${count} generated skills reached the prompt`);
  results[`n${count}`] = {
    skills: count,
    listed: (block.match(/^- /gm) ?? []).length,
    systemChars: system.length,
    systemTokens: encode(system).length,
    systemEstimate: estimateTokens(system),
    skillsChars: block.length,
    skillsTokens: block ? encode(block).length : 0,
    skillsEstimate: estimateTokens(block),
    skillSearchOffered: (body.tools ?? []).some((t) => t.function.name === "skill_search"),
  };
  progress("skills", `${count} skills: system prompt ${encode(system).length} tokens`);
}
await fake.close();
const result = { at: new Date().toISOString(), promptMaxTokens: 1500, ...results };
await writeResult("skills", result);
