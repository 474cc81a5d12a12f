import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ErrorCode, type Logger, PlugwireError, runner, silentLogger } from "@plugwire/contract";
import type { ProtocolSetting } from "../config/schema.js";
import type { Plugin } from "../host/plugin.js";
import { type ApiHelperHandler, type ApiHelperServer, createApiHelperServer } from "./api-helper-server.js";
import type { EvidenceBatch, EvidenceSink } from "./evidence-sink.js";

/** Options for {@link createRunnerClient}. */
export interface RunnerClientOptions {
  /** From {@link resolveProtocol}: 1, 2 or `auto` (Init is called and UNIMPLEMENTED means 1). */
  protocol: ProtocolSetting;
  sink: EvidenceSink;
  /** The plugin's configured labels, carried to the sink beside its evidence. */
  labels?: Record<string, string>;
  logger?: Logger;
  /** Clock for durations (tests). */
  now?: () => number;
}

/** What the plugin sent through ApiHelper during one call. */
export interface CallCounts {
  /** Evidence committed to the sink (0 when the call failed: its evidence is discarded). */
  evidence: number;
  subjectTemplates: number;
  riskTemplates: number;
}

/** Inputs of one run: Configure → (protocol 2: Init) → Eval. */
export interface RunInput {
  /** `ConfigureRequest.config`. */
  config: Record<string, string>;
  policies: string[];
  policyData?: JsonObject;
  signal?: AbortSignal;
}

/** The outcome of {@link RunnerClient.run}. */
export interface RunReport extends CallCounts {
  plugin: string;
  /** The protocol actually spoken (for `auto`, what Init's answer showed). */
  protocol: 1 | 2;
  /** Eval's answer. Errors are thrown, not reported here. */
  status: "SUCCESS" | "FAILURE";
  durationMs: number;
}

/** The runner contract's client side over one launched plugin (runner-wire.md). Calls never overlap. */
export interface RunnerClient {
  readonly plugin: Plugin;
  configure(
    config: Record<string, string>,
    options?: { policyData?: JsonObject; signal?: AbortSignal },
  ): Promise<void>;
  /** Calls Init per the configured protocol; resolves with the protocol the plugin showed it speaks. */
  init(policies: string[], options?: { signal?: AbortSignal }): Promise<{ protocol: 1 | 2 } & CallCounts>;
  eval(
    policies: string[],
    options?: { signal?: AbortSignal },
  ): Promise<{ status: runner.ExecutionStatus } & CallCounts>;
  run(input: RunInput): Promise<RunReport>;
}

/**
 * A runner client: `proto.Runner` on the plugin's connection, and `proto.ApiHelper` served back to it
 * through the broker on one shared listener ({@link createApiHelperServer}). Evidence a call sends is
 * held and written to `sink` only when the call succeeds (Eval answered SUCCESS): all or nothing per
 * call, so a killed plugin's Eval is reported failed with nothing recorded. Protocol capability is decided by the plugin's answer to Init,
 * never by the local client stub (which always has Init).
 */
