// What plugin and host agree on (go-plugin's HandshakeConfig and the app protocol versions). The
// cookie only keeps people from running the plugin by hand; it is not a security measure.
import type { HandshakeConfig } from "@plugwire/plugin-sdk";
import { Greeter } from "./gen/greeter/v1/greeter_pb.js";

export const HANDSHAKE: HandshakeConfig = {
  magicCookieKey: "GREETER_PLUGIN",
  magicCookieValue: "{{pluginId}}",
};

/** App protocol version → plugin set: version 1 serves `Greeter` as the `greeter` plugin. */
export const VERSIONS = { 1: { greeter: Greeter } } as const;
