import { describe, expect, test } from "vitest";
import { createStderrCapture } from "../../src/ephemeral/stderr-capture.js";

describe("stderr capture (run records)", () => {
  test("head keeps the first lines that fit; tail the last; both say when something was dropped", () => {
    const head = createStderrCapture(10);
    const tail = createStderrCapture(10, "tail");
    for (const c of [head, tail]) for (const l of ["aaaa", "bbbb", "cccc"]) c.line(l, false);
    expect([head.text(), head.truncated]).toEqual(["aaaa\nbbbb\n", true]);
    expect([tail.text(), tail.truncated]).toEqual(["bbbb\ncccc\n", true]);
    const fits = createStderrCapture(100);
    fits.line("cut-at-the-line-cap", true);
    fits.line("", false);
    expect([fits.text(), fits.truncated]).toEqual(["cut-at-the-line-cap\n", false]);
  });
});
