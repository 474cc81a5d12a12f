import { basename } from "node:path";
import { CreatePluginError } from "../errors.js";

/** npm's rules for a new package name: lowercase, URL-safe, optionally scoped, ≤ 214 characters. */
const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Throws `INVALID_NAME` unless `name` is a valid npm package name. */
export function assertProjectName(name: string): string {
  if (name.length === 0 || name.length > 214 || !NPM_NAME.test(name)) {
    throw new CreatePluginError(
      "INVALID_NAME",
      `invalid project name ${JSON.stringify(name)}: use lowercase letters, digits, "-", "." or "_" (npm package rules), e.g. my-plugin`,
      { plugin: name },
    );
  }
  return name;
}

/** A default project name from the target directory: its base name, lowercased, spaces to dashes. */
export function nameFromDirectory(dir: string): string {
  return basename(dir)
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-._~]+/g, "-")
    .replace(/^[-._]+/, "");
}

/** The name without its npm scope: what the plugin calls itself in configs and logs. */
export function pluginId(name: string): string {
  return name.replace(/^@[^/]+\//, "");
}
