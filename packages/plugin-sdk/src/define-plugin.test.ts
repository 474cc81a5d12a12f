import { controllerProto, ErrorCode, PlugwireError } from "@plugwire/contract";
import { describe, expect, it } from "vitest";
import { definePlugin } from "./define-plugin.js";

const handshake = { magicCookieKey: "K", magicCookieValue: "v" };
const binding = { service: controllerProto.GRPCController, impl: { shutdown: async () => ({}) as never } };

describe("definePlugin", () => {
  it("sorts versions and names the plugin after its first set", () => {
    const p = definePlugin({ handshake, versions: { 3: { kv_grpc: binding }, 1: { kv_grpc: binding } } });
    expect(p.versionNumbers).toEqual([1, 3]);
    expect(p.name).toBe("kv_grpc");
  });
  it.each([
    [{ handshake: { magicCookieKey: "", magicCookieValue: "v" }, versions: { 1: {} } }],
    [{ handshake, versions: {} }],
    [{ handshake, versions: { 1: { x: { service: {}, impl: {} } } } }],
  ])("rejects an invalid definition with CONFIG_INVALID", (input) => {
    expect(() => definePlugin(input as never)).toThrow(PlugwireError);
    try {
      definePlugin(input as never);
    } catch (err) {
      expect(PlugwireError.is(err, ErrorCode.ConfigInvalid)).toBe(true);
    }
  });
});
