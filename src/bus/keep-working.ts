// The heartbeat helper for long work-queue handlers: calls `working()` on a timer until stopped.
// Works with every Bus implementation; the handler decides when to start and stop it.
import type { WorkMessage } from "./bus.ts";

/**
 * Calls `msg.working()` every `everyMs` (ms) until the returned function is called, so the message is not
 * redelivered while the handler is still busy. Pick `everyMs` well below `bus.ack_wait_ms` (a third is good).
 * Contract: never throws; the timer does not keep the process alive; stopping twice is harmless.
 */
export function keepWorking(msg: Pick<WorkMessage, "working">, everyMs: number): () => void {
  const timer = setInterval(() => {
    try {
      msg.working();
    } catch {
      // A settled or closed message ignores heartbeats; nothing to do.
    }
  }, Math.max(1, everyMs));
  timer.unref();
  return () => clearInterval(timer);
}
