import { afterEach, describe, expect, it, vi } from "vitest";
import { createStdioStream, type StdioChunk } from "./stdio.js";

const chunk = (text: string, channel: StdioChunk["channel"] = "stdout"): StdioChunk => ({
  channel,
  data: new TextEncoder().encode(text),
});
const texts = (chunks: StdioChunk[]) => chunks.map((c) => `${c.channel}:${new TextDecoder().decode(c.data)}`);

async function take(iterable: AsyncIterable<StdioChunk>, n: number): Promise<StdioChunk[]> {
  const out: StdioChunk[] = [];
  for await (const c of iterable) {
    out.push(c);
    if (out.length === n) break;
  }
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createStdioStream", () => {
  it("holds output until the host subscribes, then streams it in order", async () => {
    const fallback = vi.fn();
    const stream = createStdioStream({ fallback });
    stream.write(chunk("a"));
    stream.write(chunk("b", "stderr"));
    const reader = take(stream.subscribe(new AbortController().signal), 3);
    stream.write(chunk("c"));
    expect(texts(await reader)).toEqual(["stdout:a", "stderr:b", "stdout:c"]);
    expect(fallback).not.toHaveBeenCalled();
    stream.close();
  });

  it("falls back (e.g. to the real stderr) when no host opens StreamStdio in time", () => {
    vi.useFakeTimers();
    const seen: StdioChunk[] = [];
    const stream = createStdioStream({ fallback: (c) => seen.push(c), fallbackMs: 100 });
    stream.write(chunk("early"));
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(texts(seen)).toEqual(["stdout:early"]);
    stream.write(chunk("late"));
    expect(texts(seen)).toEqual(["stdout:early", "stdout:late"]);
    stream.close();
  });

  it("never blocks: beyond the buffer bound, output goes to the fallback", () => {
    const seen: StdioChunk[] = [];
    const stream = createStdioStream({ fallback: (c) => seen.push(c), maxBufferBytes: 4 });
    stream.write(chunk("1234"));
    stream.write(chunk("5"));
    expect(texts(seen)).toEqual(["stdout:5"]);
    stream.close();
    expect(texts(seen)).toEqual(["stdout:5", "stdout:1234"]);
  });

  it("close() lets a subscriber drain what is queued, then ends its stream", async () => {
    const stream = createStdioStream({ fallback: vi.fn() });
    stream.write(chunk("x"));
    stream.close();
    expect(texts(await take(stream.subscribe(new AbortController().signal), 10))).toEqual([]);
  });

  it("a subscriber that goes away hands later output to the fallback", async () => {
    const seen: StdioChunk[] = [];
    const stream = createStdioStream({ fallback: (c) => seen.push(c) });
    const abort = new AbortController();
    stream.write(chunk("1"));
    expect(texts(await take(stream.subscribe(abort.signal), 1))).toEqual(["stdout:1"]);
    stream.write(chunk("2"));
    expect(texts(seen)).toEqual(["stdout:2"]);
    stream.close();
  });
});
