import { describe, expect, it } from "vitest";
import { classifySource, PlugwireError, parseReference } from "../../src/index.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference (docker reference grammar)", () => {
  it.each([
    ["localhost:5000/plugins/runner:1.0", "localhost:5000", "plugins/runner", "1.0", undefined, "1.0"],
    [`127.0.0.1:5000/runner@${D}`, "127.0.0.1:5000", "runner", undefined, D, D],
    [`ghcr.io/org/a/b:v2@${D}`, "ghcr.io", "org/a/b", "v2", D, D],
    ["alpine", "docker.io", "library/alpine", undefined, undefined, "latest"],
    ["user/plugin:x", "docker.io", "user/plugin", "x", undefined, "x"],
    ["[::1]:5000/p:1", "[::1]:5000", "p", "1", undefined, "1"],
  ])("%s", (input, registry, repository, tag, digest, target) => {
    const ref = parseReference(input);
    expect([ref.registry, ref.repository, ref.tag, ref.digest, ref.target]).toEqual([
      registry,
      repository,
      tag,
      digest,
      target,
    ]);
  });

  it.each([
    ["", "empty"],
    ["localhost:5000/Plugins:1", "lowercase"],
    ["localhost:5000/p:bad tag", "malformed tag"],
    ["localhost:5000/p@sha256:abc", "malformed digest"],
    [`localhost:5000/p@sha512:${"a".repeat(128)}`, "only sha256"],
    ["localhost:5000/a//b:1", "malformed repository"],
    ["localhost:5000/../x:1", "malformed repository"],
  ])("rejects %j (%s) with CONFIG_INVALID", (input, why) => {
    const err = (() => {
      try {
        parseReference(input);
      } catch (e) {
        return e;
      }
    })() as PlugwireError;
    expect(err).toBeInstanceOf(PlugwireError);
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(why);
  });

  it("classifies sources the same way the runner does", () => {
    expect(classifySource("./bin/plugin").kind).toBe("local");
    expect(classifySource("bin/plugin").kind).toBe("local");
    expect(classifySource("localhost:5000/p:1").kind).toBe("oci");
    expect(classifySource("oci://p:1").kind).toBe("oci");
    expect(classifySource("https://example.com/p#sha256=00").kind).toBe("https");
  });
});
