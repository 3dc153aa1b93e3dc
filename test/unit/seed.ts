/**
 * One fast-check seed per test run, printed so a failure can be replayed:
 * `FC_SEED=<seed> npx vitest run --config test/unit/vitest.config.ts`.
 * Every property of the unit project runs through `check`, which passes the seed to fast-check
 * and puts it at the front of the failure message (fast-check adds the shrink path).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";

const given = (env as { FC_SEED?: string }).FC_SEED?.trim() ?? "";

/** The run's seed: `FC_SEED` if set (a binding forwarded by test/unit/vitest.config.ts), else time-based. */
export const SEED = /^-?[0-9]{1,10}$/.test(given) ? Number(given) | 0 : Date.now() % 2_147_483_647;

console.log(`fast-check seed ${SEED} (replay: FC_SEED=${SEED} npx vitest run --config test/unit/vitest.config.ts)`);

/** Runs a property with the run's seed; on failure the error message starts with the seed. */
export async function check<Ts extends unknown[]>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): Promise<void> {
  try {
    await fc.assert(property, { seed: SEED, ...params });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`[fast-check seed=${SEED}; replay with FC_SEED=${SEED}] ${message}`, { cause: err });
  }
}
