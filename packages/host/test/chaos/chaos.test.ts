import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { goFixtures } from "../support/go-fixtures.js";
import { artifactFaults, disposeArtifactFixtures, registryAvailable, tsBundle } from "./artifact-faults.js";
import { hostFaults, protocolFaults } from "./faults.js";
import { type ChaosCase, createMatrix, LANGS, runCell } from "./matrix.js";
import { runnerKills } from "./runner-faults.js";
import { supervisionFaults } from "./supervision-faults.js";

// The chaos matrix: every fault × plugin language, each followed by every invariant. Cells run one
// after another in this worker (fds, RSS and descendants are this process's), and the table is
// printed at the end — a FAIL cell lists its violations and fails its test.
const matrix = createMatrix();
const cases: ChaosCase[] = [
  ...protocolFaults,
  ...hostFaults,
  ...supervisionFaults,
  ...artifactFaults,
  runnerKills,
];

describe("chaos: faults against PluginHost", () => {
  beforeAll(async () => {
    if (registryAvailable.ok) await tsBundle();
  }, 60_000);
  for (const c of cases) {
    for (const lang of c.langs ?? LANGS) {
      const needsRegistry = artifactFaults.includes(c) && !registryAvailable.ok;
      const skip = (lang === "go" && !goFixtures.ok) || needsRegistry;
      if (skip) matrix.skip(c.fault, lang, needsRegistry ? registryAvailable.reason : goFixtures.reason);
      test.skipIf(skip)(`${c.fault} × ${lang}`, async () => {
        const cell = await runCell(c, lang);
        matrix.record(cell);
        expect(cell.violations, cell.outcome).toEqual([]);
      });
    }
  }
  afterAll(() => {
    disposeArtifactFixtures();
    console.log(matrix.render());
  });
});
