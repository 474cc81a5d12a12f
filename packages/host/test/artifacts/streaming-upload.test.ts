import {
  appendFileSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { appendFile, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRegistryClient,
  createTarGz,
  openLayout,
  PlugwireError,
  packageArtifact,
  parseReference,
  pushLayout,
  type RegistryClientOptions,
  resolvePluginSource,
  staticCredentials,
  type TransferProgress,
  tarGzFromFiles,
} from "../../src/index.js";
import { registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";

// Large enough that holding it once dwarfs the chunk garbage V8 may leave uncollected (external memory
// forces a GC after roughly 64 MiB), so the bound separates streaming from buffering without timing.
const BIG = 192 * 1024 * 1024;
const SMALL = 3 * 1024 * 1024;

/** Writes `size` bytes of varying content 1 MiB at a time (never the whole file in memory). */
async function writeFileOfSize(path: string, size: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  await pipeline(async function* () {
    for (let i = 0; i * chunk.length < size; i++) {
      chunk.fill(i % 251);
      chunk.writeUInt32BE(i, 0);
      yield Buffer.from(chunk.subarray(0, Math.min(chunk.length, size - i * chunk.length)));
    }
  }, createWriteStream(path));
}

const memory = () => {
  const m = process.memoryUsage();
  return m.arrayBuffers + m.heapUsed;
};

describe.skipIf(!registryAvailable.ok)(`streamed blob upload ${registryAvailable.reason}`, () => {
  let registry: TestRegistry;
  let work: string;
  beforeAll(async () => {
    // Bearer-token auth: the 401 challenge must be answered on HEAD/POST, before the streamed PUT.
    registry = await startRegistry("token");
    work = mkdtempSync(join(tmpdir(), "pwt-stream-"));
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
    expect(existsSync(work)).toBe(false);
  });

  const client = (extra: Omit<RegistryClientOptions, "credentials"> = {}) =>
    createRegistryClient({
      credentials: staticCredentials({
        [registry.host]: registry.credentials ?? { username: "", password: "" },
      }),
      ...extra,
    });
  const ref = (repo: string) => parseReference(`${registry.host}/plugins/${repo}:1.0.0`);
  /** Whether the registry committed a blob (distribution's filesystem driver layout). */
  const registryHasBlob = (digest: string) =>
    existsSync(
      join(registry.storage, "docker/registry/v2/blobs/sha256", digest.slice(7, 9), digest.slice(7)),
    );

  /** Packages a single-binary artifact of `size` bytes; returns its layout dir and the binary's blob. */
  async function packaged(name: string, size: number) {
    const bin = join(work, name);
    await writeFileOfSize(bin, size);
    const dir = join(work, `${name}-layout`);
    await packageArtifact(dir, {
      name,
      version: "1.0.0",
      protocolVersion: 2,
      platforms: [{ platform: "linux/amd64", entry: bin }],
    });
    rmSync(bin);
    const layout = await openLayout(dir);
    const json = async (digest: string) => JSON.parse(Buffer.from(await layout.getBlob(digest)).toString());
    const index = await json((await layout.readIndex()).manifests[0]?.digest ?? "");
    const manifest = await json(index.manifests[0].digest);
    const blob = layout.blobFile(manifest.layers[0]);
    expect(blob.size).toBe(size);
    // Staged through a temp file and renamed: nothing left behind in the blobs directory.
    expect(readdirSync(join(dir, "blobs", "sha256")).filter((n) => n.startsWith("."))).toEqual([]);
    return { dir, blob };
  }

  it("pushes a blob of hundreds of MiB without the heap growing by its size", async () => {
    const { dir, blob } = await packaged("big-plugin", BIG);
    globalThis.gc?.();
    const before = memory();
    let peak = before;
    let uploaded = 0;
    const sample = () => {
      peak = Math.max(peak, memory());
    };
    const sampling = setInterval(sample, 2);
    const onProgress = (p: TransferProgress) => {
      if (p.direction === "upload" && p.digest === blob.digest) uploaded = p.bytes;
      sample();
    };
    try {
      await pushLayout(client({ onProgress }), dir, ref("big"));
    } finally {
      clearInterval(sampling);
    }
    expect(uploaded).toBe(BIG);
    // Buffering would hold all 192 MiB at once; streaming holds chunks.
    expect(peak - before).toBeLessThan(BIG / 2);
    expect(registryHasBlob(blob.digest)).toBe(true);

    // Pulled back through the verifying download: same size and digest.
    const out = join(work, "downloaded");
    await client().downloadBlob(ref("big"), { mediaType: "application/octet-stream", ...blob }, out);
    rmSync(out);

    // Pushing again uploads nothing: HEAD finds the blob (the short-circuit is kept).
    const events: TransferProgress[] = [];
    await pushLayout(client({ onProgress: (p) => events.push(p) }), dir, ref("big"));
    expect(events.filter((e) => e.digest === blob.digest)).toEqual([]);
  }, 180_000);

  it("a blob file changed after packaging fails with CHECKSUM_MISMATCH and nothing is committed", async () => {
    const { dir, blob } = await packaged("changed-plugin", SMALL);
    // Same size, one byte different: only hashing while reading can notice.
    const fh = await open(blob.path, "r+");
    await fh.write(Buffer.from([0xff]), 0, 1, SMALL - 1);
    await fh.close();
    const err = await pushLayout(client(), dir, ref("changed")).catch((e) => e);
    expect(err).toBeInstanceOf(PlugwireError);
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.message).toContain(blob.digest);
    expect(registryHasBlob(blob.digest)).toBe(false);

    // Grown before the push: the size check refuses it before any request.
    const grown = await packaged("grown-plugin", SMALL);
    await appendFile(grown.blob.path, "more");
    const err2 = await pushLayout(client(), grown.dir, ref("grown")).catch((e) => e);
    expect(err2.code).toBe("CHECKSUM_MISMATCH");
    expect(err2.message).toContain(`size ${SMALL + 4} differs from the declared ${SMALL}`);
    expect(registryHasBlob(grown.blob.digest)).toBe(false);

    // Grown while it is being sent: fails as soon as reading passes the declared size.
    const racing = await packaged("racing-plugin", SMALL);
    let appended = false;
    const onProgress = (p: TransferProgress) => {
      if (appended || p.digest !== racing.blob.digest || p.bytes === 0) return;
      appended = true;
      appendFileSync(racing.blob.path, "more");
    };
    const err3 = await pushLayout(client({ onProgress }), racing.dir, ref("racing")).catch((e) => e);
    expect(appended).toBe(true);
    expect(err3).toBeInstanceOf(PlugwireError);
    expect(err3.code).toBe("CHECKSUM_MISMATCH");
    expect(err3.message).toContain(`more than the declared ${SMALL} bytes`);
    expect(registryHasBlob(racing.blob.digest)).toBe(false);
  }, 60_000);

  it("an upload aborted mid-body stops with ABORTED and commits nothing", async () => {
    const { dir, blob } = await packaged("aborted-plugin", SMALL);
    const controller = new AbortController();
    const onProgress = (p: TransferProgress) => {
      if (p.digest === blob.digest && p.bytes > 0 && p.bytes < p.total) controller.abort();
    };
    const err = await pushLayout(client({ onProgress }), dir, ref("aborted"), controller.signal).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(PlugwireError);
    expect(err.code).toBe("ABORTED");
    expect(registryHasBlob(blob.digest)).toBe(false);
  }, 60_000);

  it("a missing blob file is a typed, permanent error", async () => {
    const { dir, blob } = await packaged("missing-plugin", 1024);
    rmSync(blob.path);
    const err = await pushLayout(client(), dir, ref("missing")).catch((e) => e);
    expect(err).toBeInstanceOf(PlugwireError);
    expect(err.code).toBe("ARTIFACT_INVALID");
    expect(err.details).toMatchObject({ failure: "permanent" });
    expect(err.message).toContain(blob.path);
  });

  it("a tarball layer is streamed from the files and stages back byte for byte", async () => {
    const entry = join(work, "tool");
    const extra = join(work, "data.bin");
    writeFileSync(entry, "#!/bin/sh\necho tool\n");
    await writeFileOfSize(extra, SMALL + 123);
    // The streamed archive is the one createTarGz builds in memory (same ustar bytes).
    const files = [
      { name: "tool", path: entry, mode: 0o755 },
      { name: "data.bin", path: extra, mode: 0o644 },
    ];
    const streamed: Buffer[] = [];
    for await (const c of tarGzFromFiles(files)) streamed.push(c);
    const inMemory = createTarGz(
      files.map((f) => ({ name: f.name, bytes: readFileSync(f.path), mode: f.mode })),
    );
    expect(gunzipSync(Buffer.concat(streamed)).equals(gunzipSync(inMemory))).toBe(true);

    const dir = join(work, "tar-layout");
    await packageArtifact(dir, {
      name: "tool",
      version: "2.0.0",
      platforms: [{ platform: "linux/amd64", entry, files: [extra] }],
    });
    await pushLayout(client(), dir, parseReference(`${registry.host}/plugins/tool:2.0.0`));
    const root = join(work, "staging");
    const resolved = await resolvePluginSource(`${registry.host}/plugins/tool:2.0.0`, {
      id: "tool",
      stagingRoot: root,
      client: client(),
      platform: { os: "linux", architecture: "amd64" },
    });
    expect(readFileSync(resolved.command, "utf8")).toBe("#!/bin/sh\necho tool\n");
    expect(
      readFileSync(join(root, "tool", "versions", "2.0.0", "data.bin")).equals(readFileSync(extra)),
    ).toBe(true);
  }, 60_000);
});
