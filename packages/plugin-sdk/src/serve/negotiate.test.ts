import { controllerProto } from "@plugwire/contract";
import { describe, expect, it } from "vitest";
import { definePlugin } from "../define-plugin.js";
import { negotiate } from "./negotiate.js";

const binding = { service: controllerProto.GRPCController, impl: { shutdown: async () => ({}) as never } };
const plugin = definePlugin({
  handshake: { magicCookieKey: "K", magicCookieValue: "v" },
  versions: { 2: { a: binding }, 5: { b: binding }, 6: { c: binding } },
});

describe("negotiate", () => {
  it("picks the highest common version and its plugin set", () => {
    const n = negotiate(plugin, { PLUGIN_PROTOCOL_VERSIONS: "5,2, x ,9" });
    expect(n.version).toBe(5);
    expect(Object.keys(n.pluginSet)).toEqual(["b"]);
  });
  it("falls back to the plugin's lowest when nothing matches (or nothing was offered)", () => {
    expect(negotiate(plugin, { PLUGIN_PROTOCOL_VERSIONS: "7" }).version).toBe(2);
    expect(negotiate(plugin, {}).version).toBe(2);
  });
});
