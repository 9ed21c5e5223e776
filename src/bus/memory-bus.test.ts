// Runs the Bus contract on the in-process bus, plus memory-only cases.
import { describe, expect, it } from "vitest";
import { describeBus } from "./bus-contract.ts";
import { createMemoryBroker, openMemoryBus } from "./memory-bus.ts";

const broker = createMemoryBroker();

describeBus("memory", {
  open: async (opts) => openMemoryBus({ ...opts, broker }),
  deadLetters: async (instance, topic) => broker.deadLetters.get(`pincer.${instance}.dlq.${topic}`) ?? [],
});

describe("openMemoryBus", () => {
  it("refuses an invalid instance id", () => {
    expect(() => openMemoryBus({ instance: "Bad.Id" })).toThrow(expect.objectContaining({ code: "invalid_name" }));
  });

  it("refuses invalid topics and event subjects with the reason", async () => {
    const bus = openMemoryBus({ instance: "x" });
    await expect(bus.publish("outbound.telegram" as "runs", {})).rejects.toThrow(/not a work topic/);
    expect(() => bus.subscribe("events.>.x", () => {})).toThrow(/not a valid event pattern/);
    expect(() => bus.subscribe("dlq.>", () => {})).toThrow(/work or dead-letter subject/);
  });

  it("lists dead letters per topic on the bus itself", async () => {
    const bus = openMemoryBus({ instance: "x", maxDeliver: 1 });
    bus.consume("runs", "w", async () => {
      throw new Error("nope");
    });
    await bus.publish("runs", { a: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(bus.deadLetters("runs")).toEqual([{ subject: "pincer.x.runs", data: { a: 1 }, reason: "handler failed on delivery 1 of 1: nope", deliveries: 1, msgId: undefined }]);
    expect(bus.deadLetters()).toHaveLength(1);
    await bus.close();
  });
});
