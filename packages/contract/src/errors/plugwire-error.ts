/**
 * The closed set of error codes plugwire raises. Codes are stable API: match on `err.code`, never on
 * the message. Errors that cross the wire keep their gRPC code as a Connect `ConnectError` instead.
 */
export const ErrorCode = {
  /** The plugin did not print its handshake line within the start timeout (go-plugin default: 1 min). */
  HandshakeTimeout: "HANDSHAKE_TIMEOUT",
  /** The first stdout line is not `CORE|APP|NETWORK|ADDR|PROTOCOL[|CERT[|MUX]]`. */
  HandshakeInvalid: "HANDSHAKE_INVALID",
  /** Core protocol version (field 1) is not `1`. */
  CoreVersionMismatch: "CORE_VERSION_MISMATCH",
  /** App protocol version (field 2) is not one the host offered, or no common version exists. */
  VersionMismatch: "VERSION_MISMATCH",
  /** The plugin asked for go-plugin's Go-only `netrpc` protocol. */
  ProtocolUnsupported: "PROTOCOL_UNSUPPORTED",
  /** The plugin's AutoMTLS certificate (field 6) is missing, malformed or fails verification. */
  CertificateInvalid: "CERTIFICATE_INVALID",
  /** The plugin process exited (before the handshake, or unexpectedly afterwards). */
  PluginExited: "PLUGIN_EXITED",
  /** The plugin executable does not exist. */
  NotFound: "NOT_FOUND",
  /** The plugin path exists but cannot be executed (permissions, directory). */
  NotExecutable: "NOT_EXECUTABLE",
  /** The executable was built for another OS or CPU architecture. */
  WrongArchitecture: "WRONG_ARCHITECTURE",
  /** SecureConfig: the executable's checksum does not match. */
  ChecksumMismatch: "CHECKSUM_MISMATCH",
  /** The host could not connect to the address the plugin announced. */
  ConnectFailed: "CONNECT_FAILED",
  /** A broker id was not announced by the peer in time (go-plugin: 5 s). */
  BrokerTimeout: "BROKER_TIMEOUT",
  /** The plugin (or host) was closed while the operation was pending. */
  Closed: "CLOSED",
  /** The caller's AbortSignal fired. */
  Aborted: "ABORTED",
  /** The plugin was started without the host's magic cookie. */
  CookieMismatch: "COOKIE_MISMATCH",
  /** Invalid options or configuration given to plugwire. */
  ConfigInvalid: "CONFIG_INVALID",
  /** A path segment (plugin id, version, binary name) is unsafe. */
  UnsafePath: "UNSAFE_PATH",
  /** A signature did not verify, or one was required and missing. */
  SignatureInvalid: "SIGNATURE_INVALID",
  /** A plugin artifact (manifest, tarball, layer) is malformed or breaks a limit. */
  ArtifactInvalid: "ARTIFACT_INVALID",
  /** A download or upload failed: network error or HTTP status (`details.status`, `details.transient`). */
  FetchFailed: "FETCH_FAILED",
  /** A network request did not answer within its timeout. */
  Timeout: "TIMEOUT",
  /** A supervised plugin is restarting or its circuit is open, and the bounded wait for it ran out. */
  PluginUnavailable: "PLUGIN_UNAVAILABLE",
  /**
   * The host ran out of a system resource starting the plugin: file descriptors (EMFILE, ENFILE) or
   * processes (EAGAIN). Nothing of the plugin is left running; raise the limit or run fewer plugins.
   */
  ResourcesExhausted: "RESOURCES_EXHAUSTED",
  /** A plugin needs input (fields, reason) that no handler supplied, or asked more often than allowed. */
  InputRequired: "INPUT_REQUIRED",
  /** A message to or from a plugin is over its size cap (ephemeral JSON envelope: 1 MiB). */
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  /** The requested sandbox level cannot be used here (missing tool, wrong OS, not a Node plugin). */
  SandboxUnavailable: "SANDBOX_UNAVAILABLE",
  /** A plugin changed a forbidden path; the change was reverted (`details.paths`). */
  PolicyViolation: "POLICY_VIOLATION",
  /** A lifecycle plugin's init threw or rejected (the original error is the `cause`). */
  InitFailed: "INIT_FAILED",
  /** A lifecycle plugin's shutdown did not finish within its per-plugin timeout. */
  ShutdownTimeout: "SHUTDOWN_TIMEOUT",
  /** Anything else: an internal invariant broke. The message says which. */
  Internal: "INTERNAL",
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options for {@link PlugwireError}. */
export interface PlugwireErrorOptions {
  /** Name of the plugin the error is about; included in the message. */
  plugin?: string | undefined;
  /** The underlying error, preserved as `cause`. */
  cause?: unknown;
  /** Extra machine-readable facts (received line, exit code, stderr tail, …). */
  details?: Record<string, unknown>;
}

/**
 * The one error class plugwire throws. `code` is stable; `plugin` names the plugin when there is one,
 * and the message always starts with `plugin <name>: ` in that case so logs read on their own.
 */
export class PlugwireError extends Error {
  override name = "PlugwireError";
  readonly code: ErrorCode;
  readonly plugin: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PlugwireErrorOptions = {}) {
    // A message that already opens with "plugin <name> …" is not prefixed again.
    const named = options.plugin !== undefined && message.startsWith(`plugin ${options.plugin} `);
    super(options.plugin && !named ? `plugin ${options.plugin}: ${message}` : message, {
      cause: options.cause,
    });
    this.code = code;
    this.plugin = options.plugin;
    this.details = options.details ?? {};
  }

  /** The message without the `plugin <name>: ` prefix. */
  get rawMessage(): string {
    const prefix = this.plugin ? `plugin ${this.plugin}: ` : "";
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }

  /** True if `err` is a PlugwireError, optionally with the given code. */
  static is(err: unknown, code?: ErrorCode): err is PlugwireError {
    return err instanceof PlugwireError && (code === undefined || err.code === code);
  }
}
