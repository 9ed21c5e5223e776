import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { renderForSummary, renderToolStub, splitForCompaction, stubOldToolResults, trimToValidStart, type HistoryEntry } from "./context-view.ts";

let nextId = 1;
const entry = (message: ModelMessage): HistoryEntry => ({ id: nextId++, message });
const user = (text: string) => entry({ role: "user", content: text });
const assistant = (text: string) => entry({ role: "assistant", content: [{ type: "text", text }] });
const call = (name: string) => entry({ role: "assistant", content: [{ type: "tool-call", toolCallId: `c${nextId}`, toolName: name, input: { path: "a.md" } }] });
const result = (name: string, text: string) =>
  entry({ role: "tool", content: [{ type: "tool-result", toolCallId: "c", toolName: name, output: { type: "text", value: text } }] });
const outputOf = (e: HistoryEntry): string => ((e.message.content as Array<{ output: { value: string } }>)[0]!.output.value);

/** A turn that read a long file. */
const readTurn = (n: number): HistoryEntry[] => [user(`turn ${n}`), call("read"), result("read", `line one of ${n}\n${"x".repeat(2_000)}`), assistant(`done ${n}`)];

describe("context view", () => {
  it("stubs tool results of turns older than the newest N, keeping name, size and first line", () => {
    const history = [...readTurn(1), ...readTurn(2), ...readTurn(3)];
    const view = stubOldToolResults(history, 2);
    expect(outputOf(view[2]!)).toBe(renderToolStub("read", `line one of 1\n${"x".repeat(2_000)}`));
    expect(outputOf(view[2]!)).toBe('[older read result, 2014 chars, shortened; first line: "line one of 1". Call the tool again if you need it.]');
    expect(outputOf(view[6]!)).toContain("x".repeat(2_000));
    expect(outputOf(view[10]!)).toContain("x".repeat(2_000));
    expect(stubOldToolResults(history, 0).every((e) => !JSON.stringify(e.message).includes("x".repeat(100)))).toBe(true);
  });

  it("leaves short tool results as they are", () => {
    const history = [user("a"), call("write"), result("write", "wrote 3 bytes"), user("b")];
    expect(outputOf(stubOldToolResults(history, 0)[2]!)).toBe("wrote 3 bytes");
  });

  it("keeps the newest turns that fit the budget and summarises the rest", () => {
    const history = [...readTurn(1), ...readTurn(2), ...readTurn(3)];
    const all = splitForCompaction(history, { keepTurns: 2, keptBudget: 10_000, fullToolTurns: 3 });
    expect(all.older).toEqual(history.slice(0, 4));
    expect(all.kept).toEqual(history.slice(4));
    const tight = splitForCompaction(history, { keepTurns: 2, keptBudget: 600, fullToolTurns: 3 });
    expect(tight.kept).toEqual(history.slice(8));
    const none = splitForCompaction(history, { keepTurns: 2, keptBudget: 10, fullToolTurns: 3 });
    expect(none.kept).toEqual([]);
    expect(none.older).toEqual(history);
  });

  it("drops leading messages that are not a user message", () => {
    const history = [result("read", "orphan"), assistant("x"), user("y")];
    expect(trimToValidStart(history)).toEqual([history[2]]);
  });

  it("renders messages for the summariser, one line each, long tool output clipped", () => {
    const lines = renderForSummary(readTurn(1).map((e) => e.message));
    expect(lines[0]).toBe("User: turn 1");
    expect(lines[1]).toBe('Assistant called read({"path":"a.md"})');
    expect(lines[2]).toMatch(/^read returned: line one of 1\nx+… \(2014 chars\)$/);
    expect(lines[3]).toBe("Assistant: done 1");
  });
});
