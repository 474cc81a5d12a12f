import { describe, expect, it } from "vitest";
import { handshakeLine } from "./handshake.js";

const address = { network: "unix", address: "/tmp/plugin123" } as const;

describe("handshakeLine", () => {
  it("six fields with an empty cert without AutoMTLS", () => {
    expect(handshakeLine({ version: 3, address, env: {} })).toBe("1|3|unix|/tmp/plugin123|grpc|\n");
  });
  it("field 6 carries the cert when given", () => {
    expect(handshakeLine({ version: 1, address, cert: "QUJD", env: {} })).toBe(
      "1|1|unix|/tmp/plugin123|grpc|QUJD\n",
    );
  });
  it("field 7 (false: we never multiplex) only when PLUGIN_MULTIPLEX_GRPC is set", () => {
    expect(handshakeLine({ version: 1, address, env: { PLUGIN_MULTIPLEX_GRPC: "true" } })).toBe(
      "1|1|unix|/tmp/plugin123|grpc||false\n",
    );
    expect(handshakeLine({ version: 1, address, env: { PLUGIN_MULTIPLEX_GRPC: "" } })).toBe(
      "1|1|unix|/tmp/plugin123|grpc|\n",
    );
  });
});
