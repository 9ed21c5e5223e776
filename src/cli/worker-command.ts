// `pincer worker`: executes runs from the cluster's work queue (NATS JetStream) until SIGTERM; serves no HTTP.
// Needs bus.url (PINCER_BUS_URL) and a shared store (PINCER_STORE_URL=postgres://…).
import { setLogLevel } from "../config/logger.ts";
import { startIdleCollector } from "../gateway/idle-collector.ts";
import { CliFailure } from "./output.ts";
import { openApp, type GlobalOptions } from "./cli-app.ts";
import { toCount, toMs } from "./gateway-command.ts";

export interface WorkerOptions {
  concurrency: string;
  shutdownDeadline: string;
}

export async function workerCommand(g: GlobalOptions, opts: WorkerOptions): Promise<void> {
  const concurrency = toCount(opts.concurrency, "--concurrency");
  const deadlineMs = toMs(opts.shutdownDeadline, "--shutdown-deadline");
  const app = await openApp(g, { level: "info" });
  try {
    setLogLevel(app.log, app.config.log.level);
    if (app.runtime !== "cluster") {
      throw new CliFailure(
        "pincer worker needs the cluster runtime: bus.url is not set. Fix: set PINCER_BUS_URL=nats://host:4222 (or bus.url) and a shared store (PINCER_STORE_URL=postgres://…); without them 'pincer gateway' runs everything in one process",
        78,
      );
    }
    if (!/^postgres(ql)?:\/\//.test(app.config.store.url ?? "")) {
      app.log.warn("the store is this machine's SQLite file: workers on other machines will not see the same runs; use PINCER_STORE_URL=postgres://…");
    }
    const worker = await app.startWorker({ concurrency });
    process.stderr.write(`pincer worker ${worker.id} running up to ${concurrency} runs at once for instance "${app.config.instance}"\n`);
    // As in the gateway: a few quiet seconds after start-up or a burst of runs, one collection returns memory.
    const collector = startIdleCollector({
      busy: () => worker.active() > 0,
      onCollect: (report) => app.log.debug(report, "memory returned after a quiet spell"),
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        collector.stop();
        process.stderr.write(`${signal}: stopping (running turns get ${deadlineMs} ms)\n`);
        void worker.close({ deadlineMs }).then(({ unfinished }) => {
          if (unfinished > 0) process.stderr.write(`${unfinished} run(s) still running are handed back to the bus for another worker\n`);
          resolve();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
  } finally {
    await app.close();
  }
}
