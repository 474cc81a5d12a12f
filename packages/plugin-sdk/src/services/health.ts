import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { health } from "@plugwire/contract/wire";

const { HealthCheckResponse_ServingStatus: Status } = health;

/** Service names a go-plugin plugin reports SERVING: go-plugin's `plugin` and grpc-go's overall `""`. */
export const HEALTHY_SERVICES: readonly string[] = ["plugin", ""];

/**
 * `grpc.health.v1.Health` as go-plugin serves it (go-plugin-wire.md §3): SERVING for `plugin` and
 * `""` (a host's Ping is `Check{service:"plugin"}`), NOT_FOUND for anything else, like grpc-go's
 * health server. `Watch` sends the current status and stays open until the call or `signal` ends.
 */
export function healthService(signal: AbortSignal): ServiceImpl<typeof health.Health> {
  const statusOf = (service: string) => (HEALTHY_SERVICES.includes(service) ? Status.SERVING : undefined);
  return {
    async check(req) {
      const status = statusOf(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return create(health.HealthCheckResponseSchema, { status });
    },
    async list() {
      const statuses: Record<string, health.HealthCheckResponse> = {};
      for (const name of HEALTHY_SERVICES) {
        statuses[name] = create(health.HealthCheckResponseSchema, { status: Status.SERVING });
      }
      return create(health.HealthListResponseSchema, { statuses });
    },
    async *watch(req, ctx) {
      yield create(health.HealthCheckResponseSchema, {
        status: statusOf(req.service) ?? Status.SERVICE_UNKNOWN,
      });
      await untilAborted(ctx.signal, signal);
    },
  };
}

/** Resolves when any of `signals` aborts. */
export function untilAborted(...signals: AbortSignal[]): Promise<void> {
  const any = AbortSignal.any(signals);
  if (any.aborted) return Promise.resolve();
  return new Promise((resolve) => any.addEventListener("abort", () => resolve(), { once: true }));
}
