import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { ErrorCode, PlugwireError, results } from "@plugwire/contract";
import type { Plugin } from "../host/plugin.js";

/** What the host does with one call's ApiHelper requests (runner-wire.md, results.proto). */
export interface ApiHelperHandler {
  createEvidence(req: results.CreateEvidenceRequest, ctx: HandlerContext): Promise<void>;
  upsertRiskTemplates(req: results.UpsertRiskTemplatesRequest, ctx: HandlerContext): Promise<void>;
  upsertSubjectTemplates(req: results.UpsertSubjectTemplatesRequest, ctx: HandlerContext): Promise<void>;
}

/** One call's use of the server: put `id` in the request's `apiServer`; dispose when the call ends. */
export interface ApiHelperLease extends Disposable {
  readonly id: number;
}

/**
 * `proto.ApiHelper` served to one plugin connection through the broker: ONE listener for the
 * connection's lifetime, the handler swapped per Init/Eval call. go-plugin hosts (and the agent) open
 * a new broker server per call, which costs a socket and a connection each time; here each lease
 * re-announces the same id, because a peer's dial consumes one announcement (go-plugin-wire.md §5).
 * Requests arriving with no lease held answer FAILED_PRECONDITION.
 */
export interface ApiHelperServer {
  lease(handler: ApiHelperHandler): Promise<ApiHelperLease>;
}

/** The broker key {@link createApiHelperServer} shares its listener under. */
export const API_HELPER_KEY = "proto.ApiHelper";

/** Creates the {@link ApiHelperServer} of `plugin` (call once per plugin connection). */
export function createApiHelperServer(plugin: Plugin): ApiHelperServer {
  let current: ApiHelperHandler | undefined;
  const handler = (method: string) => {
    if (!current) {
      throw new ConnectError(
        `ApiHelper.${method} called outside an Init or Eval call of plugin ${plugin.name}`,
        Code.FailedPrecondition,
      );
    }
    return current;
  };
  const routes = (router: ConnectRouter) =>
    router.service(results.ApiHelper, {
      async createEvidence(req, ctx) {
        await handler("CreateEvidence").createEvidence(req, ctx);
        return {};
      },
      async upsertRiskTemplates(req, ctx) {
        await handler("UpsertRiskTemplates").upsertRiskTemplates(req, ctx);
        return {};
      },
      async upsertSubjectTemplates(req, ctx) {
        await handler("UpsertSubjectTemplates").upsertSubjectTemplates(req, ctx);
        return {};
      },
    });
  return {
    async lease(next) {
      if (current) {
        throw new PlugwireError(
          ErrorCode.Internal,
          "an ApiHelper lease is already held: runner calls overlap",
          {
            plugin: plugin.name,
          },
        );
      }
      current = next;
      try {
        const id = await plugin.serveShared(API_HELPER_KEY, routes);
        return {
          id,
          [Symbol.dispose]() {
            if (current === next) current = undefined;
          },
        };
      } catch (err) {
        current = undefined;
        throw err;
      }
    },
  };
}
