import { createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does with each request: forward, answer 500, never answer, or forward slowly. */
export type ProxyMode = "pass" | "500" | "hang" | "drip";

/** A loopback HTTP proxy in front of a registry that injects faults; `mode` may change at any time. */
export interface FaultProxy extends AsyncDisposable {
  /** host:port to use in references instead of the registry's. */
  readonly host: string;
  mode: ProxyMode;
  /** Requests answered (or swallowed) per mode, for the table. */
  readonly served: Record<ProxyMode, number>;
  close(): Promise<void>;
}

/** Bytes per drip, and the pause between drips: a 1 KiB manifest takes ~3 s. */
const DRIP_BYTES = 16;
const DRIP_MS = 50;

/**
 * Starts a {@link FaultProxy} for `target` (the registry's host:port). Written by hand: a dozen lines
 * of node:http, where a proxy library would hide the very byte pacing the faults need.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [hostname, port] = target.split(":") as [string, string];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const served: Record<ProxyMode, number> = { pass: 0, "500": 0, hang: 0, drip: 0 };
  const proxy = { mode: "pass" as ProxyMode };
  const drip = (res: ServerResponse, body: Buffer, at = 0) => {
    if (at >= body.length || res.destroyed) return void res.end();
    res.write(body.subarray(at, at + DRIP_BYTES));
    const t = setTimeout(() => {
      timers.delete(t);
      drip(res, body, at + DRIP_BYTES);
    }, DRIP_MS);
    timers.add(t);
  };
  const server = createServer((req, res) => {
    const mode = proxy.mode;
    served[mode]++;
    if (mode === "hang") return;
    if (mode === "500")
      return void res.writeHead(500, { "content-type": "text/plain" }).end("injected fault");
    const upstream = request(
      { hostname, port: Number(port), path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (mode === "pass") return void up.pipe(res);
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => drip(res, Buffer.concat(chunks)));
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get mode() {
      return proxy.mode;
    },
    set mode(m: ProxyMode) {
      proxy.mode = m;
    },
    served,
    close,
    [Symbol.asyncDispose]: close,
  };
}
