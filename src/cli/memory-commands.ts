// Declares the `pincer memory` command group (status, index, search); each subcommand loads memory-command.ts on use.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

export function addMemoryCommands(program: Command, globals: () => GlobalOptions): Command {
  const memory = program
    .command("memory")
    .description("the agent's memory: MEMORY.md, memory/*.md and memory.extra_paths, their search index")
    .addHelpText("after", examples("pincer memory status", "pincer memory index --force", "pincer memory search \"car service\" --json"));
  memory
    .command("status")
    .description("memory files with sizes and dates, and the index: chunks, last indexed, embeddings")
    .option("-a, --agent <id>", "the agent whose memory to show", "default")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer memory status", "pincer memory status --agent work --json"))
    .action(async (opts) => (await import("./memory-command.ts")).memoryStatusCommand(globals(), opts));
  memory
    .command("index")
    .description("bring the index up to date now (only changed files; --force re-chunks all, cached vectors are reused)")
    .option("-a, --agent <id>", "the agent whose memory to index", "default")
    .option("--force", "re-read and re-chunk every file")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer memory index", "pincer memory index --force"))
    .action(async (opts) => (await import("./memory-command.ts")).memoryIndexCommand(globals(), opts));
  memory
    .command("search")
    .description("search memory as the memory_search tool does: path:lines, score, snippet")
    .argument("<query>", "words to look for")
    .option("-a, --agent <id>", "the agent whose memory to search", "default")
    .option("-n, --limit <n>", "results to show (1-50)", "5")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer memory search \"dentist appointment\"", "pincer memory search deploy --limit 10 --json"))
    .action(async (query: string, opts) => (await import("./memory-command.ts")).memorySearchCommand(globals(), query, opts));
  return memory;
}
