// Shared by the process benchmarks: the loopback fake provider answering "pong" (scripted in this process, or canned
// in a process of its own), and a PINCER_HOME whose config points at it with the rate limit out of the way.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
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
  const home = await makeHome(name, fake.baseURL);
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

/** A fresh PINCER_HOME whose pincer.yaml uses the model at `baseURL`; `extraYaml` is appended (e.g. channels). */
export async function makeHome(name: string, baseURL: string, extraYaml = ""): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), `pincer-bench-${name}-`));
  await writeFile(
    join(home, "pincer.yaml"),
    `models:\n  providers:\n    fake: { type: openai-compatible, base_url: "${baseURL}", api_key: bench-key }\n  tiers:\n    default: { primary: fake/gpt-4o-mini }\ngateway: { rate_limit_per_minute: 100000000 }\nlog: { level: warn }\n${extraYaml}`,
  );
  return home;
}

/** The canned fake model (bench/fake-model.ts) running in its own process. */
export interface ModelProcess {
  baseURL: string;
  pid: number;
  close(): Promise<void>;
}

export async function startModelProcess(): Promise<ModelProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL("fake-model.ts", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const lines = createInterface({ input: child.stdout! });
  const baseURL = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the fake model exited (${code}) before it listened`)));
  });
  return {
    baseURL,
    pid: child.pid!,
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
