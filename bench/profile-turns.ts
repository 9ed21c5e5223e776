// Not part of `npm run bench`: starts one gateway through bin/pincer.js with a CPU profile, drives it with /v1 and
// /ws turns from the bench's load generator, and stops it so the profile is written. For finding where a turn's CPU
// goes: `node bench/profile-turns.ts /tmp/prof` then `node bench/profile-summary.ts /tmp/prof/*.cpuprofile`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openHttpClient, openWsClient, runPhase } from "./bench-client.ts";
import { makeHome, startModelProcess } from "./bench-home.ts";

const BIN = fileURLToPath(new URL("../bin/pincer.js", import.meta.url));
const dir = process.argv[2] ?? "/tmp/pincer-prof";
const TURNS = Number(process.env.BENCH_PROFILE_TURNS ?? 2000);
const TOKEN = `pgw_bench_${randomBytes(16).toString("hex")}`;
const model = await startModelProcess();
const home = await makeHome("prof", model.baseURL);
const child = spawn(BIN, ["gateway", "--port", "0"], {
  env: {
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    HOME: home,
    PINCER_HOME: home,
    PINCER_GATEWAY_TOKEN: TOKEN,
    PINCER_NODE_OPTIONS: `--max-semi-space-size=8 --cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=200`,
  },
  stdio: ["ignore", "ignore", "pipe"],
});
let err = "";
const url = await new Promise<string>((resolve, reject) => {
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    const m = /listening on (http:\/\/\S+) /.exec(err);
    if (m) resolve(m[1]!);
  });
  child.on("exit", () => reject(new Error(err)));
});
const http = openHttpClient(url, TOKEN);
const mode = process.env.BENCH_PROFILE_MODE ?? "v1";
const ws = Array.from({ length: 16 }, (_, c) => openWsClient(url, TOKEN, `p${c}`));
const r = await runPhase({
  clients: 16,
  turns: TURNS,
  gatewayPid: child.pid!,
  fakeModelPid: model.pid,
  turn: mode === "ws" ? (c, i) => ws[c]!.turn(`agent:default:webchat:dm:p${i}`) : (_c, i) => http.v1(`p${i}`, mode === "stream"),
});
console.log(JSON.stringify({ mode, gatewayCpuMsPerTurn: r.gatewayCpuMsPerTurn, turnsPerGatewayCoreSec: r.turnsPerGatewayCoreSec }));
http.close();
for (const w of ws) w.close();
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
await model.close();
