#!/usr/bin/env node
// Builds the Go conformance programs (real HashiCorp go-plugin) into conformance/bin/<name>.
//
//   node conformance/build.mjs [--codegen] [--force]
//
// --codegen  install the pinned protoc-gen-go / protoc-gen-go-grpc into conformance/.cache/bin and
//            regenerate conformance/gen (Go) with buf from the repo's .proto files.
// --force    rebuild even when the source hash is unchanged.
//
// Each Go module (conformance: go-plugin v1.8, conformance/legacy: go-plugin v1.0.1) is rebuilt only
// when a hash of its Go sources, go.mod/go.sum, the shared gen module and the Go version changed
// (stored in conformance/bin/.hash-<module>). Works from any cwd; no dependencies; exits non-zero on
// failure. Concurrent runs (parallel test workers) serialise on conformance/bin/.lock.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const binDir = path.join(here, "bin");
const cacheBin = path.join(here, ".cache", "bin");

// Pinned code generators (must match what the committed conformance/gen was generated with).
const GENERATORS = [
  "google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12",
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2",
];

// Go modules and the directories whose files feed their hash (relative to conformance/).
const MODULES = [
  { name: "conformance", dir: ".", inputs: ["go.mod", "go.sum", "cmd", "internal", "gen"] },
  { name: "legacy", dir: "legacy", inputs: ["legacy", "gen"] },
];

const args = new Set(process.argv.slice(2));

function log(msg) {
  console.log(`[conformance] ${msg}`);
}

function fail(msg) {
  console.error(`[conformance] FAILED: ${msg}`);
  process.exit(1);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: "inherit", ...opts });
  if (r.error) fail(`${cmd} ${argv.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${argv.join(" ")} exited with ${r.status ?? r.signal}`);
}

function goVersion() {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (r.error || r.status !== 0) fail("go is not available on PATH (Go is needed for the interop tests)");
  return r.stdout.trim();
}

/** Every file under p (relative to conformance/) that matters for a Go build. */
function listFiles(p, out = []) {
  const abs = path.join(here, p);
  if (!fs.existsSync(abs)) return out;
  const st = fs.statSync(abs);
  if (st.isFile()) {
    out.push(p);
    return out;
  }
  for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(p, ent.name);
    if (ent.isDirectory()) {
      if (!["node_modules", ".cache", "bin", "ts"].includes(ent.name)) listFiles(rel, out);
    } else if (/\.go$|^go\.(mod|sum)$/.test(ent.name)) {
      out.push(rel);
    }
  }
  return out;
}

function hashOf(mod, version) {
  const h = createHash("sha256").update(`${version}\n`);
  const files = mod.inputs.flatMap((p) => listFiles(p)).sort();
  for (const f of files) {
    h.update(`${f.split(path.sep).join("/")}\n`);
    h.update(fs.readFileSync(path.join(here, f)));
  }
  return h.digest("hex");
}

/** Program names of a module: the directories under <module>/cmd. */
function programsOf(dir) {
  const cmd = path.join(here, dir, "cmd");
  return fs
    .readdirSync(cmd, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

const exe = process.platform === "win32" ? ".exe" : "";

function codegen() {
  fs.mkdirSync(cacheBin, { recursive: true });
  for (const g of GENERATORS) {
    log(`go install ${g} -> ${path.relative(root, cacheBin)}`);
    run("go", ["install", g], { env: { ...process.env, GOBIN: cacheBin } });
  }
  // buf.gen.go.yaml cannot use `clean: true` (it would delete gen/go.mod): drop old output here.
  let removed = 0;
  for (const f of listFiles("gen")) {
    if (f.endsWith(".pb.go")) {
      fs.rmSync(path.join(here, f));
      removed++;
    }
  }
  log(`removed ${removed} old generated files; buf generate --template conformance/buf.gen.go.yaml`);
  const PATH = `${cacheBin}${path.delimiter}${process.env.PATH ?? ""}`;
  run("pnpm", ["exec", "buf", "generate", "--template", "conformance/buf.gen.go.yaml"], {
    cwd: root,
    env: { ...process.env, PATH },
    shell: process.platform === "win32",
  });
  log(`generated ${listFiles("gen").filter((f) => f.endsWith(".pb.go")).length} files in conformance/gen`);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock(fn) {
  fs.mkdirSync(binDir, { recursive: true });
  const lock = path.join(binDir, ".lock");
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 10 * 60_000)
          fs.rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) fail(`timed out waiting for ${lock}`);
      sleep(200);
    }
  }
  const release = () => fs.rmSync(lock, { recursive: true, force: true });
  process.on("exit", release);
  try {
    fn();
  } finally {
    release();
  }
}

function build() {
  const version = goVersion();
  for (const mod of MODULES) {
    const programs = programsOf(mod.dir);
    const hash = hashOf(mod, version);
    const hashFile = path.join(binDir, `.hash-${mod.name}`);
    const missing = programs.filter((p) => !fs.existsSync(path.join(binDir, p + exe)));
    const old = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, "utf8").trim() : "";
    if (!args.has("--force") && old === hash && missing.length === 0) {
      log(`${mod.name}: up to date (${programs.join(", ")})`);
      continue;
    }
    const why = args.has("--force")
      ? "forced"
      : missing.length
        ? `missing ${missing.join(", ")}`
        : "sources changed";
    log(`${mod.name}: building ${programs.join(", ")} (${why}, ${version})`);
    fs.rmSync(hashFile, { force: true });
    run("go", ["build", "-o", binDir + path.sep, "./cmd/..."], { cwd: path.join(here, mod.dir) });
    fs.writeFileSync(hashFile, `${hash}\n`);
  }
  log(`binaries in ${binDir}`);
}

for (const a of args) {
  if (!["--codegen", "--force"].includes(a)) fail(`unknown argument ${a}`);
}
goVersion();
if (args.has("--codegen")) codegen();
withLock(build);
