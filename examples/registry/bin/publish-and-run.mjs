#!/usr/bin/env node
// Publish a TypeScript runner plugin to a local OCI registry, signed, and run it from there:
//   1. start Debian's docker-registry (CNCF distribution) on a loopback port (or use REGISTRY=host:port)
//   2. bundle examples/runner-v2 into one file with esbuild
//   3. plugwire keygen → package (protocol annotation 2) → sign → push
//   4. plugwire run a config whose source is the pushed reference, signature required
// Everything it creates lives in one temp directory, removed at the end (KEEP=1 keeps it).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// The host package's CLI entry (its exports map exposes the library, not the bin file).
const plugwireBin = fileURLToPath(
  new URL("../node_modules/@plugwire/host/bin/plugwire.mjs", import.meta.url),
);
const runnerEntry = fileURLToPath(new URL("../../runner-v2/bin/plugin", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "plugwire-registry-example-"));
const say = (s) => process.stdout.write(`${s}\n`);

/** Runs `plugwire …` and returns its stdout; a failure ends the example with its stderr. */
function plugwire(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [plugwireBin, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "true" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`plugwire ${args[0]} failed (${code}):\n${err}`)),
    );
  });
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** docker-registry with filesystem storage under `work`; resolves once /v2/ answers. */
async function startRegistry() {
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(work, "registry.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\nstorage: { filesystem: { rootdirectory: ${join(work, "storage")} } }\nhttp: { addr: "${host}" }\n`,
  );
  // Its request log (404s for blobs a push checks first are normal) is shown only if it fails to start.
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
  const failed = new Promise((_, reject) =>
    child.once("error", (e) =>
      reject(new Error(`cannot start docker-registry (apt-get install docker-registry): ${e.message}`)),
    ),
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await Promise.race([
      fetch(`http://${host}/v2/`).then(
        (r) => r.ok,
        () => false,
      ),
      failed,
    ]);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`docker-registry did not start on ${host}:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { host, stop };
}

const registry = process.env.REGISTRY
  ? { host: process.env.REGISTRY, stop: async () => {} }
  : await startRegistry();
try {
  say(`registry: ${registry.host}`);
  const bundle = join(work, "runner-v2.mjs");
  await build({
    entryPoints: [runnerEntry],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: bundle,
    logLevel: "warning",
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  say(`bundled examples/runner-v2 into one file (${(readFileSync(bundle).length / 1024).toFixed(0)} KiB)`);
  const key = join(work, "signing");
  await plugwire("keygen", "--out", key);
  const layout = join(work, "layout");
  await plugwire(
    "package",
    "--name",
    "runner-v2",
    "--version",
    "1.0.0",
    "--protocol",
    "2",
    "--runtime",
    "node",
    "--tarball",
    "--out",
    layout,
    `any=${bundle}`,
  );
  await plugwire("sign", "--key", `${key}.key`, layout);
  const pushed = await plugwire("push", `${registry.host}/plugins/runner-v2:1.0.0`, "--layout", layout);
  say(pushed.trim());
  const config = join(work, "agent.yaml");
  writeFileSync(
    config,
    `plugins:\n  tls-check:\n    source: ${registry.host}/plugins/runner-v2:1.0.0\n    config: { service: billing, url: "https://billing.example.com" }\n    policies: [policies/tls, policies/headers]\n`,
  );
  const evidence = join(work, "evidence.jsonl");
  await plugwire(
    "run",
    config,
    "--evidence-out",
    evidence,
    "--key",
    `${key}.pub`,
    "--require-signature",
    "--staging-root",
    join(work, "staging"),
  );
  const lines = readFileSync(evidence, "utf8").trim().split("\n");
  say(
    `plugwire run: protocol 2 from the artifact's annotation, signature verified, ${lines.length} evidence:`,
  );
  for (const line of lines) say(`  ${JSON.parse(line).Title}`);
} finally {
  await registry.stop();
  if (process.env.KEEP !== "1") rmSync(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}
