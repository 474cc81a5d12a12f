// Statistics of the bench runner: medians over rounds and ratios against a baseline. Hand-written:
// a dozen lines, and the bench must not depend on a stats library's choice of quantile method.

/**
 * The `q`-quantile (0…1) by the nearest-rank method on a sorted copy, the same rule the Go
 * programs use (`sorted[floor(n*q)]`, clamped), so percentiles from both sides compare.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside 0…1`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
}

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `value / baseline`, or NaN when the baseline is zero or missing (printed as "n/a"). */
export function ratio(value: number, baseline: number): number {
  return baseline > 0 && Number.isFinite(baseline) ? value / baseline : Number.NaN;
}

/** Latency samples (µs) summarised like the Go side's `benchkit.Sequential`. */
export interface Latency {
  calls: number;
  p50Us: number;
  p99Us: number;
  callsPerSec: number;
}

/** Summarises per-call latencies (ns) measured back to back over `totalNs`. */
export function summarizeLatency(samplesNs: readonly number[], totalNs: number): Latency {
  return {
    calls: samplesNs.length,
    p50Us: quantile(samplesNs, 0.5) / 1e3,
    p99Us: quantile(samplesNs, 0.99) / 1e3,
    callsPerSec: samplesNs.length / (totalNs / 1e9),
  };
}

/**
 * Round orders that interleave the compared systems: forward on even rounds, reversed on odd ones
 * (A B C, C B A, A B C, …), so slow drift of the machine falls on every system alike.
 */
export function interleave<T>(systems: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, r) => (r % 2 === 0 ? [...systems] : [...systems].reverse()));
}
