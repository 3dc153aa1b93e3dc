/**
 * The portal suite's scenarios, in the order they run: each drives one area (or one flow across
 * areas) through the pages as the people it needs.
 *
 * @module
 */
import type { Suite } from "./harness";
import { identityScenario } from "./identity";
import { legalScenario } from "./legal";
import { manifestSyncScenario } from "./manifest-sync";
import { meScenario } from "./me";
import { mortgageScenario } from "./mortgage";
import { presenceScenario } from "./presence";
import { telbankScenario } from "./telbank";
import { vouchersScenario } from "./vouchers";

/** Name → scenario. `ONLY=a,b` runs a subset (people are onboarded on first use). */
export const SCENARIOS: ReadonlyArray<readonly [string, (s: Suite) => Promise<void>]> = [
  ["identity", identityScenario],
  ["presence", presenceScenario],
  ["vouchers", vouchersScenario],
  ["me", meScenario],
  ["mortgage", mortgageScenario],
  ["legal", legalScenario],
  ["telbank", telbankScenario],
  ["manifest-sync", manifestSyncScenario],
];
