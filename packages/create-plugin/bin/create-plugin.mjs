#!/usr/bin/env node
// `npm create plugin` runs this (npm exec create-plugin). Everything it needs ships in this package.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
