// Shared by the process benchmarks: the loopback fake provider answering "pong", and a PINCER_HOME whose config
// points at it with the rate limit out of the way.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI, type FakeModelServer } from "../test/fakes/index.ts";

export const PONG = { text: "pong", usage: { input: 50, output: 2 } };

export interface BenchHome {
  fake: FakeModelServer;
  home: string;
  close(): Promise<void>;
}

export async function openBenchHome(name: string): Promise<BenchHome> {
  const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
  fake.setFallback(() => PONG);
  // The fake records every request; a long run would measure its memory, not ours.
  const trimRecorded = setInterval(() => fake.requests.splice(0), 1_000);
  const home = await mkdtemp(join(tmpdir(), `pincer-bench-${name}-`));
  await writeFile(
    join(home, "pincer.yaml"),
    `models:\n  providers:\n    fake: { type: openai-compatible, base_url: "${fake.baseURL}", api_key: bench-key }\n  tiers:\n    default: { primary: fake/gpt-4o-mini }\ngateway: { rate_limit_per_minute: 100000000 }\nlog: { level: warn }\n`,
  );
  return {
    fake,
    home,
    async close() {
      clearInterval(trimRecorded);
      await fake.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
