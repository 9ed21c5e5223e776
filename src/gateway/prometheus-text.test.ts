// The Prometheus text format of the gateway's own metrics, byte for byte as prom-client renders it.
import { describe, expect, it } from "vitest";
import { CounterFamily, HistogramFamily, renderFamily } from "./prometheus-text.ts";

describe("Prometheus text", () => {
  it("renders a counter's series in first-seen order with escaped label values and help", () => {
    const c = new CounterFamily({ name: "x_total", help: "Counts\\things\nhere.", labelNames: ["a", "b"] });
    c.inc(["q\"uote", "back\\slash\nline"], 2);
    c.inc(["plain", "0"], 0);
    c.inc(["q\"uote", "back\\slash\nline"]);

    expect(c.render()).toBe(
      ["# HELP x_total Counts\\\\things\\nhere.", "# TYPE x_total counter", 'x_total{a="q\\"uote",b="back\\\\slash\\nline"} 3', 'x_total{a="plain",b="0"} 0'].join("\n"),
    );
  });

  it("refuses to decrease a counter", () => {
    const c = new CounterFamily({ name: "x_total", help: "h", labelNames: [] });
    expect(() => c.inc([], -1)).toThrow("decrease");
  });

  it("renders a histogram with cumulative inclusive buckets, +Inf, sum and count", () => {
    const h = new HistogramFamily({ name: "d_seconds", help: "h", buckets: [0.5, 1] });
    for (const v of [0.5, 0.75, 3]) h.observe(v);

    expect(h.render().split("\n")).toEqual([
      "# HELP d_seconds h",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{le="0.5"} 1',
      'd_seconds_bucket{le="1"} 2',
      'd_seconds_bucket{le="+Inf"} 3',
      "d_seconds_sum 4.25",
      "d_seconds_count 3",
    ]);
  });

  it("renders a gauge without labels, and a family without samples as its HELP and TYPE lines", () => {
    expect(renderFamily({ name: "g", help: "h", type: "gauge", labelNames: [], samples: [{ labels: [], value: 3 }] })).toBe("# HELP g h\n# TYPE g gauge\ng 3");
    expect(renderFamily({ name: "g", help: "h", type: "gauge", labelNames: ["a"], samples: [] })).toBe("# HELP g h\n# TYPE g gauge");
  });
});
