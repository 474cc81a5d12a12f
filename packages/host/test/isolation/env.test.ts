import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { environOf, get, probePlugin, versions } from "./probe.js";

const SECRET = "PW_TEST_SECRET_TOKEN";

beforeEach(() => {
  process.env[SECRET] = "hunter2";
  process.env.MYAPP_REGION = "eu-west-1";
  process.env.PW_TEST_PASSED = "yes";
});
afterEach(() => {
  delete process.env[SECRET];
  delete process.env.MYAPP_REGION;
  delete process.env.PW_TEST_PASSED;
});

describe("isolation: environment allowlist", () => {
  test("a TS plugin reading a secret from the host env sees nothing; allowed variables arrive", async () => {
    const { host, env } = testHost({
      versions,
      isolation: { envPrefix: "MYAPP_", passEnv: ["PW_TEST_PASSED"] },
    });
    const p = await host.launch({ name: "probe", command: probePlugin, env });
    expect(await get(p, `env:${SECRET}`)).toBe("<unset>");
    expect(await get(p, "env:PATH")).toBe(process.env.PATH);
    expect(await get(p, "env:MYAPP_REGION")).toBe("eu-west-1");
    expect(await get(p, "env:PW_TEST_PASSED")).toBe("yes");
    // The launch's explicit extras and the protocol's own variables always arrive.
    expect(await get(p, "env:TMPDIR")).toBe(env.TMPDIR);
    expect(await get(p, "env:BASIC_PLUGIN")).toBe("hello");
    const environ = environOf(p.pid as number);
    expect(Object.keys(environ).filter((k) => k === SECRET)).toEqual([]);
  });

  test.skipIf(!goFixtures.ok)(
    "a Go plugin's real environment (/proc/<pid>/environ) has no secret",
    async () => {
      const { host, env } = testHost({ versions });
      const p = await host.launch({ name: "kv", command: goBin("kv-plugin"), env, isolation: {} });
      const environ = environOf(p.pid as number);
      expect(environ[SECRET]).toBeUndefined();
      expect(environ.PATH).toBe(process.env.PATH);
      expect(environ.PLUGIN_PROTOCOL_VERSIONS).toBe("1");
      const expected = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "BASIC_PLUGIN"];
      expect(Object.keys(environ).filter((k) => !expected.includes(k) && !k.startsWith("PLUGIN_"))).toEqual(
        [],
      );
    },
  );

  test("without isolation the go-plugin default (inherit) still applies", async () => {
    const { host, env } = testHost({ versions });
    const p = await host.launch({ name: "probe", command: probePlugin, env });
    expect(await get(p, `env:${SECRET}`)).toBe("hunter2");
  });
});
