import type { CliCommand } from "../command.js";
import { inspectCommand } from "./inspect.js";
import { keygenCommand } from "./keygen.js";
import { packageCommand } from "./package.js";
import { pullCommand } from "./pull.js";
import { pushCommand } from "./push.js";
import { runCommand } from "./run.js";
import { signCommand } from "./sign.js";

/**
 * Every `plugwire` subcommand, in help order. Add a command by writing `commands/<name>.ts` and
 * listing it here.
 */
export const commands: CliCommand[] = [
  runCommand,
  keygenCommand,
  packageCommand,
  signCommand,
  pushCommand,
  inspectCommand,
  pullCommand,
];
