import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { ErrorCode, KnownHandshakes, type Logger, PlugwireError, results, runner } from "@plugwire/contract";
import { definePlugin, type PluginDefinition } from "../define-plugin.js";
import { getPluginContext } from "../plugin-context.js";

/**
 * The Compliance Framework agent's go-plugin handshake (runner-wire.md): cookie `RUNNER_PLUGIN` =
 * `AC755DCE-C118-481A-8EFA-18D8675D8122`, app protocol version 1, plugin set `runner`, gRPC only.
 * Runner protocols 1 and 2 both use it: v2 is not a go-plugin version, it is "Init is implemented".
 */
export const RUNNER_PRESET = Object.freeze({
  handshake: KnownHandshakes.runner,
  appVersion: 1,
  pluginSetName: "runner",
} as const);

/** The `ApiHelper` client a runner handler gets: already dialed through the broker, closed after the call. */
export type ApiHelperClient = Client<typeof results.ApiHelper>;

/** What `configure` gets besides the request. */
export interface RunnerConfigureContext {
  readonly logger: Logger;
  /** Aborted when the host cancels the call or the plugin stops. */
  readonly signal: AbortSignal;
  /** The raw Connect handler context (headers, deadline). */
  readonly handler: HandlerContext;
}

/** What `init` and `eval` get besides the request. */
export interface RunnerCallContext extends RunnerConfigureContext {
  /** The host's `proto.ApiHelper`, dialed from the request's `apiServer` broker id. */
  readonly api: ApiHelperClient;
}

/** What {@link defineRunner} takes. */
export interface RunnerDefinitionInput {
  /** Name for logs and errors (default `runner`). */
  name?: string;
  /** `Runner.Configure`: the agent's config map and policy data. Return a value for `ConfigureResponse.value`. */
  configure(
    req: runner.ConfigureRequest,
    ctx: RunnerConfigureContext,
  ): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /**
   * `Runner.Init` (runner protocol 2): upsert subject and risk templates through `ctx.api`. Leave it
   * out for a protocol 1 plugin: `Init` then answers UNIMPLEMENTED, which is how agents tell v1 apart.
   */
  init?(req: runner.InitRequest, ctx: RunnerCallContext): Promise<void> | void;
  /** `Runner.Eval`: send evidence through `ctx.api.createEvidence`; return FAILURE to report a failed run. */
  eval(
    req: runner.EvalRequest,
    ctx: RunnerCallContext,
  ): Promise<runner.ExecutionStatus | undefined> | runner.ExecutionStatus | undefined;
  logger?: Logger;
}

/** The descriptors a runner plugin serves: version 1, set `runner`, service `proto.Runner`. */
export type RunnerDescriptors = { 1: { runner: typeof runner.Runner } };

/**
 * Declares a Compliance Framework runner plugin (runner-wire.md) on {@link RUNNER_PRESET}:
 *
 * ```ts
 * export const plugin = defineRunner({
 *   configure(req) { config = req.config; },
 *   async eval(req, { api }) { await api.createEvidence({ Evidence: [...] }); },
 * });
 * ```
 *
 * With `init` it is a protocol 2 plugin; without, protocol 1 (`Init` → UNIMPLEMENTED).
 */
export function defineRunner(input: RunnerDefinitionInput): PluginDefinition<RunnerDescriptors> {
  const name = input.name ?? RUNNER_PRESET.pluginSetName;
  for (const key of ["configure", "eval"] as const) {
    if (typeof input[key] !== "function") {
      throw new PlugwireError(ErrorCode.ConfigInvalid, `defineRunner needs a ${key} handler`, {
        plugin: name,
      });
    }
  }
  const { init } = input;
  return definePlugin({
    name,
    handshake: RUNNER_PRESET.handshake,
    ...(input.logger ? { logger: input.logger } : {}),
    // Literal keys keep the inference: RUNNER_PRESET.appVersion (1) and .pluginSetName ("runner").
    versions: {
      1: {
        runner: {
          service: runner.Runner,
          impl: {
            async configure(req, ctx) {
              const value = await input.configure(req, callContext(ctx));
              return create(runner.ConfigureResponseSchema, value ? { value } : {});
            },
            async init(req, ctx) {
              if (!init) {
                // grpc-go's wording for an unimplemented method, plus why: this is how agents detect v1.
                throw new ConnectError(
                  `method Init not implemented: ${name} is a runner protocol 1 plugin (no init handler)`,
                  Code.Unimplemented,
                );
              }
              await withApi(req.apiServer, ctx, (api) => init(req, { ...callContext(ctx), api }));
              return create(runner.InitResponseSchema);
            },
            async eval(req, ctx) {
              const status = await withApi(req.apiServer, ctx, (api) =>
                input.eval(req, { ...callContext(ctx), api }),
              );
              const shape: MessageInitShape<typeof runner.EvalResponseSchema> = {
                status: status ?? runner.ExecutionStatus.SUCCESS,
              };
              return create(runner.EvalResponseSchema, shape);
            },
          },
        },
      },
    },
  });
}

function callContext(ctx: HandlerContext): RunnerConfigureContext {
  return { logger: getPluginContext(ctx).logger, signal: ctx.signal, handler: ctx };
}

/** Dials the host's ApiHelper by broker id (go-plugin-wire.md §5) for one call, closing it afterwards. */
async function withApi<T>(id: number, ctx: HandlerContext, fn: (api: ApiHelperClient) => Promise<T> | T) {
  const connection = await getPluginContext(ctx).broker.dial(id, { signal: ctx.signal });
  try {
    return await fn(createClient(results.ApiHelper, connection.transport));
  } finally {
    connection.close();
  }
}
