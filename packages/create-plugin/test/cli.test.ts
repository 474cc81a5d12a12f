// The scaffolder itself, in-process (fast): flags, prompts, refusals, file renames, next steps.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CreatePluginError,
  createReadlinePrompter,
  detectPackageManager,
  main,
  type Prompter,
  parseCliArgs,
  scaffold,
  TEMPLATE_NAMES,
} from "../src/index.js";
import { parseNextSteps } from "./support/commands.js";

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "create-plugin-cli-"));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
  expect(existsSync(cwd)).toBe(false);
});

/** Runs main() with captured output; stdin is not a TTY unless a prompter is given. */
async function cli(argv: string[], options: { ua?: string; prompter?: Prompter } = {}) {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough().on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const err = new PassThrough().on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await main(argv, {
    cwd,
    stdin: new PassThrough(),
    stdout: out,
    stderr: err,
    env: options.ua ? { npm_config_user_agent: options.ua } : {},
    ...(options.prompter ? { prompter: options.prompter } : {}),
  });
  return { code, stdout, stderr };
}

describe("create-plugin CLI", () => {
  it("scaffolds the default template without prompting when stdin is not a terminal", async () => {
    const r = await cli(["demo"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Created demo (template runner-v2)");
    const pkg = JSON.parse(readFileSync(join(cwd, "demo/package.json"), "utf8"));
    expect(pkg.name).toBe("demo");
    expect(pkg.dependencies["@plugwire/plugin-sdk"]).toBe("0.1.0");
    expect(readFileSync(join(cwd, "demo/plugwire.yaml"), "utf8")).toContain('\n  "demo":\n');
    // _gitignore ships under that name (npm drops .gitignore from packages) and is renamed.
    expect(existsSync(join(cwd, "demo/.gitignore"))).toBe(true);
    expect(existsSync(join(cwd, "demo/_gitignore"))).toBe(false);
    // No template token is left behind anywhere.
    for (const f of ["package.json", "src/plugin.ts", "test/plugin.test.ts", "README.md"]) {
      expect(readFileSync(join(cwd, "demo", f), "utf8")).not.toMatch(/\{\{\w+\}\}/);
    }
  });

  it("prints next steps for the package manager that ran it", async () => {
    const expected = {
      npm: ["cd demo", "npm install", "npm run build", "npm run test", "npm run start"],
      pnpm: ["cd demo", "pnpm install", "pnpm run build", "pnpm run test", "pnpm run start"],
      yarn: ["cd demo", "yarn", "yarn run build", "yarn run test", "yarn run start"],
      bun: ["cd demo", "bun install", "bun run build", "bun run test", "bun run start"],
    };
    for (const [pm, steps] of Object.entries(expected)) {
      const r = await cli(["demo", "--overwrite"], { ua: `${pm}/1.2.3 npm/? node/v20.20.2 linux x64` });
      expect(parseNextSteps(r.stdout)).toEqual(steps);
    }
    expect(detectPackageManager(undefined)).toBe("npm");
  });

  it("quotes a directory with spaces in the printed cd", async () => {
    const r = await cli(["my dir", "--name", "my-dir"]);
    expect(parseNextSteps(r.stdout)[0]).toBe("cd 'my dir'");
  });

  it("refuses a non-empty directory, and empties it (keeping .git) with --overwrite", async () => {
    mkdirSync(join(cwd, "taken/.git"), { recursive: true });
    writeFileSync(join(cwd, "taken/notes.txt"), "mine");
    const refused = await cli(["taken"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^create-plugin: TARGET_NOT_EMPTY: .*taken is not empty \(notes\.txt\).*--overwrite/,
    );
    expect(readFileSync(join(cwd, "taken/notes.txt"), "utf8")).toBe("mine");
    const done = await cli(["taken", "--overwrite", "--template", "service"]);
    expect(done.code).toBe(0);
    expect(existsSync(join(cwd, "taken/notes.txt"))).toBe(false);
    expect(existsSync(join(cwd, "taken/.git"))).toBe(true);
    expect(existsSync(join(cwd, "taken/proto/greeter/v1/greeter.proto"))).toBe(true);
  });

  it("a directory holding only .git counts as empty", async () => {
    mkdirSync(join(cwd, "repo/.git"), { recursive: true });
    expect((await cli(["repo"])).code).toBe(0);
  });

  it("rejects bad input with typed errors and exit codes", async () => {
    const unknown = await cli(["x", "--template", "runner-v3"]);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain(
      'UNKNOWN_TEMPLATE: unknown template "runner-v3"; choose one of: runner-v2, runner-v1, service, in-process',
    );
    const name = await cli(["x", "--name", "Bad Name"]);
    expect(name.stderr).toContain('INVALID_NAME: invalid project name "Bad Name"');
    expect(existsSync(join(cwd, "x"))).toBe(false);
    const usage = await cli(["a", "b"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("USAGE: expected at most one directory");
    const local = await cli(["x", "--local", cwd]);
    expect(local.stderr).toMatch(/LOCAL_PACKAGES_MISSING: --local .* lacks plugwire-contract-<version>\.tgz/);
    expect(() => parseCliArgs(["--bogus"])).toThrow(CreatePluginError);
  });

  it("asks for what flags leave open when interactive", async () => {
    const asked: string[] = [];
    const prompter: Prompter = {
      async text(q, fallback) {
        asked.push(q);
        return q === "Project directory" ? "asked-dir" : fallback;
      },
      async select(q) {
        asked.push(q);
        return "in-process";
      },
      async confirm() {
        throw new Error("not expected: the directory is empty");
      },
      close() {},
    };
    const r = await cli([], { prompter });
    expect(asked).toEqual(["Project directory", "Template:", "Package name"]);
    expect(r.stdout).toContain("Created asked-dir (template in-process)");
    // --no-interactive wins even with a terminal.
    const silent = await cli(["quiet", "--no-interactive"], {
      prompter: { ...prompter, text: () => Promise.reject(new Error("prompted")) },
    });
    expect(silent.code).toBe(0);
  });

  it("asks before emptying a non-empty directory when interactive; no means no", async () => {
    mkdirSync(join(cwd, "full"));
    writeFileSync(join(cwd, "full/keep.txt"), "x");
    const prompter: Prompter = {
      text: async (_q, fallback) => fallback,
      select: async (_q, fallback) => fallback,
      confirm: async () => false,
      close() {},
    };
    const r = await cli(["full"], { prompter });
    expect(r.stderr).toContain("TARGET_NOT_EMPTY");
    expect(existsSync(join(cwd, "full/keep.txt"))).toBe(true);
  });

  it("every template scaffolds with its README, build and tests", async () => {
    for (const template of TEMPLATE_NAMES) {
      const result = await scaffold({ template, dir: join(cwd, template), name: `@acme/${template}` });
      expect(result.files).toEqual(
        expect.arrayContaining([
          ".gitignore",
          "README.md",
          "build.mjs",
          "package.json",
          "src/main.ts",
          "src/plugin.ts",
          "test/plugin.test.ts",
          "tsconfig.json",
        ]),
      );
      const pkg = JSON.parse(readFileSync(join(result.dir, "package.json"), "utf8"));
      expect(pkg.name).toBe(`@acme/${template}`);
      expect(Object.keys(pkg.scripts)).toEqual(
        expect.arrayContaining(["build", "test", "start", "package", "sign", "push"]),
      );
    }
  });
});

describe("readline prompter", () => {
  /** Answers each prompt (a line ending in ": ") with the next answer, as a user typing would. */
  function converse(answers: string[]) {
    const input = new PassThrough();
    const output = new PassThrough();
    let transcript = "";
    output.on("data", (d: Buffer) => {
      transcript += d.toString();
      if (transcript.endsWith(": ")) input.write(`${answers.shift() ?? ""}\n`);
    });
    return { input, output, transcript: () => transcript };
  }

  it("takes typed answers, defaults on empty lines, and re-asks on a bad choice", async () => {
    const { input, output, transcript } = converse(["", "7", "service", "y"]);
    const prompter = createReadlinePrompter(input, output);
    try {
      expect(await prompter.text("Project directory", "my-plugin")).toBe("my-plugin");
      expect(await prompter.select("Template:", "runner-v2")).toBe("service");
      expect(await prompter.confirm("Remove its contents?", false)).toBe(true);
    } finally {
      prompter.close();
    }
    expect(transcript()).toContain("  1) runner-v2");
    expect(transcript()).toContain('"7" is not one of the templates');
  });

  it("a number picks the template by position", async () => {
    const { input, output } = converse(["4"]);
    const prompter = createReadlinePrompter(input, output);
    try {
      expect(await prompter.select("Template:", "runner-v2")).toBe("in-process");
    } finally {
      prompter.close();
    }
  });
});
