// The benchmarks' load generator: raw JSON over keep-alive node:http connections for /v1/chat/completions, the
// WebSocket protocol for /ws, and a loop running N clients over a number of turns. No SDK: it should cost far less
// CPU per turn than the gateway it drives.
import { Agent, request } from "node:http";
import WebSocket from "ws";
import { ownCpuSeconds, cpuSeconds, median, percentile, round } from "./bench-stats.ts";

/** chat.send frames the gateway accepts per WebSocket connection per minute; a client reconnects after this many. */
const SENDS_PER_CONNECTION = 30;

export interface HttpClient {
  /** One turn on POST /v1/chat/completions for `user` (its session); throws unless it succeeded. */
  v1(user: string, stream: boolean): Promise<void>;
  close(): void;
}

export function openHttpClient(url: string, token: string): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const { hostname, port } = new URL(url);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    v1: (user, stream) =>
      new Promise<void>((resolve, reject) => {
        const body = `{"model":"pincer","user":"${user}","stream":${stream},"messages":[{"role":"user","content":"hi"}]}`;
        const req = request({ agent, hostname, port, path: "/v1/chat/completions", method: "POST", headers: { ...headers, "content-length": body.length } }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            const ok = res.statusCode === 200 && (stream ? text.endsWith("data: [DONE]\n\n") : text.includes('"finish_reason":"stop"'));
            if (ok) resolve();
            else reject(new Error(`turn failed: ${res.statusCode} ${text.slice(0, 500)}`));
          });
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

export interface WsClient {
  /** One chat.send on session `session`, resolved at its run.final; throws unless the run succeeded. */
  turn(session: string): Promise<void>;
  close(): void;
}

/** A /ws client that sends one message at a time, opening a new connection every SENDS_PER_CONNECTION sends. */
export function openWsClient(url: string, token: string, name: string): WsClient {
  const wsUrl = `${url.replace(/^http/, "ws")}/ws`;
  let ws: WebSocket | undefined;
  let sent = 0;
  let waiting: { session: string; resolve: () => void; reject: (err: Error) => void } | undefined;

  async function connect(): Promise<WebSocket> {
    const socket = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send(JSON.stringify({ type: "auth", token, client: name }));
    await new Promise<void>((resolve, reject) => {
      socket.once("message", (data: Buffer) => (data.toString().includes('"hello"') ? resolve() : reject(new Error(`auth failed: ${data.toString()}`))));
    });
    socket.on("message", (data: Buffer) => {
      const text = data.toString();
      // Only the frames that end a turn are parsed: acks and deltas are skipped by a substring test.
      if (!waiting || !(text.includes('"run.final"') || text.includes('"error"'))) return;
      const frame = JSON.parse(text) as { type: string; session?: string; status?: string; message?: string };
      if (frame.type === "error") return waiting.reject(new Error(`chat.send failed: ${text}`));
      if (frame.session !== waiting.session) return;
      if (frame.status === "succeeded") waiting.resolve();
      else waiting.reject(new Error(`run ${frame.status}: ${text.slice(0, 500)}`));
    });
    return socket;
  }

  return {
    async turn(session) {
      if (!ws || sent === SENDS_PER_CONNECTION) {
        ws?.close();
        ws = await connect();
        sent = 0;
      }
      sent++;
      const done = new Promise<void>((resolve, reject) => (waiting = { session, resolve, reject }));
      ws.send(JSON.stringify({ type: "chat.send", id: sent, session, text: "hi" }));
      await done;
      waiting = undefined;
    },
    close: () => ws?.close(),
  };
}

/** Latency and CPU figures of one load phase. */
export interface PhaseResult {
  clients: number;
  turns: number;
  p50Ms: number;
  p99Ms: number;
  turnsPerSec: number;
  /** Gateway CPU (user + system) per turn, ms. */
  gatewayCpuMsPerTurn: number;
  /** Turns per second of gateway CPU time: throughput per gateway core. */
  turnsPerGatewayCoreSec: number;
  gatewayCores: number;
  benchCpuMsPerTurn: number;
  fakeModelCpuMsPerTurn: number;
}

export interface PhaseOptions {
  clients: number;
  turns: number;
  gatewayPid: number;
  fakeModelPid: number;
  /** Turn `i` of client `client`. */
  turn(client: number, i: number): Promise<void>;
}

/** Runs `turns` turns from `clients` concurrent clients, reading each process's CPU time before and after. */
export async function runPhase(opts: PhaseOptions): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = { gateway: cpuSeconds(opts.gatewayPid), fake: cpuSeconds(opts.fakeModelPid), bench: ownCpuSeconds() };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.clients }, async (_, client) => {
      while (next < opts.turns) {
        const i = next++;
        const start = performance.now();
        await opts.turn(client, i);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallSec = (performance.now() - t0) / 1000;
  const gatewaySec = cpuSeconds(opts.gatewayPid) - cpu0.gateway;
  const perTurnMs = (seconds: number): number => round((seconds * 1000) / opts.turns);
  return {
    clients: opts.clients,
    turns: opts.turns,
    p50Ms: round(median(latencies)),
    p99Ms: round(percentile(latencies, 99)),
    turnsPerSec: round(opts.turns / wallSec),
    gatewayCpuMsPerTurn: perTurnMs(gatewaySec),
    turnsPerGatewayCoreSec: round(opts.turns / gatewaySec),
    gatewayCores: round(gatewaySec / wallSec),
    benchCpuMsPerTurn: perTurnMs(ownCpuSeconds() - cpu0.bench),
    fakeModelCpuMsPerTurn: perTurnMs(cpuSeconds(opts.fakeModelPid) - cpu0.fake),
  };
}
