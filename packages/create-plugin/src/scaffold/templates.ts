/** One project template under `templates/<name>`. */
export interface TemplateInfo {
  readonly name: TemplateName;
  /** One line for the prompt and `--help`. */
  readonly description: string;
  /** package.json scripts the next steps list after install, in order. */
  readonly steps: readonly string[];
  /** Directories under `templates/` copied in order (later ones win): shared layers, then its own. */
  readonly layers: readonly string[];
}

/** The template names, default first. */
export const TEMPLATE_NAMES = ["runner-v2", "runner-v1", "service", "in-process"] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Every template `create-plugin` ships; the first is the default. */
export const TEMPLATES: readonly TemplateInfo[] = [
  {
    name: "runner-v2",
    layers: ["_shared", "_runner", "runner-v2"],
    description: "Compliance Framework runner, protocol 2: configure, init (templates), eval (evidence)",
    steps: ["build", "test", "start"],
  },
  {
    name: "runner-v1",
    layers: ["_shared", "_runner", "runner-v1"],
    description: "Compliance Framework runner, protocol 1: configure, eval (evidence)",
    steps: ["build", "test", "start"],
  },
  {
    name: "service",
    layers: ["_shared", "service"],
    description:
      "a go-plugin plugin serving your own gRPC service (proto + buf codegen), called by PluginHost",
    steps: ["build", "test", "start"],
  },
  {
    name: "in-process",
    layers: ["_shared", "in-process"],
    description: "a lifecycle plugin (init/shutdown, EventBus) the host loads in-process or in a subprocess",
    steps: ["build", "test", "start"],
  },
];

/** The default template (`runner-v2`). */
export const DEFAULT_TEMPLATE: TemplateName = "runner-v2";

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** The template called `name`. */
export function templateInfo(name: TemplateName): TemplateInfo {
  return TEMPLATES.find((t) => t.name === name) as TemplateInfo;
}
