// A received message body as an async iterable: what Connect's universal client and handler APIs read.

/** A pull queue of received items (DATA, or decoded messages) with an end or an error. One reader. */
export class BodyQueue<T = Uint8Array> implements AsyncIterable<T> {
  private readonly chunks: T[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;

  push(chunk: T): void {
    if (!(chunk instanceof Uint8Array) || chunk.byteLength > 0) this.chunks.push(chunk);
    this.notify();
  }

  /** Items received and not yet read. */
  get size(): number {
    return this.chunks.length;
  }

  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
