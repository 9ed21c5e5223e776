// Test support: the whole app (store, channels, dispatcher) and a listening gateway in this process, on a fresh
// state dir with the given pincer.yaml; for tests that need a real socket but not a separate process.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { createApp, type App } from "../../src/app.ts";
import { startGateway, type RunningGateway } from "../../src/gateway/gateway-server.ts";

/** The bearer token the in-process gateway accepts. */
export const IN_PROCESS_GATEWAY_TOKEN = "gw-token";

export interface InProcessGateway {
  app: App;
  gw: RunningGateway;
  dir: string;
  /** Stops the gateway at once, closes the app and removes the state dir. */
  close(): Promise<void>;
}

/** Writes `yaml` as the config of a new state dir, opens the app, starts its channels and serves it on 127.0.0.1. */
export async function startInProcessGateway(opts: { yaml: string; logger?: Logger; prefix?: string }): Promise<InProcessGateway> {
  const dir = await mkdtemp(join(tmpdir(), opts.prefix ?? "pincer-gw-"));
  await writeFile(join(dir, "pincer.yaml"), opts.yaml);
  const app = await createApp({ env: { PINCER_HOME: dir }, logger: opts.logger ?? pino({ level: "silent" }) });
  await app.startChannels();
  const gw = await startGateway({
    ctx: app, address: { host: "127.0.0.1", port: 0, loopback: true }, tokens: { verify: (t) => t === IN_PROCESS_GATEWAY_TOKEN },
  });
  return {
    app, gw, dir,
    async close() {
      await gw.close({ deadlineMs: 0 });
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
