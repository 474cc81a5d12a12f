import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, type Logger } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { assertSafeSegment } from "../safe-segment.js";

/**
 * A fully verified launch spec of one plugin: what ran, with the config it ran with. Binary and config
 * travel together so a fallback never pairs an old binary with a new config (issue 6).
 */
export interface LaunchSpec {
  command: string;
  args: string[];
  /** The plugin's configuration as delivered with this binary (opaque to staging). */
  config?: unknown;
  /** Runner protocol version resolved for this delivery, if known. */
  protocolVersion?: 1 | 2;
  source?: string;
  version?: string;
  digest?: string;
}

/** A stored {@link LaunchSpec} and when it was saved. */
export interface LastKnownGoodRecord {
  spec: LaunchSpec;
  savedAt: string;
}

/** The last-known-good store of a staging root: `<root>/<id>/last-known-good.json`. */
export interface LastKnownGoodStore {
  save(id: string, spec: LaunchSpec): Promise<void>;
  /** The stored record, or undefined when there is none (an unreadable file is logged and ignored). */
  load(id: string): Promise<LastKnownGoodRecord | undefined>;
}

/**
 * Creates the last-known-good store. Records are written to a temp file and renamed, so a crash never
 * leaves a half-written record, and they survive host restarts because they live under the root.
 */
export function createLastKnownGood(
  root: string,
  options: { logger?: Logger; now?: () => Date } = {},
): LastKnownGoodStore {
  const file = (id: string) => join(root, assertSafeSegment("plugin id", id, id), "last-known-good.json");
  return {
    async save(id, spec) {
      const path = file(id);
      await mkdir(join(root, id), { recursive: true });
      const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
      const record: LastKnownGoodRecord = { spec, savedAt: (options.now?.() ?? new Date()).toISOString() };
      await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, path);
    },
    async load(id) {
      let text: string;
      try {
        text = await readFile(file(id), "utf8");
      } catch {
        return undefined;
      }
      try {
        const record = JSON.parse(text) as LastKnownGoodRecord;
        if (typeof record.spec?.command !== "string" || !Array.isArray(record.spec.args))
          throw new Error("missing command/args");
        return record;
      } catch (cause) {
        const err = deliveryError(
          ErrorCode.ConfigInvalid,
          "last-known-good record is unreadable; ignoring it",
          { plugin: id, cause },
        );
        options.logger?.warn({ plugin: id, err: err.message }, err.message);
        return undefined;
      }
    },
  };
}
