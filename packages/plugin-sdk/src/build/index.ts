// @plugwire/plugin-sdk/build — one executable file from a plugin's sources (create-plugin's build.mjs).
export { type BundlePluginOptions, type BundleResult, bundlePlugin } from "./bundle-plugin.js";
