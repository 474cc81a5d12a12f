// Agent config rules, each with its exact message (`<file>:<line>:<col>: …`, or the env variable).
import { describe, expect, test } from "vitest";
import { type AgentConfig, PlugwireError, parseAgentConfig } from "../../src/index.js";

const file = "/etc/plugwire/agent.yaml";

/** The validation errors for `text`, or [] when it is valid. */
function errorsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseAgentConfig(text, { file, env });
    return [];
  } catch (err) {
    if (!(err instanceof PlugwireError)) throw err;
    expect(err.code).toBe("CONFIG_INVALID");
    const errors = err.details.errors as string[];
    expect(err.message).toBe(`invalid agent config ${file}:\n${errors.map((e) => `  - ${e}`).join("\n")}`);
    return errors;
  }
}

const parse = (text: string, env: NodeJS.ProcessEnv = {}): AgentConfig =>
  parseAgentConfig(text, { file, env });

describe("agent config", () => {
  test("a full config: sources resolve against the config's directory, absent protocol_version stays undefined", () => {
    const config = parse(`
plugins:
  a:
    source: ./bin/a
    protocol_version: 2
    args: [--verbose]
    env: { RUNNER_PROTOCOL: "2" }
    config: { hostname: web-1, port: 8080, empty: }
    policies: [p1, p2]
    schedule: "*/5 * * * *"
    labels: { team: platform }
  b:
    source: /opt/b
  c:
    source: ghcr.io/acme/plugin:1.0
    protocol_version: auto
evidence: { type: jsonl, path: out/evidence.jsonl }
logging: { level: debug }
`);
    expect(config.plugins).toEqual([
      {
        name: "a",
        source: "/etc/plugwire/bin/a",
        protocolVersion: 2,
        args: ["--verbose"],
        env: { RUNNER_PROTOCOL: "2" },
        config: { hostname: "web-1", port: "8080", empty: "" },
        policies: ["p1", "p2"],
        schedule: "*/5 * * * *",
        labels: { team: "platform" },
      },
      {
        name: "b",
        source: "/opt/b",
        protocolVersion: undefined,
        args: [],
        env: {},
        config: {},
        policies: [],
        schedule: undefined,
        labels: {},
      },
      expect.objectContaining({ name: "c", source: "ghcr.io/acme/plugin:1.0", protocolVersion: "auto" }),
    ]);
    expect(config.evidence).toEqual({ type: "jsonl", path: "/etc/plugwire/out/evidence.jsonl" });
    expect(config.logging).toEqual({ level: "debug" });
  });

  test("no plugins", () => {
    expect(errorsOf("logging: { level: info }\n")).toEqual([
      `${file}:1:1: no plugins configured: add at least one under "plugins"`,
    ]);
    expect(errorsOf("plugins: {}\n")).toEqual([
      `${file}:1:10: no plugins configured: add at least one under "plugins"`,
    ]);
    expect(errorsOf("plugins:\n")).toEqual([
      `${file}:1:1: no plugins configured: add at least one under "plugins"`,
    ]);
  });

  test("a plugin entry that is null", () => {
    expect(errorsOf("plugins:\n  ok: { source: ./x }\n  broken:\n")).toEqual([
      `${file}:3:3: plugin broken has null configuration`,
    ]);
    expect(errorsOf("plugins:\n  broken: null\n")).toEqual([
      `${file}:2:11: plugin broken has null configuration`,
    ]);
  });

  test("protocol_version: explicit 0 and anything but 1, 2, auto; absent is not 0", () => {
    const entry = (v: string) => `plugins:\n  p:\n    source: ./x\n    protocol_version: ${v}\n`;
    const msg = (shown: string) =>
      `${file}:4:23: plugin p: protocol_version ${shown} is not supported; use 1, 2 or auto`;
    expect(errorsOf(entry("0"))).toEqual([msg("0")]);
    expect(errorsOf(entry("3"))).toEqual([msg("3")]);
    expect(errorsOf(entry("1.5"))).toEqual([msg("1.5")]);
    expect(errorsOf(entry('"2"'))).toEqual([msg('"2"')]);
    expect(errorsOf(entry("v2"))).toEqual([msg('"v2"')]);
    expect(errorsOf(entry("[1]"))).toEqual([msg("(a list)")]);
    expect(errorsOf("plugins:\n  p:\n    source: ./x\n    protocol_version:\n")).toEqual([
      `${file}:4:5: plugin p: protocol_version (empty) is not supported; use 1, 2 or auto`,
    ]);
    expect(parse(entry("1")).plugins[0]?.protocolVersion).toBe(1);
    expect(parse("plugins:\n  p: { source: ./x }\n").plugins[0]?.protocolVersion).toBeUndefined();
  });

  test("unknown keys, with a did-you-mean (or the list of known keys)", () => {
    expect(errorsOf("plugin:\n  p: { source: ./x }\n")).toEqual([
      `${file}:1:1: unknown key "plugin" at the top level; did you mean "plugins"?`,
      `${file}:1:1: no plugins configured: add at least one under "plugins"`,
    ]);
    expect(errorsOf("plugins:\n  p:\n    sorce: ./x\n    protocol-version: 2\n    zzz: 1\n")).toEqual([
      `${file}:3:5: unknown key "sorce" in plugin p; did you mean "source"?`,
      `${file}:4:5: unknown key "protocol-version" in plugin p; did you mean "protocol_version"?`,
      `${file}:5:5: unknown key "zzz" in plugin p; expected one of: source, protocol_version, args, env, config, policies, schedule, labels`,
      `${file}:3:5: plugin p has no source`,
    ]);
    expect(errorsOf("plugins: { p: { source: ./x } }\nlogging: { levl: info }\n")).toEqual([
      `${file}:2:12: unknown key "levl" in "logging"; did you mean "level"?`,
    ]);
  });

  test("value types, schedules, evidence and logging", () => {
    expect(
      errorsOf(`plugins:
  p:
    source: ./x
    config: { nested: { a: 1 } }
    policies: p1
    schedule: "every minute"
evidence: { type: kafka }
logging: { level: loud }
`),
    ).toEqual([
      `${file}:6:15: plugin p: schedule "every minute" is not a valid cron expression (Validation error, cannot resolve alias "eve")`,
      `${file}:4:23: plugin p: config.nested must be a string`,
      `${file}:5:15: plugin p: policies must be a list of strings`,
      `${file}:7:19: evidence.type "kafka" is not one of: stdout, jsonl, http`,
      `${file}:8:19: logging.level "loud" is not one of: trace, debug, info, warn, error`,
    ]);
    expect(errorsOf("plugins: { p: { source: ./x } }\nevidence: { type: http }\n")).toEqual([
      `${file}:2:11: evidence.type http needs evidence.url`,
    ]);
  });

  test("YAML syntax errors carry their line and column", () => {
    expect(errorsOf("plugins:\n  p: { source: ./x\n")[0]).toMatch(new RegExp(`^${file}:3:1: `));
    expect(errorsOf("plugins:\n  p: { source: a }\n  p: { source: b }\n")).toEqual([
      `${file}:3:3: Map keys must be unique`,
    ]);
  });

  test("environment overrides (PLUGWIRE_<SECTION>__<KEY>…) pass the same rules and name the variable", () => {
    const text = "plugins:\n  my-plugin:\n    source: ./x\n    config: { Hostname: a }\n";
    const config = parse(text, {
      PLUGWIRE_PLUGINS__MY_PLUGIN__PROTOCOL_VERSION: "2",
      PLUGWIRE_PLUGINS__MY_PLUGIN__CONFIG__HOSTNAME: "web-9",
      PLUGWIRE_PLUGINS__MY_PLUGIN__CONFIG__REGION: "eu",
      PLUGWIRE_PLUGINS__MY_PLUGIN__ENV__RUNNER_PROTOCOL: "2",
      PLUGWIRE_PLUGINS__MY_PLUGIN__POLICIES: "a, b",
      PLUGWIRE_LOGGING__LEVEL: "warn",
      PLUGWIRE_LOG_LEVEL: "debug", // no "__": the logger's own variable, not a config override
    });
    expect(config.plugins[0]).toMatchObject({
      protocolVersion: 2,
      config: { Hostname: "web-9", region: "eu" },
      env: { RUNNER_PROTOCOL: "2" },
      policies: ["a", "b"],
    });
    expect(config.logging.level).toBe("warn");
    expect(errorsOf(text, { PLUGWIRE_PLUGINS__MY_PLUGIN__PROTOCOL_VERSION: "0" })).toEqual([
      "PLUGWIRE_PLUGINS__MY_PLUGIN__PROTOCOL_VERSION: plugin my-plugin: protocol_version 0 is not supported; use 1, 2 or auto",
    ]);
    expect(
      errorsOf(text, {
        PLUGWIRE_PLUGINS__OTHER__SOURCE: "./y",
        PLUGWIRE_PLUGINS__MY_PLUGIN__SORCE: "./y",
        PLUGWIRE_LOGIN__LEVEL: "info",
      }),
    ).toEqual([
      'PLUGWIRE_LOGIN__LEVEL: unknown config section "login"; did you mean "logging"?',
      'PLUGWIRE_PLUGINS__MY_PLUGIN__SORCE: unknown plugin key "sorce"; did you mean "source"?',
      'PLUGWIRE_PLUGINS__OTHER__SOURCE: no plugin named "other" in the config (overrides only change existing plugins)',
    ]);
  });
});
