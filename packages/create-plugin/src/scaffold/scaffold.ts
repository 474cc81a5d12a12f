import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CreatePluginError } from "../errors.js";
import { findLocalTarballs, useLocalTarballs } from "./local-packages.js";
import { assertProjectName, pluginId } from "./project-name.js";
import { type TemplateName, templateInfo } from "./templates.js";

/** Where the templates ship: `templates/` next to `dist/` in this package. */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/**
 * The @plugwire version generated projects depend on: this package's own. create-plugin is released
 * in lockstep with the @plugwire packages, so its templates always match the SDK they import.
 */
export const PLUGWIRE_VERSION: string = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;

/** Files whose name npm would mangle on publish (it drops `.gitignore`), stored under another name. */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore" };

/** Options for {@link scaffold}. */
export interface ScaffoldOptions {
  template: TemplateName;
  /** Target directory (created if missing). */
  dir: string;
  /** npm package name of the new project. */
  name: string;
  /** Empty a non-empty target first (keeping `.git`). Default false: refuse. */
  overwrite?: boolean;
  /** A directory of `pnpm pack`ed @plugwire tarballs to depend on instead of the registry. */
  local?: string;
  /** Default {@link TEMPLATES_DIR}. */
  templatesDir?: string;
  signal?: AbortSignal;
}

/** What {@link scaffold} wrote. */
export interface ScaffoldResult {
  dir: string;
  name: string;
  template: TemplateName;
  /** Written files, relative to `dir`, sorted. */
  files: string[];
}

/** Entries of `dir` that make it "not empty" (a fresh `git init` does not count), or [] if it does not exist. */
export async function occupiedEntries(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  return entries.filter((e) => e !== ".git");
}

/**
 * Copies `templates/<template>` into `dir`: `_gitignore` becomes `.gitignore`, and `{{name}}`,
 * `{{pluginId}}` and `{{plugwireVersion}}` are filled in. Refuses a non-empty `dir` (TARGET_NOT_EMPTY)
 * unless `overwrite`.
 */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const name = assertProjectName(options.name);
  const dir = resolve(options.dir);
  const occupied = await occupiedEntries(dir);
  if (occupied.length > 0) {
    if (!options.overwrite) {
      throw new CreatePluginError(
        "TARGET_NOT_EMPTY",
        `${dir} is not empty (${occupied.slice(0, 3).join(", ")}${occupied.length > 3 ? ", …" : ""}); choose another directory or pass --overwrite to empty it`,
        { plugin: name },
      );
    }
    for (const entry of occupied) await rm(join(dir, entry), { recursive: true, force: true });
  }
  const tarballs = options.local ? await findLocalTarballs(options.local, name) : undefined;
  const root = options.templatesDir ?? TEMPLATES_DIR;
  const tokens: Record<string, string> = {
    name,
    pluginId: pluginId(name),
    plugwireVersion: PLUGWIRE_VERSION,
  };
  const files: string[] = [];
  for (const [source, file] of await templateFiles(root, templateInfo(options.template).layers)) {
    options.signal?.throwIfAborted();
    const parts = relative(source, file).split(/[\\/]/);
    const target = join(dir, ...parts.map((p) => RENAMES[p] ?? p));
    let text = (await readFile(file, "utf8")).replace(/\{\{(\w+)\}\}/g, (m, key: string) => tokens[key] ?? m);
    if (tarballs && parts.join("/") === "package.json") {
      text = `${JSON.stringify(useLocalTarballs(JSON.parse(text), tarballs), null, 2)}\n`;
    }
    await mkdir(resolve(target, ".."), { recursive: true });
    await writeFile(target, text);
    files.push(relative(dir, target));
  }
  return { dir, name, template: options.template, files: files.sort() };
}

/** The files of a template's layers (`_shared/`, …, its own); a later layer's file wins on a clash. */
async function templateFiles(
  root: string,
  layers: readonly string[],
): Promise<[dir: string, file: string][]> {
  const files = new Map<string, [string, string]>();
  for (const dir of layers.map((layer) => join(root, layer))) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const e of entries.filter((entry) => entry.isFile())) {
      const file = join(e.parentPath, e.name);
      files.set(relative(dir, file), [dir, file]);
    }
  }
  return [...files.values()];
}
