import { relative } from "node:path";
import { installCommand, type PackageManager, runCommand, shellQuote } from "../package-manager.js";
import type { TemplateInfo } from "../scaffold/templates.js";

/**
 * The commands to run after scaffolding, in order, for the package manager that ran us: `cd` (unless
 * the project is the current directory), install, then the template's scripts (build, test, start).
 */
export function nextSteps(options: {
  cwd: string;
  dir: string;
  pm: PackageManager;
  template: TemplateInfo;
}): string[] {
  const rel = relative(options.cwd, options.dir);
  const cd = rel === "" ? [] : [`cd ${shellQuote(rel)}`];
  return [...cd, installCommand(options.pm), ...options.template.steps.map((s) => runCommand(options.pm, s))];
}

/** The closing message: what was made, then "Next steps:" with one command per indented line. */
export function formatDone(options: {
  name: string;
  template: string;
  dir: string;
  steps: readonly string[];
}) {
  return `\nCreated ${options.name} (template ${options.template}) in ${options.dir}\n\nNext steps:\n${options.steps
    .map((s) => `  ${s}`)
    .join("\n")}\n`;
}
