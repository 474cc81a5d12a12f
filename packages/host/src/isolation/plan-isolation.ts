import { existsSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { dirname, resolve } from "node:path";
import { ErrorCode, type Logger, PlugwireError } from "@plugwire/contract";
import type { EnvPolicy } from "../launch/environment.js";
import type { PluginExit } from "../launch/spawn.js";
import { pdeathsigPrefix, watchdogPrefix } from "./die-with-host.js";
import { isolationEnvPolicy } from "./env-profile.js";
import { type ForbiddenPathGuard, snapshotForbiddenPaths } from "./forbidden-paths.js";
import {
  classifyBreach,
  cpuSecondsOf,
  hasLimits,
  isBreachLine,
  nodeHeapFlag,
  pgidOf,
  prlimitArgs,
  validateLimits,
} from "./limits.js";
import type { IsolationOptions, SandboxLevel } from "./options.js";
import { bwrapArgs } from "./sandbox/bwrap.js";
import {
  detectNodeEntry,
  type NodeEntry,
  nodePackageRoot,
  nodePermissionArgs,
  permissionFlag,
} from "./sandbox/node.js";
import { resolveSandboxLevel } from "./sandbox/resolve-level.js";

/** A launch's command after isolation was applied, and the hooks that complete its exit report. */
export interface IsolationPlan {
  command: string;
  args: string[];
  envPolicy: EnvPolicy;
  /** The sandbox level in effect (the fallback when one was taken). */
  level: SandboxLevel;
  /** Open the watchdog pipe (fd 3) when spawning. */
  watchdog: boolean;
  /** Called once the process runs. */
  started(pid: number): void;
  /** Sees every stderr line, to keep the ones that name a limit failure. */
  stderrLine(line: string): void;
  /** Adds the limit breach and forbidden-path violations to the exit, reverting the violations. */
  finish(exit: PluginExit, stderrTail: readonly string[]): Promise<PluginExit>;
  /** Releases the snapshot when the launch failed before the process ran. */
  dispose(): Promise<void>;
}

/** What {@link planIsolation} needs from the launch. */
export interface PlanInput {
  plugin: string;
  command: string;
  args: readonly string[];
  cwd: string | undefined;
  socketDir: string;
  isolation: IsolationOptions;
  logger: Logger;
}

const CPU_SAMPLE_MS = 250;

/**
 * Applies isolation to one launch. The command becomes, outermost first:
 * watchdog `sh` → `prlimit` → `setpriv --pdeathsig KILL` → `bwrap … --` → `node <flags>` → plugin.
 * Every wrapper execs the next, so the spawned pid is the plugin's (or bwrap's) and its process
 * group holds everything the plugin forks.
 */
export async function planIsolation(o: PlanInput): Promise<IsolationPlan> {
  const { plugin, isolation: iso } = o;
  const cwd = o.cwd ?? process.cwd();
  const limits = iso.limits;
  if (limits) validateLimits(limits, plugin);
  const envPolicy = isolationEnvPolicy(iso, plugin);
  const node = await nodeEntryFor(o, cwd);
  const network = iso.network ?? true;
  const level = await resolveSandboxLevel({
    plugin,
    requested: iso.sandbox ?? "none",
    fallback: iso.sandboxFallback,
    node,
    network,
    logger: o.logger,
  });
  const prlimit = hasLimits(limits) ? findPrlimit(plugin) : undefined;
  const guard = iso.forbidden?.length
    ? await snapshotForbiddenPaths({ workDir: iso.workDir ?? cwd, patterns: iso.forbidden, plugin })
    : undefined;
  try {
    let argv = node ? await nodeArgv(node, level, o, iso) : [o.command, ...o.args];
    if (level === "bwrap") {
      const readable = [cwd, ...(iso.readable ?? [])];
      if (o.command.includes("/")) readable.push(dirname(resolve(cwd, o.command)));
      // A Node plugin needs its packages too: under a private /tmp (a repo or install below /tmp),
      // node_modules would vanish unless bound back in.
      if (node?.script) readable.push(dirname(node.script), await nodePackageRoot(node.script));
      const spec = {
        readable,
        writable: iso.writable ?? [],
        readOnly: guard?.matched ?? [],
        socketDir: o.socketDir,
        network,
        cwd,
      };
      argv = ["bwrap", ...bwrapArgs(spec), ...argv];
    }
    const dieWithHost = iso.dieWithHost ?? true;
    if (dieWithHost) argv = [...(pdeathsigPrefix() ?? []), ...argv];
    if (prlimit && limits) argv = [prlimit, ...prlimitArgs(limits), "--", ...argv];
    if (dieWithHost) argv = [...watchdogPrefix(o.socketDir), ...argv];
    const [command, ...args] = argv as [string, ...string[]];
    return { command, args, envPolicy, level, watchdog: dieWithHost, ...exitHooks(o, level, guard) };
  } catch (err) {
    await guard?.dispose();
    throw err;
  }
}

async function nodeEntryFor(o: PlanInput, cwd: string): Promise<NodeEntry | undefined> {
  const runtime = o.isolation.runtime ?? "auto";
  if (runtime === "native") return undefined;
  const entry = await detectNodeEntry(o.command, o.args, cwd);
  if (!entry && runtime === "node") {
    throw new PlugwireError(
      ErrorCode.ConfigInvalid,
      `runtime is "node" but ${o.command} is not a Node program`,
      {
        plugin: o.plugin,
      },
    );
  }
  return entry;
}

/** `node <their flags> [--max-old-space-size] [permission flags] script args`. */
async function nodeArgv(
  node: NodeEntry,
  level: SandboxLevel,
  o: PlanInput,
  iso: IsolationOptions,
): Promise<string[]> {
  const flags = [...node.nodeArgs, ...nodeHeapFlag(iso.limits)];
  if (level === "node" && node.script) {
    const read = [await nodePackageRoot(node.script), ...(iso.readable ?? [])];
    const write = [o.socketDir, ...(iso.writable ?? [])];
    flags.push(...nodePermissionArgs(permissionFlag() as string, read, write));
  }
  return [node.node, ...flags, ...(node.script ? [node.script] : []), ...node.scriptArgs];
}

function findPrlimit(plugin: string): string {
  const found = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => existsSync(p));
  if (process.platform !== "linux" || !found) {
    throw new PlugwireError(
      ErrorCode.SandboxUnavailable,
      `resource limits need Linux with util-linux prlimit (this is ${process.platform}${found ? "" : ", no prlimit"})`,
      { plugin },
    );
  }
  return found;
}

