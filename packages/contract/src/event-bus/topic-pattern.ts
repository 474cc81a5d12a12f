import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";

/** Matches a published topic against one subscription pattern. */
export type TopicMatcher = (topic: string) => boolean;

const SEGMENT = /^[^.*\s]+$/;

/**
 * Checks a topic: dot-separated, non-empty segments, no wildcards or whitespace (`plugin.started`).
 * Throws a `CONFIG_INVALID` {@link PlugwireError} naming the topic otherwise.
 */
export function assertTopic(topic: string, plugin?: string): void {
  if (typeof topic !== "string" || !topic.split(".").every((s) => SEGMENT.test(s))) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `invalid event topic ${JSON.stringify(topic)}: expected dot-separated segments without "*" or spaces`,
      { plugin },
    );
  }
}

/**
 * Compiles a dot-namespaced glob: `*` matches exactly one segment (`plugin.*` matches `plugin.started`,
 * not `plugin.a.b` nor `security.x`), `**` matches any number of segments including none
 * (`plugin.**` matches `plugin`, `plugin.a.b`; `**` matches everything). Wildcards are whole segments.
 */
export function compileTopicPattern(pattern: string, plugin?: string): TopicMatcher {
  const segments = typeof pattern === "string" ? pattern.split(".") : [];
  const valid = segments.length > 0 && segments.every((s) => s === "*" || s === "**" || SEGMENT.test(s));
  if (!valid) {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `invalid subscription pattern ${JSON.stringify(pattern)}: expected dot-separated segments, ` +
        `wildcards "*" (one segment) and "**" (any number) as whole segments`,
      { plugin },
    );
  }
  if (!segments.some((s) => s === "*" || s === "**")) return (topic) => topic === pattern;
  return (topic) => matchSegments(segments, 0, topic.split("."), 0);
}

function matchSegments(pattern: string[], p: number, topic: string[], t: number): boolean {
  for (; p < pattern.length; p++, t++) {
    const segment = pattern[p];
    if (segment === "**") {
      // Try every split point; patterns are short, so backtracking stays cheap.
      for (let rest = t; rest <= topic.length; rest++) {
        if (matchSegments(pattern, p + 1, topic, rest)) return true;
      }
      return false;
    }
    if (t >= topic.length || (segment !== "*" && segment !== topic[t])) return false;
  }
  return t === topic.length;
}
