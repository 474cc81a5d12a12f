// A TypeScript port of the host in go-plugin's examples/grpc: runs any go-plugin KV plugin
// (Go or TypeScript) and calls it. The plugin command comes from KV_PLUGIN and runs through
// `sh -c`, as the Go example does; KV_MTLS=1 turns on AutoMTLS.
import { PluginHost, PlugwireError } from "@plugwire/host";
import { KV } from "./gen/kv/kv_pb.js";

const USAGE = `usage: kv-host put KEY VALUE | get KEY | roundtrip KEY VALUE
  env KV_PLUGIN  plugin command, run with sh -c (required)
  env KV_MTLS=1  use go-plugin AutoMTLS`;

async function main(argv: string[]): Promise<number> {
  const [command, key, value] = argv;
  const arity: Record<string, number> = { put: 2, get: 1, roundtrip: 2 };
  if (command === undefined || arity[command] === undefined || argv.length - 1 !== arity[command]) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const pluginCommand = process.env.KV_PLUGIN;
  if (!pluginCommand) {
    process.stderr.write(`kv-host: set KV_PLUGIN to the plugin command\n${USAGE}\n`);
    return 2;
  }
  await using host = new PluginHost({
    handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" },
    versions: { 1: { kv: KV } },
    autoMtls: process.env.KV_MTLS === "1",
  });
  await using plugin = await host.launch({ name: "kv", command: "sh", args: ["-c", pluginCommand] });
  const kv = plugin.clients.kv;
  const encoder = new TextEncoder();
  if (command === "put" || command === "roundtrip") {
    await kv.put({ key: key as string, value: encoder.encode(value as string) });
  }
  if (command === "get" || command === "roundtrip") {
    const res = await kv.get({ key: key as string });
    process.stdout.write(`${new TextDecoder().decode(res.value)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const label = err instanceof PlugwireError ? `${err.code}: ` : "";
    process.stderr.write(`kv-host: ${label}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
