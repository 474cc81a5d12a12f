// Timing loops of the TypeScript probes, the same shape as the Go side's benchkit
// (conformance/internal/benchkit): back-to-back calls, then a fixed number of calls in flight.
import { type Latency, summarizeLatency } from "./stats.js";

/** Runs `call` n times back to back; per-call latency percentiles and the rate. */
export async function sequential(n: number, call: () => Promise<unknown>): Promise<Latency> {
  const samples = new Array<number>(n);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await call();
    samples[i] = Number(process.hrtime.bigint() - t);
  }
  return summarizeLatency(samples, Number(process.hrtime.bigint() - start));
}

/** Rate of n calls with `inFlight` outstanding at any time (one async worker each). */
export async function concurrent(
  n: number,
  inFlight: number,
  call: () => Promise<unknown>,
): Promise<{ calls: number; inFlight: number; callsPerSec: number }> {
  let next = 0;
  const worker = async () => {
    while (next++ < n) await call();
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { calls: n, inFlight, callsPerSec: n / seconds };
}
