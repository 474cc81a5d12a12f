#!/usr/bin/env node
// Regenerates every protobuf output from the .proto files (one definition for TS and Go).
//   node scripts/codegen.mjs          TypeScript (and Go when --go)
//   node scripts/codegen.mjs --check  regenerate, then fail if anything differs from git
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const check = args.has("--check");

function run(cmd, argv, env = process.env) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`codegen: ${cmd} ${argv.join(" ")} failed`);
    process.exit(r.status ?? 1);
  }
}

const templates = ["buf.gen.yaml", "examples/go-plugin-kv/buf.gen.yaml", "conformance/buf.gen.ts.yaml"];
for (const template of templates) run("pnpm", ["exec", "buf", "generate", "--template", template]);
// Go: conformance/build.mjs installs the pinned protoc-gen-go(-grpc) and runs buf with them.
if (args.has("--go") || check) run(process.execPath, [join(root, "conformance/build.mjs"), "--codegen"]);

if (check) {
  const dirs = [
    "packages/contract/src/gen",
    "examples/go-plugin-kv/src/gen",
    "conformance/ts/gen",
    "conformance/gen",
  ];
  const status = spawnSync("git", ["status", "--porcelain", "--", ...dirs], { cwd: root, encoding: "utf8" });
  if (status.stdout.trim() !== "") {
    console.error(
      `codegen: generated code is stale; run \`pnpm codegen --go\` and commit:\n${status.stdout}`,
    );
    process.exit(1);
  }
  console.log("codegen: generated code is up to date");
}
