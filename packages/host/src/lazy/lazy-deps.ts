// yaml and cron-parser are loaded on first use, synchronously (both are CommonJS): they cost a host
// ~40 ms and ~25 ms at import, and only config files, manifests and schedules need them — an
// application that embeds PluginHost never reads one.
import { createRequire } from "node:module";
import type * as Cron from "cron-parser";
import type * as Yaml from "yaml";

const require = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
let cron: typeof Cron | undefined;

/** The `yaml` package. */
export function yamlModule(): typeof Yaml {
  yaml ??= require("yaml") as typeof Yaml;
  return yaml;
}

/** cron-parser's `CronExpressionParser`. */
export function cronParser(): typeof Cron.CronExpressionParser {
  cron ??= require("cron-parser") as typeof Cron;
  return cron.CronExpressionParser;
}

/** yaml's node predicates, resolving the package on first call. */
export const isMap = (node: unknown): node is Yaml.YAMLMap => yamlModule().isMap(node);
export const isSeq = (node: unknown): node is Yaml.YAMLSeq => yamlModule().isSeq(node);
export const isScalar = (node: unknown): node is Yaml.Scalar => yamlModule().isScalar(node);
