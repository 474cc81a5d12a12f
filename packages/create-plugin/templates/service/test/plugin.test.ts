// The plugin under the SDK test kit: a real gRPC server in this process, typed clients, no subprocess.
import { createTestHost } from "@plugwire/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { createPlugin } from "../src/plugin.js";

describe("{{pluginId}}", () => {
  it("greets by name", async () => {
    await using host = await createTestHost(createPlugin());
    const res = await host.clients.greeter.greet({ name: "Ada" });
    expect(res.greeting).toBe("Hello, Ada! (from {{pluginId}} over go-plugin)");
  });

  it("greets a stranger when no name is given", async () => {
    await using host = await createTestHost(createPlugin());
    const res = await host.clients.greeter.greet({});
    expect(res.greeting).toMatch(/^Hello, stranger!/);
  });
});
