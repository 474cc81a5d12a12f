import { createInterface, type Interface } from "node:readline/promises";
import { TEMPLATES, type TemplateName } from "../scaffold/templates.js";

/** The questions create-plugin asks; a fake in tests, node:readline on a terminal. */
export interface Prompter {
  text(question: string, fallback: string): Promise<string>;
  select(question: string, fallback: TemplateName): Promise<TemplateName>;
  confirm(question: string, fallback: boolean): Promise<boolean>;
  close(): void;
}

/**
 * Prompts on a terminal with node:readline — a dependency-free stand-in for prompt libraries,
 * enough for three questions. An empty answer takes the default shown in brackets.
 */
export function createReadlinePrompter(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  signal?: AbortSignal,
): Prompter {
  // Line editing only on a real terminal; piped streams (tests) get plain lines.
  const terminal = (output as { isTTY?: boolean }).isTTY === true;
  const rl: Interface = createInterface({ input, output, terminal });
  const ask = async (question: string) => (await rl.question(question, signal ? { signal } : {})).trim();
  return {
    async text(question, fallback) {
      return (await ask(`${question} (${fallback}): `)) || fallback;
    },
    async select(question, fallback) {
      const lines = TEMPLATES.map((t, i) => `  ${i + 1}) ${t.name.padEnd(11)} ${t.description}`);
      output.write(`${question}\n${lines.join("\n")}\n`);
      for (;;) {
        const answer = await ask(`choose 1-${TEMPLATES.length} (${fallback}): `);
        if (answer === "") return fallback;
        const byIndex = TEMPLATES[Number(answer) - 1];
        const chosen = byIndex ?? TEMPLATES.find((t) => t.name === answer);
        if (chosen) return chosen.name;
        output.write(`  "${answer}" is not one of the templates\n`);
      }
    },
    async confirm(question, fallback) {
      const answer = (await ask(`${question} (${fallback ? "Y/n" : "y/N"}): `)).toLowerCase();
      return answer === "" ? fallback : answer === "y" || answer === "yes";
    },
    close: () => rl.close(),
  };
}
