import type { JsonObject } from "@bufbuild/protobuf";
import { ErrorCode, PlugwireError } from "../errors/plugwire-error.js";
import type { EventBus } from "../event-bus/event-bus.js";
import type { Logger } from "../logging/logger.js";

/** Who is hosting the plugin (daemon.proto `GetConfigResponse.host_name/host_version`). */
export interface HostInfo {
  readonly name: string;
  readonly version: string;
}

/**
 * Named services shared through the daemon. In-process plugins share the host's registry (a plugin
 * can look up what the host or another plugin registered); a subprocess plugin has a registry of its
 * own process, since JavaScript objects do not cross the process boundary.
 */
export interface ServiceRegistry {
  /** Registers `service` under `name`; throws `CONFIG_INVALID` if the name is empty or taken. Returns an unregister function. */
  register<T>(name: string, service: T): () => void;
  /** The service registered under `name`, or undefined. */
  lookup<T>(name: string): T | undefined;
  /** Registered names, sorted. */
  names(): string[];
}

/**
 * What a host offers every plugin it runs, in-process or (through daemon.proto's `DaemonService`
 * over the go-plugin broker) in a subprocess: the same object shape either way.
 */
export interface Daemon {
  /** The name the host knows this plugin by; the `source` of its events. */
  readonly plugin: string;
  /** Publish/subscribe with the host and the other plugins. */
  readonly events: EventBus;
  /** The host's logger, bound to this plugin (`{ plugin: name }`). */
  readonly logger: Logger;
  /** This plugin's own configuration. */
  readonly config: Readonly<JsonObject>;
  readonly info: HostInfo;
  readonly services: ServiceRegistry;
}

/** A {@link ServiceRegistry} whose registrations can be dropped together (when a plugin unloads). */
export interface ScopedServiceRegistry extends ServiceRegistry {
  /** Unregisters everything registered through this scope. */
  release(): void;
}

/** The host's registry: hand each plugin a {@link ScopedServiceRegistry} from `scope()`. */
export interface HostServiceRegistry extends ServiceRegistry {
  scope(owner: string): ScopedServiceRegistry;
}

/** Creates an empty service registry. */
export function createServiceRegistry(): HostServiceRegistry {
  const services = new Map<string, unknown>();
  const register = (owner: string | undefined, name: string, service: unknown) => {
    if (typeof name !== "string" || name === "") {
      throw new PlugwireError(ErrorCode.ConfigInvalid, "a service name must be a non-empty string", {
        plugin: owner,
      });
    }
    if (services.has(name)) {
      throw new PlugwireError(
        ErrorCode.ConfigInvalid,
        `service ${JSON.stringify(name)} is already registered`,
        {
          plugin: owner,
        },
      );
    }
    services.set(name, service);
    return () => {
      if (services.get(name) === service) services.delete(name);
    };
  };
  const lookup = <T>(name: string) => services.get(name) as T | undefined;
  const names = () => [...services.keys()].sort();
  return {
    register: (name, service) => register(undefined, name, service),
    lookup,
    names,
    scope(owner) {
      const undo = new Set<() => void>();
      return {
        register(name, service) {
          const unregister = register(owner, name, service);
          const once = () => {
            undo.delete(once);
            unregister();
          };
          undo.add(once);
          return once;
        },
        lookup,
        names,
        release() {
          for (const u of [...undo]) u();
        },
      };
    },
  };
}
