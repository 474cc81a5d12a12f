// The plugin under a real host runtime, in this process: init, events both ways, shutdown.
import { PluginRuntime } from "@plugwire/host";
import { describe, expect, it } from "vitest";
import { ping } from "../src/ping.js";
import plugin from "../src/plugin.js";

describe("{{pluginId}}", () => {
  it("answers each ping with a pong carrying a running count", async () => {
    await using runtime = new PluginRuntime();
    const loaded = await runtime.load(plugin, { isolation: "in-process" });
    expect(loaded.name).toBe("{{pluginId}}");
    expect(await ping(runtime.events)).toBe(1);
    expect(await ping(runtime.events)).toBe(2);
    await loaded.unload();
  });
});