function exitHooks(
  o: PlanInput,
  level: SandboxLevel,
  guard: ForbiddenPathGuard | undefined,
): Pick<IsolationPlan, "started" | "stderrLine" | "finish" | "dispose"> {
  const limits = o.isolation.limits;
  let cpuSeconds: number | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const notable: string[] = [];
  return {
    stderrLine(line) {
      if (!limits || !isBreachLine(line)) return;
      notable.push(line.slice(0, 500));
      if (notable.length > 5) notable.shift();
    },
    started(pid) {
      if (limits?.cpuSeconds === undefined || process.platform !== "linux") return;
      // RLIMIT_CPU is per process: keep the highest usage of any process in the plugin's group.
      sampler = setInterval(() => {
        for (const p of groupMembers(pid)) cpuSeconds = Math.max(cpuSeconds ?? 0, cpuSecondsOf(p) ?? 0);
      }, CPU_SAMPLE_MS).unref();
    },
    async finish(exit, stderrTail) {
      clearInterval(sampler);
      // bwrap reports a signalled child as 128+n, like a shell.
      const signal = exit.signal ?? (level === "bwrap" ? signalFromCode(exit.code) : null);
      const breach = classifyBreach(limits, {
        ...exit,
        signal,
        stderrTail: [...notable, ...stderrTail],
        cpuSeconds,
      });
      const out: PluginExit = { ...exit };
      if (breach) {
        out.breach = breach;
        o.logger.error({ ...breach }, `plugin hit its ${breach.resource} limit`);
      }
      if (guard) {
        try {
          const violations = await guard.checkAndRevert();
          if (violations.length > 0) {
            out.violations = violations;
            o.logger.error(
              { paths: violations },
              "policy violation: the plugin changed forbidden paths; reverted",
            );
          }
        } catch (err) {
          // Never lost silently: the exit still settles, and the failure is logged with its cause.
          o.logger.error({ err: String(err) }, "could not check or revert the forbidden paths");
        } finally {
          await guard.dispose();
        }
      }
      return out;
    },
    dispose: async () => {
      clearInterval(sampler);
      await guard?.dispose();
    },
  };
}

function signalFromCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const entry = Object.entries(constants.signals).find(([, n]) => n === code - 128);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

/** Pids whose process group is `pgid` (from /proc), the leader first. */
function groupMembers(pgid: number): number[] {
  const others = readdirSync("/proc").filter((e) => /^\d+$/.test(e) && Number(e) !== pgid);
  return [pgid, ...others.map(Number).filter((pid) => pgidOf(pid) === pgid)];
}
