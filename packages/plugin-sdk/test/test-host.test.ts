// createTestHost: a plugin definition in-process under a real gRPC server, typed clients, broker.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { AddHelperService } from "@plugwire/conformance/gen/plugwire/conformance/v1/counter_pb.js";
import { health } from "@plugwire/contract";
import { createTestHost } from "@plugwire/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { createCounterPlugin } from "./fixtures/counter-plugin.mjs";

describe("createTestHost", () => {
  it("serves the plugin set with typed clients; handlers dial host services through the broker", async () => {
    let socketDir: string;
    let sums = 0;
    {
      await using host = await createTestHost(createCounterPlugin());
      socketDir = dirname(host.address.address);
      // Like go-plugin's bidirectional example: one broker id per call (a ConnInfo is dialed once).
      for (const value of [1n, 2n, 39n]) {
        const id = host.broker.nextId();
        const helper = await host.broker.accept(id, (router) =>
          router.service(AddHelperService, {
            async sum(req) {
              sums++;
              return { r: req.a + req.b };
            },
          }),
        );
        await host.clients.counter.put({ key: "k", value, addServer: id });
        await helper.close();
      }
      expect((await host.clients.counter.get({ key: "k" })).value).toBe(42n);
      expect(sums).toBe(3);
      const ping = await host.client(health.Health).check({ service: "plugin" });
      expect(ping.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    }
    expect(existsSync(socketDir), "temp dir and sockets removed").toBe(false);
  });

  it("a broker id nobody announces fails the call after the 5 s rule", async () => {
    await using host = await createTestHost(createCounterPlugin());
    const err = await host.clients.counter
      .put({ key: "k", value: 1n, addServer: 99 })
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/timeout waiting for broker connection info for id 99/);
  }, 15_000);
});
