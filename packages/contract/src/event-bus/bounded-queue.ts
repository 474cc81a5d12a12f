/** What a full {@link BoundedQueue} gives up: the oldest item, or the incoming one. */
export type OverflowPolicy = "drop-oldest" | "drop-newest";

/**
 * A FIFO with a fixed capacity that never grows and never blocks: on overflow it drops one item
 * (per {@link OverflowPolicy}) and counts it. Backing store is a ring, so push/shift are O(1).
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;

  constructor(capacity: number, overflow: OverflowPolicy = "drop-oldest") {
    this.capacity = capacity;
    this.overflow = overflow;
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Items given up because the queue was full, since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds `item`; returns false when something was dropped to stay within capacity. */
  push(item: T): boolean {
    const full = this.#size === this.capacity;
    if (full) {
      this.#dropped++;
      if (this.overflow === "drop-newest") return false;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size--;
    }
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    return !full;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  clear(): void {
    this.#items = new Array<T | undefined>(this.capacity);
    this.#head = 0;
    this.#size = 0;
  }
}
