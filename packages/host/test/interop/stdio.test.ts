import { describe, expect, test } from "vitest";
import { NoisyService } from "../../../../conformance/ts/gen/plugwire/conformance/v1/noisy_pb.js";
import { goBin, goFixtures } from "../support/go-fixtures.js";
import { testHost } from "../support/harness.js";
import { waitUntil } from "../support/leaks.js";

describe.skipIf(!goFixtures.ok)("stdio and logs", () => {
  test("a plugin flooding stdout and stderr (MiB, megabyte lines) never stalls; output arrives via GRPCStdio", async () => {
    const received = { stdout: 0, stderr: 0 };
    const { host, env, logger } = testHost({
      versions: { 1: { noisy: NoisyService } },
      onStdio: (_plugin, channel, data) => {
        received[channel] += data.length;
      },
    });
    const plugin = await host.launch({ name: "noisy", command: goBin("noisy-plugin"), env });
    const bytes = 4 * 1024 * 1024;
    const res = await plugin.clients.noisy.flood({ bytes: BigInt(bytes), lineLength: 1024n * 1024n });
    expect(res.written).toBe(BigInt(bytes));
    const small = await plugin.clients.noisy.flood({ bytes: 1000n, lineLength: 10n });
    expect(small.written).toBe(1000n);
    // Stdio is asynchronous to the calls (as in go-plugin): wait, bounded, for all of it.
    const all = () => received.stdout === bytes + 1000 && received.stderr === bytes + 1000;
    expect(await waitUntil(all, 5000)).toBe(true);
    await plugin.close();
    // Raw `[INFO]` stderr lines written before Serve are logs at info, tagged with the plugin.
    expect(logger.entries.some((e) => e.level === "info" && e.fields.plugin === "noisy")).toBe(true);
  });
});
