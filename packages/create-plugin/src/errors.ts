/** Why scaffolding refused to run. */
export type CreatePluginErrorCode =
  | "INVALID_NAME"
  | "UNKNOWN_TEMPLATE"
  | "TARGET_NOT_EMPTY"
  | "LOCAL_PACKAGES_MISSING"
  | "USAGE";

/**
 * A typed scaffolding error naming the project and the cause. Not `PlugwireError`: this package
 * has no dependencies on purpose, so `npm create plugin` is one small fetch that needs nothing else.
 */
export class CreatePluginError extends Error {
  override name = "CreatePluginError";
  readonly code: CreatePluginErrorCode;
  /** The project (plugin) name, when known. */
  readonly plugin: string | undefined;

  constructor(
    code: CreatePluginErrorCode,
    message: string,
    options: { plugin?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.plugin = options.plugin;
  }
}
