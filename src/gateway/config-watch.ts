// Live config for the running gateway: SIGHUP and edits of the config file trigger a reload (debounced, one at a time).
// What a reload applies, rejects or defers to a restart is App.reload's business; this only decides when.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import type { ReloadReport } from "../app.ts";

export interface ConfigWatchOptions {
  file: string;
  reload: () => Promise<ReloadReport>;
  log: Logger;
  /** Quiet time after the last file event before reloading; editors write in several steps. Default 250 ms. */
  debounceMs?: number;
  /** Listen for SIGHUP. Default true. */
  sighup?: boolean;
  /** Called after every reload attempt (tests, status output). */
  onReload?: (report: ReloadReport, trigger: "file" | "SIGHUP") => void;
}

export interface ConfigWatch {
  close(): void;
}

/** Starts watching. Contract: reloads never overlap; a watcher failure is logged, never thrown, and SIGHUP still works. */
export function watchConfig(opts: ConfigWatchOptions): ConfigWatch {
  const log = opts.log.child({ component: "config.watch" });
  const name = basename(opts.file);
  let chain = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const run = (trigger: "file" | "SIGHUP"): void => {
    chain = chain.then(async () => {
      const report = await opts.reload();
      opts.onReload?.(report, trigger);
    }).catch((err: unknown) => log.error({ err }, "config reload failed"));
  };

  let watcher: FSWatcher | undefined;
  try {
    // The directory, not the file: editors and `pincer config set` replace the file by renaming a new one over it.
    watcher = watch(dirname(opts.file), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename.toString() !== name) return;
      clearTimeout(timer);
      timer = setTimeout(() => run("file"), opts.debounceMs ?? 250);
    });
    watcher.on("error", (err) => log.warn({ err }, "config file watch stopped; SIGHUP still reloads"));
  } catch (err) {
    log.warn({ err, dir: dirname(opts.file) }, "cannot watch the config directory; SIGHUP still reloads");
  }
  const onHup = (): void => run("SIGHUP");
  if (opts.sighup !== false) process.on("SIGHUP", onHup);

  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off("SIGHUP", onHup);
    },
  };
}
