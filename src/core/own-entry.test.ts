import { describe, expect, it } from "vitest";
import { hasOwnEntry, ownEntry, setOwnEntry } from "./own-entry.ts";

const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"];

describe("ownEntry", () => {
  it("finds own entries only, never Object.prototype's members", () => {
    const agents: Record<string, { model: string }> = { default: { model: "fast" } };
    expect(ownEntry(agents, "default")).toEqual({ model: "fast" });
    for (const name of PROTOTYPE_NAMES) {
      expect(ownEntry(agents, name)).toBeUndefined();
      expect(hasOwnEntry(agents, name)).toBe(false);
    }
    expect(ownEntry(undefined, "default")).toBeUndefined();
  });

  it("treats a key named like a prototype member that the record owns as an ordinary key", () => {
    const agents = JSON.parse('{"constructor":{"model":"a"},"__proto__":{"model":"b"}}') as Record<string, { model: string }>;
    expect(ownEntry(agents, "constructor")).toEqual({ model: "a" });
    expect(ownEntry(agents, "__proto__")).toEqual({ model: "b" });
  });
});

describe("setOwnEntry", () => {
  it("stores __proto__ as a key and leaves the record's prototype alone", () => {
    const store: Record<string, number> = {};
    setOwnEntry(store, "__proto__", 1);
    expect(Object.getPrototypeOf(store)).toBe(Object.prototype);
    expect(JSON.stringify(store)).toBe('{"__proto__":1}');
    expect(ownEntry(store, "__proto__")).toBe(1);
  });
});
