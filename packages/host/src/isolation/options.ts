import type { EnvPolicy } from "../launch/environment.js";

/**
 * How strongly a plugin is confined. `none`: a plain child process; `node`: Node's permission model
 * (`--experimental-permission` with fs read/write allowlists; Node plugins only); `bwrap`:
 * bubblewrap on Linux (read-only root, private /tmp, writable allowlist, optional no network).
 */
export type SandboxLevel = "none" | "node" | "bwrap";

/**
 * Resource limits, applied with `prlimit` on Linux (util-linux; the limits are inherited by
 * everything the plugin forks). Plain numbers: bytes, seconds, descriptors.
 */
export interface ResourceLimits {
  /**
   * RLIMIT_DATA in bytes: heap, data segment and private writable mappings (Linux ≥ 4.7). Not
   * RLIMIT_AS: Go and V8 reserve gigabytes of address space they never touch. Node plugins also
   * get `--max-old-space-size` at ¾ of this, so V8 reports its own heap limit first.
   */
  memoryBytes?: number;
  /** RLIMIT_CPU in seconds of CPU time: SIGXCPU at the limit, SIGKILL one second later. */
  cpuSeconds?: number;
  /** RLIMIT_NOFILE: the number of open file descriptors. */
  openFiles?: number;
}

/** Per-plugin isolation settings (host-wide defaults merge under a launch's own). */
export interface IsolationOptions {
  /**
   * Which host variables the plugin sees. Default `"strict"`: PATH, HOME, LANG, TZ, variables
   * starting with {@link envPrefix}, the names in {@link passEnv}, plus the protocol's own variables.
   * Any {@link EnvPolicy} may be given instead.
   */
  env?: "strict" | EnvPolicy;
  /** Variables with this prefix pass the strict profile, e.g. `MYAPP_`. */
  envPrefix?: string;
  /** Host variables passed through by name under the strict profile. */
  passEnv?: readonly string[];
  limits?: ResourceLimits;
  /** Default `none`. */
  sandbox?: SandboxLevel;
  /**
   * When {@link sandbox} is unavailable here: absent → launch fails with `SANDBOX_UNAVAILABLE`;
   * a level → use that one instead and log a warning.
   */
  sandboxFallback?: SandboxLevel;
  /** Paths the plugin may write under a sandbox (the socket directory is always added). */
  writable?: readonly string[];
  /** `node` sandbox: extra readable paths (the plugin's package tree is added automatically). */
  readable?: readonly string[];
  /** `bwrap`: false runs the plugin in an empty network namespace (unix sockets keep working). Default true. */
  network?: boolean;
  /** Base of {@link forbidden}; default the launch's cwd, else the host's. */
  workDir?: string;
  /**
   * Globs under {@link workDir} the plugin must not change, matched against the whole relative path
   * (`*.pem` is top-level only, `**\/*.pem` any depth). Read-only under `bwrap`; otherwise
   * snapshotted at launch and reverted at exit, reported as a policy violation.
   */
  forbidden?: readonly string[];
  /**
   * Kill the plugin and everything in its process group when the host dies, even by SIGKILL
   * (parent-death signal plus a watchdog on a pipe from the host). Default true.
   */
  dieWithHost?: boolean;
  /** Whether the command is a Node program (`auto` looks at the command and its `#!` line). */
  runtime?: "auto" | "node" | "native";
}

/** A resource limit the plugin ran into, as far as its exit shows. */
export interface LimitBreach {
  resource: "memory" | "cpu" | "open-files";
  /** The configured limit (bytes, seconds or descriptors). */
  limit: number;
  /** What showed it: a signal or the stderr line that names the failure. */
  evidence: string;
}
