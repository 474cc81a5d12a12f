import { PassThrough } from "node:stream";
import { silentLogger } from "@plugwire/contract";
import { main } from "../../../src/cli/main.js";

/** Runs `plugwire <argv>` in-process with captured output (a non-TTY, so no progress lines). */
export async function plugwire(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough().on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const err = new PassThrough().on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await main(argv, {
    stdout: out,
    stderr: err,
    env: { ...process.env, CI: "true", ...env },
    logger: silentLogger,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
