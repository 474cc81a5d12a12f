import { existsSync } from "node:fs";

/**
 * The file descriptor the host's end of the watchdog pipe arrives on in the plugin's wrapper.
 * `spawnPlugin` opens it as an extra stdio pipe when `watchdogFd` is set.
 */
export const WATCHDOG_FD = 3;

/**
 * A POSIX sh program that forks a watchdog into the plugin's process group and then execs the
 * plugin (same pid, so the host's process handle, pid and group stay the plugin's). The watchdog
 * blocks reading the host's pipe; the kernel closes that pipe when the host dies however it dies
 * (SIGKILL included), `read` returns at EOF, and the watchdog removes the plugin's socket directory
 * (`$0`: the host cannot any more) and SIGKILLs its whole process group — the plugin and
 * everything it forked. It ignores SIGTERM/SIGINT/SIGHUP so a graceful group
 * signal does not remove it before the host's final group SIGKILL. `sh` exports PWD; we unset it so
 * the plugin's environment is exactly the host's choice. Written by hand: nothing on
 * npm reaps a process group after its parent was SIGKILLed.
 */
const WATCHDOG_SH = `( trap '' TERM INT HUP; read _ <&${WATCHDOG_FD}; rm -rf -- "$0"; kill -KILL 0 ) </dev/null >/dev/null 2>&1 &
unset PWD OLDPWD
exec "$@" ${WATCHDOG_FD}<&-`;

/** The command prefix that runs `argv` under the watchdog: `sh -c <program> <socketDir> argv…`. */
export function watchdogPrefix(socketDir: string): string[] {
  return ["/bin/sh", "-c", WATCHDOG_SH, socketDir];
}

/**
 * `setpriv --pdeathsig KILL --` (util-linux): the kernel SIGKILLs the plugin itself the moment the
 * host's thread that spawned it exits (PR_SET_PDEATHSIG survives setpriv's exec). Undefined where
 * setpriv is missing (non-Linux); the watchdog still covers that case.
 */
export function pdeathsigPrefix(): string[] | undefined {
  if (process.platform !== "linux") return undefined;
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
  return setpriv ? [setpriv, "--pdeathsig", "KILL", "--"] : undefined;
}
