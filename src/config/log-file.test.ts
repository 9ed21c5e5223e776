// The gateway log file and its reader: permissions, rotation by size, the logger's redacted JSON tee, live subscribers,
// recent errors, reading the newest lines back across rotations with filters, and following across a rotation.
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatewayLogPath, openLogFile, rotatedLogPath } from "./log-file.ts";
import { existingLogFiles, followLog, parseLogLine, readLogTail } from "./log-reader.ts";
import { createLogger } from "./logger.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-log-"));
  path = gatewayLogPath(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const line = (level: number, msg: string, time = 1_000, extra = ""): string => `{"level":${level},"time":${time},"msg":"${msg}"${extra}}\n`;
const mode = (p: string): number => statSync(p).mode & 0o777;

describe("openLogFile", () => {
  it("creates logs/gateway.log 0600 in a 0700 folder and appends lines", () => {
    const file = openLogFile({ path });
    file.write(line(30, "one"));
    file.write(line(30, "two"));
    file.close();
    expect(path).toBe(join(dir, "logs", "gateway.log"));
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, "logs"))).toBe(0o700);
    expect(readFileSync(path, "utf8")).toBe(line(30, "one") + line(30, "two"));
  });

  it("tightens the mode of a file that already exists and appends to it", () => {
    mkdirSync(join(dir, "logs"));
    writeFileSync(path, line(30, "old"), { mode: 0o644 });
    const file = openLogFile({ path });
    file.write(line(30, "new"));
    file.close();
    expect(mode(path)).toBe(0o600);
    expect(readFileSync(path, "utf8")).toBe(line(30, "old") + line(30, "new"));
  });

  it("rotates before a line would pass max size, keeping `files` files in all", () => {
    const one = line(30, "x".repeat(1_000 - Buffer.byteLength(line(30, "")))); // 1,000 bytes
    expect(Buffer.byteLength(one)).toBe(1_000);
    const file = openLogFile({ path, limits: { maxBytes: 2_500, files: 3 } });
    for (let i = 0; i < 9; i++) file.write(one);
    file.close();
    expect(existingLogFiles(path)).toEqual([path, rotatedLogPath(path, 1), rotatedLogPath(path, 2)]);
    expect(statSync(path).size).toBe(1_000); // 9 lines = 2 + 2 + 2 + 2 + 1: the oldest two files are gone
    expect(statSync(rotatedLogPath(path, 1)).size).toBe(2_000);
    expect(mode(rotatedLogPath(path, 2))).toBe(0o600);
  });

  it("takes new limits from configure; with one file it starts the file over", () => {
    const file = openLogFile({ path, limits: { maxBytes: 10_000, files: 3 } });
    file.configure({ maxBytes: 1_500, files: 1 });
    file.write(line(30, "a".repeat(1_480)));
    file.write(line(30, "b"));
    file.close();
    expect(existingLogFiles(path)).toEqual([path]);
    expect(readFileSync(path, "utf8")).toBe(line(30, "b"));
  });

  it("hands every line to subscribers and keeps the newest error lines", () => {
    const file = openLogFile({ path, keepErrors: 2 });
    const seen: string[] = [];
    const stop = file.subscribe((l) => seen.push(l));
    file.write(line(50, "e1"));
    file.write(line(30, "i1"));
    file.write(line(60, "f1"));
    file.write(line(50, "e2"));
    stop();
    file.write(line(30, "after"));
    file.close();
    expect(seen.map((l) => parseLogLine(l).msg)).toEqual(["e1", "i1", "f1", "e2"]);
    expect(file.recentErrors().map((l) => parseLogLine(l).msg)).toEqual(["f1", "e2"]);
  });

  it("reports a file it cannot open once, never throws, and still serves subscribers", () => {
    mkdirSync(path, { recursive: true }); // a folder where the file should be
    const problems: string[] = [];
    const file = openLogFile({ path, onError: (m) => problems.push(m) });
    const seen: string[] = [];
    file.subscribe((l) => seen.push(l));
    expect(() => file.write(line(30, "still here"))).not.toThrow();
    expect(seen).toHaveLength(1);
    expect(file.failure).toMatch(/^cannot open .*gateway\.log: EISDIR$/);
    expect(problems).toEqual([expect.stringMatching(/EISDIR; the gateway goes on logging to stderr only\. Fix: make .*logs writable/)]);
  });

  it("receives the logger's lines as redacted JSON even when stderr is pretty", () => {
    const file = openLogFile({ path });
    const stderr = new PassThrough();
    let pretty = "";
    stderr.on("data", (d: Buffer) => (pretty += d.toString()));
    const log = createLogger({ level: "info", destination: stderr, pretty: true, file });
    log.child({ component: "test" }).warn({ token: "abc-secret-value", chatId: 7 }, "calling with sk-ant-api03-SECRETSECRETSECRET");
    file.close();
    const written = readFileSync(path, "utf8");
    expect(JSON.parse(written)).toMatchObject({ level: 40, component: "test", token: "***", chatId: 7, msg: "calling with sk-ant-***" });
    expect(written).not.toContain("SECRETSECRET");
    expect(written).not.toContain("abc-secret-value");
    expect(pretty).toContain("WARN  [test] calling with sk-ant-***");
  });
});

