import type { CliCommand } from "../command.js";

/**
 * Every `plugwire` subcommand, in help order. Add a command by writing `commands/<name>.ts` and
 * listing it here.
 */
export const commands: CliCommand[] = [];
