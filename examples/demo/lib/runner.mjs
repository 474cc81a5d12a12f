// The Compliance Framework runner contract v2: Configure → Init → Eval, evidence back through the
// broker-served ApiHelper.
import {
  createMemorySink,
  createRunnerClient,
  PluginHost,
  RUNNER_VERSIONS,
  silentLogger,
} from "@plugwire/host";
import { line, ms, section } from "./report.mjs";

export async function runnerTour({ runnerV2Plugin }) {
  section("Runner protocol v2: a TypeScript runner plugin sends evidence through the broker");
  const host = new PluginHost({
    handshake: { magicCookieKey: "RUNNER_PLUGIN", magicCookieValue: "AC755DCE-C118-481A-8EFA-18D8675D8122" },
    versions: RUNNER_VERSIONS,
    logger: silentLogger,
  });
  try {
    await runOnce(host, runnerV2Plugin);
  } finally {
    await host.close();
  }
}

async function runOnce(host, runnerV2Plugin) {
  const plugin = await host.launch({ name: "tls-check", command: runnerV2Plugin });
  const sink = createMemorySink();
  const client = createRunnerClient(plugin, { protocol: 2, sink });
  const t0 = performance.now();
  const report = await client.run({
    config: { service: "billing", url: "https://billing.example.com" },
    policies: ["policies/tls", "policies/headers"],
  });
  line(
    `${report.plugin}: ${report.status} over protocol v${report.protocol} in ${ms(t0)} — ${report.evidence} evidence, ${report.subjectTemplates} subject / ${report.riskTemplates} risk templates`,
  );
  for (const evidence of sink.evidence()) {
    line(
      `  evidence ${evidence.UUID.slice(0, 8)}…  ${evidence.Title}  [${Object.entries(evidence.Labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}]`,
    );
  }
  await plugin.close();
}