describe("readLogTail", () => {
  it("returns the newest matching lines oldest first, across rotated files, by level, text and time", async () => {
    const file = openLogFile({ path, limits: { maxBytes: 200, files: 10 } }); // two or three lines per file
    const msgs = ["boot", "Channel UP", "disk warning", "store down", "reply sent", "channel down"];
    msgs.forEach((m, i) => file.write(line([30, 30, 40, 50, 30, 50][i]!, m, 1_000 + i, `,"component":"c${i}"`)));
    file.close();
    expect(existingLogFiles(path).length).toBeGreaterThan(1);
    const msgsOf = async (filter: Parameters<typeof readLogTail>[1], limit = 100) => (await readLogTail(path, filter, limit)).map((r) => r.entry.msg);
    expect(await msgsOf({})).toEqual(msgs);
    expect(await msgsOf({}, 2)).toEqual(["reply sent", "channel down"]);
    expect(await msgsOf({ minLevel: 40 })).toEqual(["disk warning", "store down", "channel down"]);
    expect(await msgsOf({ q: "CHANNEL" })).toEqual(["Channel UP", "channel down"]);
    expect(await msgsOf({ q: "c3" })).toEqual(["store down"]); // fields match too
    expect(await msgsOf({ since: 1_004 })).toEqual(["reply sent", "channel down"]);
    const [first] = await readLogTail(path, { q: "store" }, 1);
    expect(first!.entry).toMatchObject({ time: 1_003, level: 50, levelName: "error", component: "c3" });
  });

  it("reads lines longer than its read chunk and files without a final newline; a missing file is empty", async () => {
    mkdirSync(join(dir, "logs"));
    const long = "y".repeat(200_000);
    writeFileSync(path, line(30, "first") + line(30, long) + `{"level":30,"time":5,"msg":"unterminated ü"}`);
    expect((await readLogTail(path, {}, 10)).map((r) => r.entry.msg)).toEqual(["first", long, "unterminated ü"]);
    expect(await readLogTail(join(dir, "nothing.log"), {}, 10)).toEqual([]);
  });

  it("shows a line that is not JSON as an info line with its text", () => {
    expect(parseLogLine("plain text")).toMatchObject({ level: 30, levelName: "info", msg: "plain text", time: 0 });
  });
});

describe("followLog", () => {
  it("reads new lines from the end on, then follows the file across a rotation and a truncation", () => {
    mkdirSync(join(dir, "logs"));
    writeFileSync(path, line(30, "before"));
    const seen: string[] = [];
    const follower = followLog(path, (l) => seen.push(parseLogLine(l).msg));
    follower.poll();
    expect(seen).toEqual([]);
    appendFileSync(path, line(30, "one") + `{"level":30,"msg":"hal`);
    follower.poll();
    expect(seen).toEqual(["one"]);
    appendFileSync(path, `f ü"}\n`);
    renameSync(path, rotatedLogPath(path, 1));
    appendFileSync(rotatedLogPath(path, 1), line(30, "late in the old file"));
    writeFileSync(path, line(30, "new file"));
    follower.poll();
    expect(seen).toEqual(["one", "half ü", "late in the old file", "new file"]);
    writeFileSync(path, line(30, "again"));
    follower.poll();
    expect(seen.at(-1)).toBe("again");
    follower.close();
  });

  it("starts at the beginning of a file that appears after it started", () => {
    const seen: string[] = [];
    const follower = followLog(path, (l) => seen.push(parseLogLine(l).msg));
    follower.poll();
    mkdirSync(join(dir, "logs"));
    writeFileSync(path, line(30, "first ever"));
    follower.poll();
    expect(seen).toEqual(["first ever"]);
    follower.close();
  });
});
