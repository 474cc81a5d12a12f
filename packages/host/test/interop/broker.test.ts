import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, test } from "vitest";
import {
  AddHelperService,
  CounterService,
} from "../../../../conformance/ts/gen/plugwire/conformance/v1/counter_pb.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { openFds } from "../support/leaks.js";

describe.skipIf(!goFixtures.ok)("broker: a Go plugin calls back into host services", () => {
  for (const autoMtls of [false, true]) {
    test(`Put calls the host's AddHelper through the broker (${autoMtls ? "AutoMTLS" : "plain"})`, async () => {
      const { host, env } = testHost({ versions: { 1: { counter: CounterService } }, autoMtls });
      const plugin = await host.launch({ name: "counter", command: goBin("counter-plugin"), env });
      let sums = 0;
      const server = await plugin.serve((router) =>
        router.service(AddHelperService, {
          sum(req) {
            sums++;
            return { r: req.a + req.b };
          },
        }),
      );
      const counter = plugin.clients.counter;
      await counter.put({ key: "n", value: 40n, addServer: server.id });
      // go-plugin's shape: a new broker server per call.
      const second = await plugin.serve((router) =>
        router.service(AddHelperService, {
          sum(req) {
            sums++;
            return { r: req.a + req.b };
          },
        }),
      );
      await counter.put({ key: "n", value: 2n, addServer: second.id });
      expect((await counter.get({ key: "n" })).value).toBe(42n);
      expect(sums).toBe(2);
      expect((await plugin.close()).forced).toBe(false);
    });
  }

  test("a host service offered on every call reuses one server: 1,000 calls grow no fds", async () => {
    const { host, env } = testHost({ versions: { 1: { counter: CounterService } } });
    const plugin = await host.launch({ name: "counter", command: goBin("counter-plugin"), env });
    let handler = (a: bigint, b: bigint) => a + b;
    const routes = (router: Parameters<Parameters<typeof plugin.serve>[0]>[0]) =>
      router.service(AddHelperService, { sum: (req) => ({ r: handler(req.a, req.b) }) });
    const counter = plugin.clients.counter;
    const ids = new Set<number>();
    const call = async () => {
      const id = await plugin.serveShared("add-helper", routes);
      ids.add(id);
      await counter.put({ key: "k", value: 1n, addServer: id });
    };
    for (let i = 0; i < 50; i++) await call(); // warm-up: connections settle
    const before = openFds();
    for (let i = 0; i < 1000; i++) await call();
    const after = openFds();
    // A fresh id per call (go-plugin's broker cannot take an id twice), one listener for all of them:
    // the socket dir holds the plugin's socket and our single broker socket.
    expect(ids.size).toBe(1050);
    expect(readdirSync(dirname(plugin.reattachConfig().addr.string))).toHaveLength(2);
    expect(after - before).toBeLessThanOrEqual(2);
    expect((await counter.get({ key: "k" })).value).toBe(1050n);
    handler = (a, b) => a * 0n + b * 100n; // the handler behind the shared server can be swapped
    await call();
    expect((await counter.get({ key: "k" })).value).toBe(100n);
  });
});
