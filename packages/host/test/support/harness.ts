import { expect } from "vitest";
import { PluginHost, type PluginHostOptions, type VersionedServices } from "../../src/index.js";
import { captureLogger } from "./capture-logger.js";
import { tempRoot } from "./go-fixtures.js";
import { closeAfterEach } from "./leaks.js";

export const BASIC = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" } as const;

const track = closeAfterEach(3000);

/**
 * A PluginHost with a private socket root and a capturing logger. After each test it is closed, and
 * the test fails if any process, socket or temp dir was left behind.
 */
export function testHost<V extends VersionedServices>(
  options: Omit<PluginHostOptions<V>, "handshake"> & { handshake?: PluginHostOptions<V>["handshake"] },
) {
  const root = tempRoot();
  const scratch = tempRoot();
  const logger = captureLogger();
  const host = new PluginHost<V>({ handshake: BASIC, logger, socketRoot: root.path, ...options });
  track({
    close: () => host.close(),
    check() {
      const entries = root.entries();
      root.remove();
      scratch.remove();
      expect(entries, "socket root must be empty after close").toEqual([]);
    },
  });
  // `root` is scratch space for test files; `socketRoot` must be empty again after close.
  // TMPDIR for plugins that ignore PLUGIN_UNIX_SOCKET_DIR (go-plugin < 1.5): still inside our root.
  return { host, logger, root: scratch.path, socketRoot: root.path, env: { TMPDIR: root.path } };
}
