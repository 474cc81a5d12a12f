// The baseline users would hand-write: a @grpc/grpc-js client built from the same KV proto
// (examples/go-plugin-kv/proto/kv/kv.proto) with @grpc/proto-loader, dialling the plugin's socket.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoPath = fileURLToPath(
  new URL("../../../../examples/go-plugin-kv/proto/kv/kv.proto", import.meta.url),
);

interface KvStub extends grpc.Client {
  Get(req: { key: string }, cb: (err: grpc.ServiceError | null, res?: { value: Buffer }) => void): void;
}

/** A grpc-js KV client on a go-plugin address (`unix` path or `host:port`). */
export function createGrpcJsKv(addr: { network: "unix" | "tcp"; string: string }) {
  const definition = protoLoader.loadSync(protoPath, { keepCase: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    proto: { KV: new (target: string, creds: grpc.ChannelCredentials) => KvStub };
  };
  const target = addr.network === "unix" ? `unix:${addr.string}` : addr.string;
  const client = new pkg.proto.KV(target, grpc.credentials.createInsecure());
  return {
    get: (key: string) =>
      new Promise<Buffer>((resolve, reject) =>
        client.Get({ key }, (err, res) => (err ? reject(err) : resolve(res?.value ?? Buffer.alloc(0)))),
      ),
    close: () => client.close(),
  };
}
