import { describe, expect, test } from "vitest";
import {
  V1Service,
  V2Service,
  V3Service,
} from "../../../../conformance/ts/gen/plugwire/conformance/v1/versioned_pb.js";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";

describe.skipIf(!goFixtures.ok)("version negotiation with a go-plugin VersionedPlugins set 1..3", () => {
  test("picks the highest common version and hands out that version's clients", async () => {
    const { host, env } = testHost({ versions: { 1: { v1: V1Service }, 2: { v2: V2Service } } });
    const plugin = await host.launch({ name: "versioned", command: goBin("versioned-plugin"), env });
    expect(plugin.negotiatedVersion).toBe(2);
    expect(plugin.clientsFor(1)).toBeUndefined();
    const who = await plugin.clientsFor(2)?.v2.whoAmI({});
    expect(who).toMatchObject({ version: 2, implementation: "go" });
  });

  test("all three offered → 3", async () => {
    const { host, env } = testHost({
      versions: { 1: { v1: V1Service }, 2: { v2: V2Service }, 3: { v3: V3Service } },
    });
    const plugin = await host.launch({ name: "versioned", command: goBin("versioned-plugin"), env });
    expect(plugin.negotiatedVersion).toBe(3);
    expect((await plugin.clientsFor(3)?.v3.whoAmI({}))?.version).toBe(3);
  });

  test("no common version → typed VERSION_MISMATCH naming the plugin and both sides", async () => {
    const { host, env } = testHost({ versions: { 4: { v1: V1Service }, 5: { v1: V1Service } } });
    const err = await host
      .launch({ name: "versioned", command: goBin("versioned-plugin"), env })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PlugwireError);
    expect(err.code).toBe(ErrorCode.VersionMismatch);
    expect(err.message).toBe(
      "plugin versioned: incompatible app protocol version: plugin chose 1, host supports 4, 5",
    );
  });
});
