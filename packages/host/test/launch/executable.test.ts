// diagnoseExecutable remembers native binaries it found good; any change to the file must be seen.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, PlugwireError } from "../../src/index.js";
import { diagnoseExecutable } from "../../src/launch/executable.js";

const dir = mkdtempSync(join(tmpdir(), "pw-exe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (PlugwireError.is(err)) return err.code;
    throw err;
  }
  return undefined;
};

describe("diagnoseExecutable on a relaunched binary", () => {
  it("sees chmod, a rewrite and a replacement after a good verdict", () => {
    const path = join(dir, "plugin");
    copyFileSync("/bin/true", path);
    chmodSync(path, 0o755);
    expect(diagnoseExecutable(path, "p")).toBe("native");
    expect(diagnoseExecutable(path, "p")).toBe("native");

    chmodSync(path, 0o644);
    expect(codeOf(() => diagnoseExecutable(path, "p"))).toBe(ErrorCode.NotExecutable);
    chmodSync(path, 0o755);
    expect(diagnoseExecutable(path, "p")).toBe("native");

    // Same size, another CPU in the ELF header: rewritten in place.
    const elf = readFileSync(path);
    elf.writeUInt16LE(elf.readUInt16LE(18) === 62 ? 183 : 62, 18);
    writeFileSync(path, elf);
    expect(codeOf(() => diagnoseExecutable(path, "p"))).toBe(ErrorCode.WrongArchitecture);

    rmSync(path);
    writeFileSync(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    expect(diagnoseExecutable(path, "p")).toBe("script");
    rmSync(path);
    expect(codeOf(() => diagnoseExecutable(path, "p"))).toBe(ErrorCode.NotFound);
  });
});
