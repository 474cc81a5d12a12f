import { ErrorCode, PlugwireError } from "@plugwire/contract";
import type { PluginProcess } from "./spawn.js";

/**
 * Waits for the handshake line: the first stdout line within `timeoutMs` (go-plugin: 1 min). Every
 * other outcome is a typed error naming the plugin and showing what happened — an exit before the
 * handshake carries the exit code and the last stderr lines.
 */
export async function awaitHandshakeLine(
  proc: PluginProcess,
  plugin: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const exitedFirst = async (): Promise<never> => {
    // A failed spawn has no stdout either: its typed error, not an "exit", says what happened.
    const exit = await Promise.race([proc.spawnError, proc.exited]);
    throw exitedBeforeHandshake(proc, plugin, exit.code, exit.signal);
  };
  try {
    const line = await Promise.race([
      proc.firstLine,
      proc.spawnError,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new PlugwireError(
                ErrorCode.HandshakeTimeout,
                `timeout after ${timeoutMs} ms waiting for the handshake line`,
                {
                  plugin,
                  details: { timeoutMs, stderr: proc.stderrTail() },
                },
              ),
            ),
          timeoutMs,
        );
      }),
      new Promise<never>((_, reject) => {
        if (!signal) return;
        onAbort = () =>
          reject(new PlugwireError(ErrorCode.Aborted, "launch aborted", { plugin, cause: signal.reason }));
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    // stdout closed without a line: the process is exiting; report how.
    if (line === undefined) return await exitedFirst();
    return line;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

function exitedBeforeHandshake(
  proc: PluginProcess,
  plugin: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): PlugwireError {
  const stderr = proc.stderrTail();
  const how = signal ? `killed by ${signal}` : `exit code ${code}`;
  const tail =
    stderr.length > 0 ? `; last stderr lines:\n  ${stderr.join("\n  ")}` : "; it wrote nothing to stderr";
  return new PlugwireError(ErrorCode.PluginExited, `plugin exited before the handshake (${how})${tail}`, {
    plugin,
    details: { code, signal, stderr },
  });
}