export function createRunnerClient(plugin: Plugin, options: RunnerClientOptions): RunnerClient {
  const client = createClient(runner.Runner, plugin.transport);
  const api: ApiHelperServer = createApiHelperServer(plugin);
  const logger = (options.logger ?? silentLogger).child({ plugin: plugin.name });
  const now = options.now ?? (() => performance.now());
  let queue: Promise<unknown> = Promise.resolve();
  // One call at a time per plugin: the ApiHelper handler is per call.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  // Evidence is held per call and reaches the sink only once the call has succeeded (Init resolved,
  // Eval answered SUCCESS): a run is either fully recorded or reported failed, never half-recorded —
  // a plugin killed (or failing) mid-Eval leaves nothing in the sink, and its retry cannot duplicate.
  const handlerFor = (counts: CallCounts, held: EvidenceBatch[]): ApiHelperHandler => ({
    async createEvidence(req) {
      held.push({ plugin: plugin.name, evidence: req.Evidence, labels: options.labels ?? {} });
    },
    async upsertRiskTemplates(req) {
      counts.riskTemplates += req.RiskTemplates.length;
      logger.debug({ package: req.PackageName, count: req.RiskTemplates.length }, "risk templates upserted");
    },
    async upsertSubjectTemplates(req) {
      counts.subjectTemplates += req.SubjectTemplates.length;
      logger.debug({ count: req.SubjectTemplates.length }, "subject templates upserted");
    },
  });

  /**
   * Runs one Init/Eval call with an ApiHelper lease, then commits the evidence it held when
   * `succeeded(result)`; otherwise discards it (logged). A sink failure fails the call as `method`.
   */
  const withApi = async <T extends object>(
    method: string,
    fn: (id: number) => Promise<T>,
    succeeded: (result: T) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<T & CallCounts> => {
    const counts: CallCounts = { evidence: 0, subjectTemplates: 0, riskTemplates: 0 };
    const held: EvidenceBatch[] = [];
    let result: T;
    {
      using lease = await api.lease(handlerFor(counts, held));
      try {
        result = await fn(lease.id);
      } catch (err) {
        discard(method, held, err);
        throw err;
      }
    } // the lease ends here: a CreateEvidence arriving later answers FAILED_PRECONDITION
    if (!succeeded(result)) {
      discard(method, held, "the plugin answered FAILURE");
      return { ...result, ...counts };
    }
    for (const batch of held) {
      await options.sink.write(batch, { signal }).catch((err) => {
        throw rpcError(method, err);
      });
      counts.evidence += batch.evidence.length;
    }
    return { ...result, ...counts };
  };

  const discard = (method: string, held: EvidenceBatch[], why: unknown) => {
    const n = held.reduce((sum, b) => sum + b.evidence.length, 0);
    if (n === 0) return;
    const reason = why instanceof Error ? why.message : String(why);
    logger.warn({ method, evidence: n, reason }, "discarding the evidence of a failed call");
  };

  const rpcError = (method: string, err: unknown) => {
    const e = ConnectError.from(err);
    return new ConnectError(
      `plugin ${plugin.name}: ${method} failed: ${e.rawMessage}`,
      e.code,
      undefined,
      undefined,
      err,
    );
  };

  const configure: RunnerClient["configure"] = (config, { policyData, signal } = {}) =>
    serial(async () => {
      await client.configure({ config, ...(policyData ? { policyData } : {}) }, { signal }).catch((err) => {
        throw rpcError("Configure", err);
      });
    });

  const init: RunnerClient["init"] = (policies, { signal } = {}) =>
    serial(async () => {
      if (options.protocol === 1)
        return { protocol: 1 as const, evidence: 0, subjectTemplates: 0, riskTemplates: 0 };
      return withApi(
        "Init",
        async (apiServer) => {
          try {
            await client.init({ policyPaths: policies, apiServer }, { signal });
            return { protocol: 2 as const };
          } catch (err) {
            if (ConnectError.from(err).code !== Code.Unimplemented) throw rpcError("Init", err);
            if (options.protocol === "auto") {
              logger.debug("Init is UNIMPLEMENTED: speaking runner protocol 1");
              return { protocol: 1 as const };
            }
            throw new PlugwireError(
              ErrorCode.ConfigInvalid,
              `plugin ${plugin.name} configured as protocol_version=2 but does not implement Init`,
              { plugin: plugin.name, cause: err },
            );
          }
        },
        () => true,
        signal,
      );
    });

  const evaluate: RunnerClient["eval"] = (policies, { signal } = {}) =>
    serial(() =>
      withApi(
        "Eval",
        async (apiServer) => {
          const res = await client.eval({ policyPaths: policies, apiServer }, { signal }).catch((err) => {
            throw rpcError("Eval", err);
          });
          return { status: res.status };
        },
        (r) => r.status === runner.ExecutionStatus.SUCCESS,
        signal,
      ),
    );

  return {
    plugin,
    configure,
    init,
    eval: evaluate,
    async run({ config, policies, policyData, signal }) {
      const start = now();
      await configure(config, { policyData, signal });
      const initialized = await init(policies, { signal });
      const evaluated = await evaluate(policies, { signal });
      return {
        plugin: plugin.name,
        protocol: initialized.protocol,
        status: evaluated.status === runner.ExecutionStatus.SUCCESS ? "SUCCESS" : "FAILURE",
        evidence: initialized.evidence + evaluated.evidence,
        subjectTemplates: initialized.subjectTemplates + evaluated.subjectTemplates,
        riskTemplates: initialized.riskTemplates + evaluated.riskTemplates,
        durationMs: Math.round(now() - start),
      };
    },
  };
}
