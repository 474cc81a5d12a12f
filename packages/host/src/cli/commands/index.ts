import type { CliCommand } from "../command.js";
import { runCommand } from "./run.js";

/**
 * Every `plugwire` subcommand, in help order. Add a command by writing `commands/<name>.ts` and
 * listing it here.
 */
export const commands: CliCommand[] = [runCommand];
