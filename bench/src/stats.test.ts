import { describe, expect, test } from "vitest";
import { interleave, median, quantile, ratio, summarizeLatency } from "./stats.js";

describe("bench statistics", () => {
  test("quantile uses nearest rank like the Go programs", () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100…1, unsorted
    expect(quantile(v, 0.5)).toBe(51);
    expect(quantile(v, 0.99)).toBe(100);
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(100);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  test("median of odd and even counts, input untouched", () => {
    const odd = [5, 1, 3];
    expect(median(odd)).toBe(3);
    expect(odd).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  test("ratio is NaN without a usable baseline", () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(3, Number.NaN)).toBeNaN();
  });

  test("latency summary in µs and calls/s", () => {
    const s = summarizeLatency([1000, 2000, 3000, 4000], 1e7); // 4 calls in 10 ms
    expect(s).toEqual({ calls: 4, p50Us: 3, p99Us: 4, callsPerSec: 400 });
  });

  test("rounds alternate the order of the systems", () => {
    expect(interleave(["a", "b", "c"], 3)).toEqual([
      ["a", "b", "c"],
      ["c", "b", "a"],
      ["a", "b", "c"],
    ]);
  });
});
