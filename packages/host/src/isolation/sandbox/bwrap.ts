/** What a bubblewrap sandbox is built from. */
export interface BwrapSpec {
  /** Paths that must stay visible read-only even under the private /tmp (cwd, the executable). */
  readable: readonly string[];
  /** Directories and files bound read-write on top of the read-only root. */
  writable: readonly string[];
  /** Existing paths bound read-only on top of the writable ones (forbidden files). */
  readOnly: readonly string[];
  /** The plugin's socket directory: always bound read-write, even without network. */
  socketDir: string;
  /** False: an empty network namespace. Unix sockets still work through the bound socket dir. */
  network: boolean;
  cwd: string;
}

/**
 * bwrap arguments up to and including `--`: the host's root read-only, fresh /dev and /proc, a
 * private /tmp, the writable allowlist and the socket directory bound back in (later mounts win,
 * so they go after `--tmpfs /tmp`), forbidden paths re-bound read-only, `--unshare-pid` so the
 * whole tree dies with bwrap's init, and `--die-with-parent` (PR_SET_PDEATHSIG) so that happens
 * when the host dies.
 */
export function bwrapArgs(spec: BwrapSpec): string[] {
  const args = [
    "--die-with-parent",
    "--unshare-pid",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
  ];
  args.push("--tmpfs", "/tmp");
  for (const path of spec.readable) args.push("--ro-bind-try", path, path);
  for (const path of [spec.socketDir, ...spec.writable]) args.push("--bind", path, path);
  for (const path of spec.readOnly) args.push("--ro-bind", path, path);
  if (!spec.network) args.push("--unshare-net");
  args.push("--chdir", spec.cwd, "--");
  return args;
}

const probes = new Map<string, Promise<string | undefined>>();

/**
 * Whether bwrap runs here with the namespaces we need: resolves undefined when it does, else the
 * reason (not Linux, not installed, namespaces not permitted). Probed once per process and setting.
 */
export function bwrapUnavailable(network: boolean): Promise<string | undefined> {
  if (process.platform !== "linux") return Promise.resolve(`bwrap needs Linux (this is ${process.platform})`);
  const key = String(network);
  let probe = probes.get(key);
  if (!probe) {
    const args = [
      "--ro-bind",
      "/",
      "/",
      "--unshare-pid",
      ...(network ? [] : ["--unshare-net"]),
      "--",
      "true",
    ];
    // execa is loaded on first use: importing it costs a host ~90 ms and ~16 MiB at start-up.
    probe = import("execa")
      .then(({ execa }) => execa("bwrap", args, { reject: false, timeout: 10_000, stdin: "ignore" }))
      .then((r) => {
        if (r.exitCode === 0) return undefined;
        const code = (r as { code?: string }).code;
        if (code === "ENOENT") return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)";
        return `bwrap cannot create its namespaces here: ${String(r.stderr).trim() || r.shortMessage}`;
      });
    probes.set(key, probe);
  }
  return probe;
}
