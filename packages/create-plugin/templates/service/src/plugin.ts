// The plugin: implements the Greeter service from proto/greeter/v1/greeter.proto.
import { create } from "@bufbuild/protobuf";
import { definePlugin, getPluginContext } from "@plugwire/plugin-sdk";
import { Greeter, GreetResponseSchema } from "./gen/greeter/v1/greeter_pb.js";
import { HANDSHAKE, type VERSIONS } from "./handshake.js";

export const PLUGIN = "{{pluginId}}";

/** A fresh plugin definition (one per process, or per test). */
export function createPlugin() {
  // Typed from VERSIONS so host and plugin share one definition of the services.
  return definePlugin<typeof VERSIONS>({
    name: PLUGIN,
    handshake: HANDSHAKE,
    versions: {
      1: {
        greeter: {
          service: Greeter,
          impl: {
            async greet(req, ctx) {
              getPluginContext(ctx).logger.debug({ name: req.name }, "greet");
              const who = req.name.trim() || "stranger";
              return create(GreetResponseSchema, {
                greeting: `Hello, ${who}! (from ${PLUGIN} over go-plugin)`,
              });
            },
          },
        },
      },
    },
  });
}
