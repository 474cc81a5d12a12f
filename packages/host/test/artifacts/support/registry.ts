import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../../support/leaks.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

function onPath(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether Debian's `docker-registry` (CNCF distribution) and `htpasswd` are installed. CI installs them
 * (.ci/run) and must run these tests; locally they skip with this reason.
 */
export const registryAvailable = (() => {
  const ok = onPath("docker-registry") && onPath("htpasswd");
  if (!ok && process.env.CI === "true")
    throw new Error("docker-registry/htpasswd are missing in CI (.ci/run installs them)");
  return {
    ok,
    reason: ok
      ? ""
      : "docker-registry or htpasswd is not installed (apt-get install docker-registry apache2-utils)",
  };
})();

/** A running registry on loopback. */
export interface TestRegistry extends AsyncDisposable {
  /** The registry process (a descendant of the test process while it runs). */
  pid: number;
  /** host:port, e.g. `127.0.0.1:41234`. */
  host: string;
  /** The credential it demands (basic and token modes). */
  credentials?: { username: string; password: string };
  token?: TokenServer;
  /** The storage directory (to tamper with blobs). */
  storage: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `docker-registry serve` with a generated config: filesystem storage in a temp dir, loopback
 * address, and `auth` none / htpasswd (bcrypt via `htpasswd -B`) / token (with an in-process token
 * server). Resolves once `/v2/` answers; `stop()` terminates it, waits for the exit and removes the dir.
 */
export async function startRegistry(auth: "none" | "basic" | "token" = "none"): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "pwt-registry-"));
  const storage = join(dir, "storage");
  const credentials = auth === "none" ? undefined : { username: "plugwire", password: "s3cret-pass" };
  let token: TokenServer | undefined;
  let authBlock = "";
  if (auth === "basic" && credentials) {
    const line = execFileSync("htpasswd", ["-Bbn", credentials.username, credentials.password], {
      encoding: "utf8",
    });
    writeFileSync(join(dir, "htpasswd"), line);
    authBlock = `auth:\n  htpasswd:\n    realm: plugwire-test\n    path: ${join(dir, "htpasswd")}\n`;
  } else if (auth === "token" && credentials) {
    token = await startTokenServer({ [credentials.username]: credentials.password });
    writeFileSync(join(dir, "root.pem"), token.certPem);
    authBlock = `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n    issuer: ${token.issuer}\n    rootcertbundle: ${join(dir, "root.pem")}\n`;
  }
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: plugwire-test-secret\n${authBlock}`,
  );
  let stderr = "";
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let up = false;
  const ready = await waitUntilAsync(async () => {
    if (child.exitCode !== null) return true;
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      up = res.status === 200 || res.status === 401;
      return up;
    } catch {
      return false;
    }
  }, 15_000);
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const gone = await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 5000);
      if (!gone) child.kill("SIGKILL");
    }
    await exited;
    await token?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  if (!ready || !up) {
    await stop();
    throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
  }
  return {
    pid: child.pid as number,
    host,
    storage,
    ...(credentials ? { credentials } : {}),
    ...(token ? { token } : {}),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** {@link waitUntil} for an async predicate: polls a real condition with a bound. */
export async function waitUntilAsync(
  predicate: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return predicate();
}
