/** Names of the Go conformance programs (conformance/cmd and conformance/legacy/cmd). */
export type ProgramName =
  | "kv-plugin"
  | "counter-plugin"
  | "noisy-plugin"
  | "versioned-plugin"
  | "junk-plugin"
  | "runner-plugin"
  | "kv-host"
  | "counter-host"
  | "agent-host"
  | "kv-plugin-v1_0"
  | "kv-host-v1_0";

/** True when `go` is on PATH and runs. */
export function goAvailable(): boolean;

/**
 * Whether interop tests can run: `{ available: false, reason }` when Go is missing.
 * Throws when Go is missing and `process.env.CI === "true"` (interop tests never skip in CI).
 */
export function requireGoOrSkip(): { available: boolean; reason: string };

/**
 * Builds every conformance program (once per process; skipped when sources are unchanged) and
 * returns program name → absolute binary path. Rejects with the build output on failure.
 */
export function buildConformance(): Promise<Record<ProgramName | (string & {}), string>>;

/** Absolute path of a program's binary in conformance/bin (it may not be built yet). */
export function binPath(name: ProgramName | (string & {})): string;

/** Names of all programs found under cmd/ and legacy/cmd/. */
export function programNames(): string[];

/** One JSON line printed by kv-host / kv-host-v1_0. */
export interface KvHostResult {
  ok: boolean;
  error?: string;
  value?: string;
  killMs?: number;
  forcedKill?: boolean;
  /** What go-plugin's SyncStdout received (plugin stdout after the handshake, via GRPCStdio). */
  stdout?: string;
  /** What go-plugin's SyncStderr received. */
  stderr?: string;
  /** kv-host --legacy-check only. */
  legacyCheck?: { ok: boolean; handshake: string; problems: string[] };
}

/** One JSON line printed by counter-host. */
export interface CounterHostResult {
  ok: boolean;
  error?: string;
  value?: number;
  sumCalls?: number;
  killMs?: number;
  forcedKill?: boolean;
}

/** One JSON line printed by agent-host. */
export interface AgentHostResult {
  ok: boolean;
  error?: string;
  initUnimplemented?: boolean;
  status?: "SUCCESS" | "FAILURE";
  /** protojson (JSON names = the PascalCase proto field names) of each received proto.Evidence. */
  evidence?: Record<string, unknown>[];
  subjectTemplates?: number;
  riskTemplates?: number;
  riskPackage?: string;
  killMs?: number;
  forcedKill?: boolean;
}
