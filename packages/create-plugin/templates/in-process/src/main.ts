// The bundle entry: dist/plugin.mjs is a module whose default export is the plugin. Hosts import it
// (in-process) or run it in a subprocess through the SDK's daemon entry (process isolation).
export { default } from "./plugin.js";
