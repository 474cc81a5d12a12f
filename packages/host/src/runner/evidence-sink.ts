import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { toJson, toJsonString } from "@bufbuild/protobuf";
import { ErrorCode, PlugwireError, types } from "@plugwire/contract";

/** One `ApiHelper.CreateEvidence` call from a plugin (runner-wire.md, results.proto). */
export interface EvidenceBatch {
  /** The plugin's name in the agent config. */
  plugin: string;
  /** Exactly what the plugin sent: the host never rewrites evidence. */
  evidence: types.Evidence[];
  /** The plugin's configured `labels`, carried beside the evidence (not merged into it). */
  labels: Readonly<Record<string, string>>;
}

/**
 * Where evidence goes. The runner client writes a call's batches once the call succeeded (Eval
 * answered SUCCESS), in arrival order; a failing `write` fails that Eval (the run reports the error)
 * instead of losing evidence silently.
 */
export interface EvidenceSink {
  write(batch: EvidenceBatch, options?: { signal?: AbortSignal }): Promise<void>;
  /** Flushes and releases what the sink holds. Idempotent. */
  close(): Promise<void>;
}

/** An in-memory sink, for tests and embedding: every batch is kept in order. */
export interface MemorySink extends EvidenceSink {
  readonly batches: EvidenceBatch[];
  /** Every evidence of every batch, in arrival order. */
  evidence(): types.Evidence[];
}

/** Creates a {@link MemorySink}. */
export function createMemorySink(): MemorySink {
  const batches: EvidenceBatch[] = [];
  return {
    batches,
    evidence: () => batches.flatMap((b) => b.evidence),
    async write(batch) {
      batches.push(batch);
    },
    async close() {},
  };
}

/** Options for {@link createJsonLinesSink}: a file path (appended to) or an open stream (left open). */
export type JsonLinesTarget = { path: string } | { stream: NodeJS.WritableStream };

/**
 * Writes each evidence as one protobuf-JSON object per line (the canonical JSON mapping, so Go's
 * protojson and protobuf-es read it back unchanged).
 */
export function createJsonLinesSink(target: JsonLinesTarget): EvidenceSink {
  const owned = "path" in target ? createWriteStream(target.path, { flags: "a" }) : undefined;
  const stream = owned ?? (target as { stream: NodeJS.WritableStream }).stream;
  let closing: Promise<void> | undefined;
  return {
    async write(batch) {
      const text = batch.evidence.map((e) => `${toJsonString(types.EvidenceSchema, e)}\n`).join("");
      if (text && !stream.write(text)) await once(stream, "drain");
    },
    close() {
      closing ??= owned
        ? new Promise<void>((resolve, reject) =>
            owned.end((err?: Error | null) => (err ? reject(err) : resolve())),
          )
        : Promise.resolve();
      return closing;
    },
  };
}

/** Options for {@link createHttpSink}. */
export interface HttpSinkOptions {
  /** Endpoint receiving `POST` with `{ plugin, labels, evidence: [protobuf-JSON…] }`. */
  url: string;
  headers?: Record<string, string>;
  /** Per-request bound (default 30 s). */
  timeoutMs?: number;
  /** Injectable for tests; default the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** POSTs each batch as JSON to an API; any non-2xx answer is an error naming the plugin and status. */
export function createHttpSink(options: HttpSinkOptions): EvidenceSink {
  const doFetch = options.fetch ?? globalThis.fetch;
  return {
    async write(batch, { signal } = {}) {
      const body = JSON.stringify({
        plugin: batch.plugin,
        labels: batch.labels,
        evidence: batch.evidence.map((e) => toJson(types.EvidenceSchema, e)),
      });
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await doFetch(options.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...options.headers },
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (cause) {
        throw new PlugwireError(
          ErrorCode.ConnectFailed,
          `evidence POST to ${options.url} failed: ${(cause as Error).message}`,
          {
            plugin: batch.plugin,
            cause,
          },
        );
      }
      if (!res.ok) {
        const text = (await res.text().catch(() => "")).slice(0, 500);
        throw new PlugwireError(
          ErrorCode.ConnectFailed,
          `evidence POST to ${options.url} answered ${res.status}: ${text}`,
          {
            plugin: batch.plugin,
            details: { status: res.status },
          },
        );
      }
    },
    async close() {},
  };
}
