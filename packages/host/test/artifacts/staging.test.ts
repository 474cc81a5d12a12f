import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createTarGz, extractTarGz, PlugwireError, stagePlugin } from "../../src/index.js";

const dirs: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), "pwt-stage-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlugwireError);
  return (err as PlugwireError).code;
}

/** A raw ustar header + body, for entries createTarGz refuses to write (links, traversal names). */
function rawTar(name: string, type: string, body = ""): Uint8Array {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  h.write("        ", 148);
  h.write(type, 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  data.write(body);
  return gzipSync(Buffer.concat([h, data, Buffer.alloc(1024)]));
}

describe("tarball extraction limits", () => {
  const extract = (bytes: Uint8Array, required = "plugin", limits?: Parameters<typeof extractTarGz>[3]) => {
    const d = temp();
    writeFileSync(join(d, "a.tgz"), bytes);
    mkdirSync(join(d, "out"));
    return { out: join(d, "out"), done: extractTarGz(join(d, "a.tgz"), join(d, "out"), required, limits) };
  };

  it("extracts regular files, the declared entry 0755", async () => {
    const { out, done } = extract(
      createTarGz([
        { name: "plugin", bytes: Buffer.from("#!/bin/sh\n") },
        { name: "data.json", bytes: Buffer.from("{}") },
      ]),
    );
    expect(await done).toEqual(["plugin", "data.json"]);
    expect(statSync(join(out, "plugin")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, "data.json"), "utf8")).toBe("{}");
  });

  it.each([
    ["../escape", "0", "UNSAFE_PATH"],
    ["dir/plugin", "0", "UNSAFE_PATH"],
    ["plugin", "2", "ARTIFACT_INVALID"], // symlink
    ["plugin", "5", "ARTIFACT_INVALID"], // directory
  ])("rejects entry %j of type %j with %s and writes nothing outside", async (name, type, code) => {
    const { out, done } = extract(rawTar(name, type, "x"));
    expect(await codeOf(done)).toBe(code);
    expect(existsSync(join(out, "..", "escape"))).toBe(false);
  });

  it("enforces entry count, per-file and total sizes, the declared entry and gzip integrity", async () => {
    const files = (n: number, size = 1) =>
      Array.from({ length: n }, (_, i) => ({
        name: i === 0 ? "plugin" : `f${i}`,
        bytes: Buffer.alloc(size),
      }));
    expect(await codeOf(extract(createTarGz(files(65))).done)).toBe("ARTIFACT_INVALID");
    const small = { maxEntries: 64, maxFileBytes: 100, maxTotalBytes: 150 };
    expect(await codeOf(extract(createTarGz(files(1, 101)), "plugin", { limits: small }).done)).toBe(
      "ARTIFACT_INVALID",
    );
    expect(await codeOf(extract(createTarGz(files(2, 80)), "plugin", { limits: small }).done)).toBe(
      "ARTIFACT_INVALID",
    );
    expect(await codeOf(extract(createTarGz(files(2)), "missing").done)).toBe("ARTIFACT_INVALID");
    expect(await codeOf(extract(Buffer.from("not gzip at all")).done)).toBe("ARTIFACT_INVALID");
  });
});

describe("stagePlugin", () => {
  const write = (content: string) => async (dir: string) => writeFileSync(join(dir, "plugin"), content);
  const base = (root: string, version: string, digest: string) => ({
    root,
    id: "p",
    version,
    digest,
    entry: "plugin",
  });

  it("stages, switches current atomically, is a no-op for the same identity, keeps the newest N", async () => {
    const root = temp();
    const first = await stagePlugin({ ...base(root, "1", "sha256:1"), fill: write("one") });
    expect(first.reused).toBe(false);
    expect(readlinkSync(join(root, "p", "current"))).toBe(join("versions", "1"));
    let fills = 0;
    const again = await stagePlugin({
      ...base(root, "1", "sha256:1"),
      fill: async (d) => {
        fills++;
        await write("x")(d);
      },
    });
    expect([again.reused, fills]).toEqual([true, 0]);
    for (const v of ["2", "3", "4"])
      await stagePlugin({ ...base(root, v, `sha256:${v}`), fill: write(v), keep: 3 });
    expect(readdirSync(join(root, "p", "versions")).sort()).toEqual(["2", "3", "4"]);
    expect(readFileSync(join(root, "p", "current", "plugin"), "utf8")).toBe("4");
    expect(readdirSync(join(root, "p")).sort()).toEqual(["current", "versions"]);
  });

  it("rolls current back when activation fails, and removes it on a first install", async () => {
    const root = temp();
    const boom = async () => {
      throw new Error("health check failed");
    };
    await expect(
      stagePlugin({ ...base(root, "1", "sha256:1"), fill: write("one"), activate: boom }),
    ).rejects.toThrow("health check");
    expect(existsSync(join(root, "p", "current"))).toBe(false);
    await stagePlugin({ ...base(root, "1", "sha256:1"), fill: write("one") });
    await expect(
      stagePlugin({ ...base(root, "2", "sha256:2"), fill: write("two"), activate: boom }),
    ).rejects.toThrow();
    expect(readlinkSync(join(root, "p", "current"))).toBe(join("versions", "1"));
    // Same version, new content, failed activation: the old content is restored.
    await expect(
      stagePlugin({ ...base(root, "1", "sha256:other"), fill: write("evil"), activate: boom }),
    ).rejects.toThrow();
    expect(readFileSync(join(root, "p", "current", "plugin"), "utf8")).toBe("one");
    expect(readdirSync(join(root, "p")).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("rejects unsafe ids, versions and binary names before touching the disk", async () => {
    const root = temp();
    for (const bad of ["", ".", "..", "a/b", "a\\b", "a\0b"]) {
      expect(await codeOf(stagePlugin({ ...base(root, "1", "d"), id: bad, fill: write("x") }))).toBe(
        "UNSAFE_PATH",
      );
      expect(await codeOf(stagePlugin({ ...base(root, bad, "d"), fill: write("x") }))).toBe("UNSAFE_PATH");
      expect(await codeOf(stagePlugin({ ...base(root, "1", "d"), entry: bad, fill: write("x") }))).toBe(
        "UNSAFE_PATH",
      );
    }
    expect(readdirSync(root)).toEqual([]);
  });

  it("a failed fill leaves nothing behind", async () => {
    const root = temp();
    await expect(
      stagePlugin({
        ...base(root, "1", "d"),
        fill: async () => {
          throw new Error("download failed");
        },
      }),
    ).rejects.toThrow();
    expect(readdirSync(join(root, "p", "versions"))).toEqual([]);
    expect(readdirSync(join(root, "p"))).toEqual(["versions"]);
  });
});
