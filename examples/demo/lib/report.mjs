// Small output helpers for the demo: sections, a result table, elapsed times.
const tty = process.stdout.isTTY;
export const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
export const section = (title) => console.log(`\n${bold(`▸ ${title}`)}`);
export const line = (s) => console.log(`  ${s}`);
export const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`;

/** Polls `predicate` every 20 ms until it holds, for at most `timeoutMs`. */
export async function until(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`demo: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
