import type { ConnectRouter } from "@connectrpc/connect";
import { brokerProto, controllerProto, health, stdioProto } from "@plugwire/contract/wire";
import type { PluginSet } from "../define-plugin.js";
import { type PluginContext, pluginContextInterceptor } from "../plugin-context.js";
import { brokerService } from "./broker.js";
import { controllerService } from "./controller.js";
import { healthService } from "./health.js";
import { type StdioStream, stdioService } from "./stdio.js";

/** Everything {@link pluginRoutes} needs besides the app's services. */
export interface PluginRoutesOptions {
  /** The negotiated plugin set. */
  pluginSet: PluginSet;
  /** Broker, logger, version and shutdown signal, handed to every app handler. */
  context: PluginContext;
  /** Captured stdio, served on `plugin.GRPCStdio`. */
  stdio: StdioStream;
  /** Called (after replying) when the host calls `GRPCController.Shutdown`. */
  onShutdown: () => void;
}

/**
 * Registers what every go-plugin gRPC plugin serves (go-plugin-wire.md §3) — health, broker,
 * controller, stdio — and every service of the negotiated plugin set, all on one server.
 */
export function pluginRoutes(options: PluginRoutesOptions): (router: ConnectRouter) => void {
  const { context } = options;
  return (router) => {
    router.service(health.Health, healthService(context.signal));
    router.service(brokerProto.GRPCBroker, brokerService(context.broker, context.signal));
    router.service(controllerProto.GRPCController, controllerService(options.onShutdown));
    router.service(stdioProto.GRPCStdio, stdioService(options.stdio));
    const interceptors = [pluginContextInterceptor(context)];
    for (const binding of Object.values(options.pluginSet)) {
      router.service(binding.service, binding.impl, { interceptors });
    }
  };
}
