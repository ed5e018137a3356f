import { randomInt } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The seeds of a random test (the campaigns, the fuzzers, the state machine), so that a failure
 * is never a mystery: every run prints the seeds it used with the command that replays one, and
 * one environment variable replays it.
 *
 * A default run (npm test, CI) takes the test's fixed seeds (ones that once found a bug, or at
 * least always the same sample) plus one random seed. `<NAME>_SEED=n` (FAULT_SEED, CRASH_SEED,
 * FUZZ_SEED, SYNC_MACHINE_SEED) runs that test with seed n alone, and `MEETSYNC_SEED=n` does the
 * same for every random test at once. With MEETSYNC_TEST_STORE=postgres, the replay command names the
 * vitest project that runs the test on PostgreSQL.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Seeds {
  /** The variable that replays a seed of this test, e.g. FAULT_SEED. */
  readonly variable: string;
  /** The seeds of this run, in order: the fixed ones, then the random one (or only the replayed one). */
  readonly list: readonly number[];
  /** The command that runs the test again with `seed` alone. */
  replay(seed: number): string;
}

export interface SeedOptions {
  /** Seeds every default run takes (or some of them, see perRun). */
  fixed: readonly number[];
  /**
   * How many of the fixed seeds a default run takes, for a test too slow to run them all each
   * time: a different `perRun` of them each day (UTC), so a week of CI runs covers the list.
   * @default all of them
   */
  perRun?: number;
}

/** `FAULT_SEED` from `fault`, `SYNC_MACHINE_SEED` from `sync machine`. */
export function seedVariable(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}_SEED`;
}

/** A seed from the environment: a whole number (fast-check takes any 32-bit integer, negative ones too). */
function parseSeed(variable: string, text: string): number {
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`${variable}=${text.slice(0, 40)} is not a whole number`);
  return seed;
}

/**
 * The seeds `name` runs with in this process (see the top of this file), printed once each on
 * stdout, which vitest's default reporter shows for passing tests too:
 * `seed for fault: 123 (random; replay: FAULT_SEED=123 npx vitest run test/campaign/fault.test.ts)`.
 * `testFile` is the test's `import.meta.url`, for the replay command.
 */
export function testSeeds(name: string, testFile: string, options: SeedOptions, env: NodeJS.ProcessEnv = process.env, now = new Date()): Seeds {
  const variable = seedVariable(name);
  const file = path.relative(REPO, fileURLToPath(testFile)).split(path.sep).join('/');
  // On PostgreSQL (test/support/test-store.ts), the project that runs the test there (vitest.config.ts).
  const project = env.MEETSYNC_TEST_STORE === 'postgres' ? '--project engine-on-postgres ' : '';
  const replay = (seed: number) => `${variable}=${seed} npx vitest run ${project}${file}`;
  let chosen: Array<{ seed: number; why: string }>;
  if (env[variable]) chosen = [{ seed: parseSeed(variable, env[variable]), why: `from ${variable}` }];
  else if (env.MEETSYNC_SEED) chosen = [{ seed: parseSeed('MEETSYNC_SEED', env.MEETSYNC_SEED), why: 'from MEETSYNC_SEED' }];
  else {
    const perRun = Math.min(options.perRun ?? options.fixed.length, options.fixed.length);
    const day = Math.floor(now.getTime() / 86_400_000);
    const fixed = Array.from({ length: perRun }, (_, i) => options.fixed[(day * perRun + i) % options.fixed.length]!);
    chosen = [...fixed.map((seed) => ({ seed, why: 'fixed' })), { seed: randomInt(1, 2 ** 31), why: 'random' }];
  }
  for (const { seed, why } of chosen) console.log(`seed for ${name}: ${seed} (${why}; replay: ${replay(seed)})`);
  return { variable, list: chosen.map((c) => c.seed), replay };
}
