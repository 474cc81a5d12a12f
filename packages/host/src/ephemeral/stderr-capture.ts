/**
 * The raw stderr of one run, bounded (issue 11: "the raw stderr kept per run"). Each run, attempt or
 * supervised lifetime gets its own capture, so a retry never overwrites an earlier one. `head` keeps
 * the first `maxBytes` (an envelope plugin's reply context), `tail` the last (a long-running plugin's
 * crash is at the end). Sizes count UTF-16 code units, as the line splitter delivers text.
 */
export interface StderrCapture {
  /** Takes one line as the spawn layer's `onStderrLine` gives it (`truncated`: cut at the line cap). */
  line(line: string, truncated: boolean): void;
  text(): string;
  /** True once anything was dropped to stay within the bound. */
  readonly truncated: boolean;
}

/** Creates a {@link StderrCapture} of at most `maxBytes`. */
export function createStderrCapture(maxBytes: number, keep: "head" | "tail" = "head"): StderrCapture {
  const lines: string[] = [];
  let size = 0;
  let truncated = false;
  return {
    line(line, cut) {
      const piece = `${line}${cut ? "" : "\n"}`;
      if (keep === "head") {
        if (size + piece.length > maxBytes) truncated = true;
        else {
          lines.push(piece);
          size += piece.length;
        }
        return;
      }
      lines.push(piece);
      size += piece.length;
      while (size > maxBytes && lines.length > 0) {
        size -= (lines.shift() as string).length;
        truncated = true;
      }
    },
    text: () => lines.join(""),
    get truncated() {
      return truncated;
    },
  };
}
