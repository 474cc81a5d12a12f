import type { HandshakeConfig } from "@plugwire/contract/wire";

/**
 * go-plugin's first start-up step (go-plugin-wire.md §2.1): the plugin runs only when the host set
 * the magic cookie env var to the exact value. Otherwise serve() prints `COOKIE_MISMATCH_MESSAGE` on
 * stderr and exits 1.
 */
export function cookieMatches(handshake: HandshakeConfig, env: NodeJS.ProcessEnv): boolean {
  return env[handshake.magicCookieKey] === handshake.magicCookieValue;
}
