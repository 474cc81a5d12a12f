import { describe, expect, it } from "vitest";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import { assertTopic, compileTopicPattern } from "./topic-pattern.js";

describe("compileTopicPattern", () => {
  const cases: [pattern: string, topic: string, matches: boolean][] = [
    ["plugin.*", "plugin.started", true],
    ["plugin.*", "security.x", false],
    ["plugin.*", "plugin", false],
    ["plugin.*", "plugin.a.b", false],
    ["plugin.started", "plugin.started", true],
    ["plugin.started", "plugin.startedx", false],
    ["*.started", "plugin.started", true],
    ["*", "plugin", true],
    ["*", "plugin.started", false],
    ["**", "a.b.c", true],
    ["plugin.**", "plugin", true],
    ["plugin.**", "plugin.a.b", true],
    ["plugin.**", "pluginx.a", false],
    ["a.**.z", "a.z", true],
    ["a.**.z", "a.b.c.z", true],
    ["a.**.z", "a.b.c.y", false],
    ["a.*.**", "a", false],
    ["a.*.**", "a.b.c", true],
  ];
  it.each(cases)("%s vs %s → %s", (pattern, topic, matches) => {
    expect(compileTopicPattern(pattern)(topic)).toBe(matches);
  });

  it.each(["", "a..b", "plugin.st*", "a. b", ".a", "a."])("rejects pattern %j with CONFIG_INVALID", (p) => {
    const err = (() => {
      try {
        compileTopicPattern(p, "relay");
      } catch (e) {
        return e;
      }
    })();
    expect(PlugwireError.is(err, ErrorCode.ConfigInvalid)).toBe(true);
    expect((err as PlugwireError).message).toMatch(/^plugin relay: invalid subscription pattern/);
  });
});

describe("assertTopic", () => {
  it.each(["plugin.started", "a", "orders.eu-1.created"])("accepts %j", (t) => {
    expect(() => assertTopic(t)).not.toThrow();
  });
  it.each(["", "plugin.*", "a..b", "a b", "**"])("rejects %j", (t) => {
    expect(() => assertTopic(t)).toThrow(/invalid event topic/);
  });
});
