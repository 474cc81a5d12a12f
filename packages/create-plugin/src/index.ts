// create-plugin — `npm create plugin`: scaffold a plugwire plugin project. The programmatic surface.
export { type CliArgs, parseCliArgs, USAGE } from "./cli/args.js";
export { type CliIo, main } from "./cli/main.js";
export { formatDone, nextSteps } from "./cli/next-steps.js";
export { createReadlinePrompter, type Prompter } from "./cli/prompts.js";
export { CreatePluginError, type CreatePluginErrorCode } from "./errors.js";
export {
  detectPackageManager,
  installCommand,
  type PackageManager,
  runCommand,
  shellQuote,
} from "./package-manager.js";
export { findLocalTarballs, PLUGWIRE_PACKAGES, useLocalTarballs } from "./scaffold/local-packages.js";
export { assertProjectName, nameFromDirectory, pluginId } from "./scaffold/project-name.js";
export {
  occupiedEntries,
  PLUGWIRE_VERSION,
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffold,
  TEMPLATES_DIR,
} from "./scaffold/scaffold.js";
export {
  DEFAULT_TEMPLATE,
  isTemplateName,
  TEMPLATE_NAMES,
  TEMPLATES,
  type TemplateInfo,
  type TemplateName,
  templateInfo,
} from "./scaffold/templates.js";
