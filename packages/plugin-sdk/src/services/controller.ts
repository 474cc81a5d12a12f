import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { controllerProto } from "@plugwire/contract/wire";

/**
 * `plugin.GRPCController` (go-plugin-wire.md §3–§4): `Shutdown` asks the plugin to stop. Go plugins
 * stop their server before replying (hosts ignore the error); we reply first, then `onShutdown` runs
 * on the next turn — it stops accepting, drains in-flight calls within a bound and exits 0.
 */
export function controllerService(
  onShutdown: () => void,
): ServiceImpl<typeof controllerProto.GRPCController> {
  return {
    async shutdown() {
      setImmediate(onShutdown);
      return create(controllerProto.EmptySchema);
    },
  };
}
