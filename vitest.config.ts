import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One project per package; tests run against the built `dist/` of workspace dependencies
// (subprocess plugins must run as plain JavaScript anyway), so `pnpm build` comes first.
const project = (name: string, root: string) => ({
  extends: true as const,
  test: {
    name,
    root,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});

export default defineConfig({
  test: {
    globalSetup: [fileURLToPath(new URL("./scripts/vitest-global-setup.ts", import.meta.url))],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    projects: [
      project("contract", "packages/contract"),
      project("host", "packages/host"),
      project("plugin-sdk", "packages/plugin-sdk"),
      project("create-plugin", "packages/create-plugin"),
      project("examples", "examples"),
      project("host-app", "examples/host-app"),
      project("bench", "bench"),
    ],
  },
});
