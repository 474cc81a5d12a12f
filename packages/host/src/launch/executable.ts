import { accessSync, closeSync, constants, openSync, readSync, type Stats, statSync } from "node:fs";
import { ErrorCode, PlugwireError } from "@plugwire/contract";

/**
 * ELF `e_machine` values for the architectures Node runs on, keyed by `process.arch`.
 * go-plugin users hit "exec format error" with no hint; we name both architectures instead.
 */
const ELF_MACHINES: Record<string, number> = {
  x64: 62,
  arm64: 183,
  ia32: 3,
  arm: 40,
  ppc64: 21,
  s390x: 22,
  riscv64: 243,
  loong64: 258,
};

const ELF_MACHINE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ELF_MACHINES).map(([arch, machine]) => [machine, arch]),
);

/** Mach-O magic numbers (both endiannesses, 32/64-bit and fat/universal). */
const MACHO_MAGICS = new Set([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xbebafeca]);

/**
 * What {@link diagnoseExecutable} found: a native binary for this host, a `#!` script whose
 * interpreter is an executable file, or something only the kernel can judge (unreadable, unknown format,
 * missing interpreter).
 */
export type ExecutableKind = "native" | "script" | "unknown";

/**
 * Checks, before exec, that `path` exists, is an executable regular file, and — for native
 * binaries — was built for this OS and CPU. Scripts (`#!`) and unknown formats pass through:
 * the kernel is the judge of those, and the after-exec diagnosis reports what it said.
 *
 * Synchronous on purpose: a stat, an access and a 64-byte read of the file the kernel is about to
 * exec. `spawn()` right after blocks the thread anyway until the child's execve has read that same
 * file (libuv waits on it), while five thread-pool round trips cost ~0.4 ms of a cold launch.
 */
export function diagnoseExecutable(path: string, plugin: string): ExecutableKind {
  let info: Stats;
  try {
    info = statSync(path);
  } catch (cause) {
    throw new PlugwireError(ErrorCode.NotFound, `executable ${path} not found`, { plugin, cause });
  }
  if (!info.isFile()) {
    throw new PlugwireError(ErrorCode.NotExecutable, `${path} is not a regular file`, { plugin });
  }
  const identity = fileIdentity(info);
  if (nativeBinaries.get(path) === identity) return "native";
  try {
    accessSync(path, constants.X_OK);
  } catch (cause) {
    throw new PlugwireError(
      ErrorCode.NotExecutable,
      `${path} is not executable (mode ${modeOf(info.mode)})`,
      {
        plugin,
        cause,
      },
    );
  }
  const header = readHeader(path);
  const found = describeBinary(header);
  if (found && (found.os !== process.platform || (found.arch !== undefined && found.arch !== process.arch))) {
    throw new PlugwireError(
      ErrorCode.WrongArchitecture,
      `${path} is a ${found.os}/${found.arch ?? "unknown"} binary; this host is ${process.platform}/${process.arch}`,
      { plugin, details: { binary: found, host: { os: process.platform, arch: process.arch } } },
    );
  }
  if (found) {
    if (nativeBinaries.size >= 256) nativeBinaries.clear();
    nativeBinaries.set(path, identity);
    return "native";
  }
  return interpreterExists(header) ? "script" : "unknown";
}

/**
 * Native binaries already found good, by path → file identity: relaunching one (cold starts,
 * supervised restarts) costs a stat instead of stat, access, open, read and close. Replacing,
 * rewriting or chmod-ing the file changes its inode or ctime, and so the identity. Scripts are
 * checked every time: their interpreter is another file.
 */
const nativeBinaries = new Map<string, string>();

function fileIdentity(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/** A `#!` line whose interpreter (its first word, an absolute path) is an executable file. */
function interpreterExists(header: Uint8Array): boolean {
  if (header[0] !== 0x23 || header[1] !== 0x21) return false;
  const line = new TextDecoder().decode(header.subarray(2)).split("\n", 1)[0] as string;
  const interpreter = line.trim().split(/[ \t]/, 1)[0] ?? "";
  if (!interpreter.startsWith("/")) return false;
  try {
    accessSync(interpreter, constants.X_OK);
    return statSync(interpreter).isFile();
  } catch {
    return false;
  }
}

/** What a binary header says about its target, or undefined for scripts and unknown formats. */
export function describeBinary(header: Uint8Array): { os: string; arch: string | undefined } | undefined {
  if (
    header.length >= 20 &&
    header[0] === 0x7f &&
    header[1] === 0x45 &&
    header[2] === 0x4c &&
    header[3] === 0x46
  ) {
    const littleEndian = header[5] === 1;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const machine = view.getUint16(18, littleEndian);
    // ELF is used by Linux and the BSDs alike; treat it as "this OS unless it is darwin/win32".
    const os = process.platform === "darwin" || process.platform === "win32" ? "linux" : process.platform;
    return { os, arch: ELF_MACHINE_NAMES[machine] ?? `elf-machine-${machine}` };
  }
  if (header.length >= 4) {
    const magic = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(0, false);
    if (MACHO_MAGICS.has(magic)) return { os: "darwin", arch: undefined };
  }
  if (header.length >= 2 && header[0] === 0x4d && header[1] === 0x5a) return { os: "win32", arch: undefined };
  return undefined;
}

function readHeader(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    // Executable but not readable (mode 0111): exec may still work; the kernel judges.
    return new Uint8Array(0);
  }
  try {
    const buf = new Uint8Array(64);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

function modeOf(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * Turns a spawn failure into a typed error: what the kernel said about the executable after exec
 * (ENOENT for a missing interpreter, ENOEXEC for a foreign format, EACCES for permissions).
 */
export function diagnoseSpawnError(
  err: NodeJS.ErrnoException,
  command: string,
  plugin: string,
): PlugwireError {
  switch (err.code) {
    case "ENOENT":
      return new PlugwireError(
        ErrorCode.NotFound,
        `could not start ${command}: not found (or its interpreter is missing)`,
        {
          plugin,
          cause: err,
        },
      );
    case "EACCES":
    case "EPERM":
      return new PlugwireError(ErrorCode.NotExecutable, `could not start ${command}: permission denied`, {
        plugin,
        cause: err,
      });
    case "ENOEXEC":
      return new PlugwireError(ErrorCode.WrongArchitecture, `could not start ${command}: exec format error`, {
        plugin,
        cause: err,
      });
    case "EMFILE":
    case "ENFILE":
      return new PlugwireError(
        ErrorCode.ResourcesExhausted,
        `could not start ${command}: the host has no file descriptors left (${err.code}; raise \`ulimit -n\` or run fewer plugins)`,
        { plugin, cause: err },
      );
    case "EAGAIN":
      return new PlugwireError(
        ErrorCode.ResourcesExhausted,
        `could not start ${command}: the system refused another process (EAGAIN; see \`ulimit -u\`)`,
        { plugin, cause: err },
      );
    default:
      return new PlugwireError(ErrorCode.PluginExited, `could not start ${command}: ${err.message}`, {
        plugin,
        cause: err,
      });
  }
}
