// Shared by the benchmarks: percentiles, rounding, and writing a result to bench/results/<name>-<time>.json.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Writes the result as JSON and prints it with the file's path. */
export async function writeResult(name: string, result: { at: string }): Promise<void> {
  const outDir = fileURLToPath(new URL("results", import.meta.url));
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${name}-${result.at.replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${file}\n`);
}
