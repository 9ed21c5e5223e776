// The idle collector driven tick by tick with fake CPU and RSS readings, and the real collection against V8's heap.
import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { loadFullCollection, startIdleCollector } from "./idle-collector.ts";

const MB = 1024 * 1024;

/** A collector whose CPU clock, RSS and busy state the test sets; its timer is stopped and ticks (1 s each) are called by hand. */
function harness(opts: { rssMb?: number } = {}) {
  const state = { cpuMs: 0, rssMb: opts.rssMb ?? 80, busy: false, collections: 0 };
  const collector = startIdleCollector({
    busy: () => state.busy,
    quietMs: 3_000,
    tickMs: 1_000,
    minGrowthBytes: 4 * MB,
    cpuMicros: () => state.cpuMs * 1000,
    rss: () => state.rssMb * MB,
    collect: () => {
      state.collections++;
      state.rssMb -= 10;
    },
  });
  collector.stop();
  /** One tick after `cpuMs` of CPU use during it. */
  const tick = (cpuMs = 0): void => {
    state.cpuMs += cpuMs;
    collector.tick();
  };
  return { state, tick };
}

describe("startIdleCollector", () => {
  it("collects once after start-up as soon as the process has been quiet for quietMs", () => {
    const { state, tick } = harness();
    tick(300); // start-up work
    tick();
    tick();
    expect(state.collections).toBe(0);
    tick();
    expect(state.collections).toBe(1);
    for (let i = 0; i < 10; i++) tick();
    expect(state.collections).toBe(1);
  });

  it("does not collect while turns are in flight, however little CPU they use", () => {
    const { state, tick } = harness();
    state.busy = true;
    for (let i = 0; i < 10; i++) tick();
    expect(state.collections).toBe(0);
    state.busy = false;
    for (let i = 0; i < 3; i++) tick();
    expect(state.collections).toBe(1);
  });

  it("counts a tick with more than a trickle of CPU as activity and starts the quiet time over", () => {
    const { state, tick } = harness();
    tick();
    tick();
    tick(50); // a burst: 5 % of the tick
    tick();
    tick();
    expect(state.collections).toBe(0);
    tick(10); // a probe or a scrape: 1 %, still quiet
    expect(state.collections).toBe(1);
  });

  it("collects again after a burst only when the resident set grew by minGrowthBytes", () => {
    const { state, tick } = harness();
    for (let i = 0; i < 3; i++) tick();
    expect(state.collections).toBe(1);
    state.rssMb += 3; // a turn that left little behind
    tick(200);
    for (let i = 0; i < 3; i++) tick();
    expect(state.collections).toBe(1);
    state.rssMb += 2;
    tick(200);
    for (let i = 0; i < 3; i++) tick();
    expect(state.collections).toBe(2);
  });

  it("survives a collection that throws", () => {
    const collector = startIdleCollector({ busy: () => false, quietMs: 1_000, tickMs: 1_000, cpuMicros: () => 0, rss: () => 100 * MB, collect: () => { throw new Error("no gc extension"); } });
    collector.stop();
    expect(() => collector.tick()).not.toThrow();
  });
});

describe("loadFullCollection", () => {
  it("frees unreachable objects and shrinks the heap V8 holds, without --expose-gc", () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const collect = loadFullCollection();
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `garbage ${i}` }));
    const before = getHeapStatistics();
    garbage = undefined;
    collect();
    const after = getHeapStatistics();
    expect(garbage).toBeUndefined();
    expect(after.used_heap_size).toBeLessThan(before.used_heap_size - 5 * MB);
    expect(after.total_heap_size).toBeLessThan(before.total_heap_size);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
