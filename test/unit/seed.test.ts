import { afterEach, describe, expect, it, vi } from 'vitest';
import { seedVariable, testSeeds } from '../support/seed.js';

/** The random tests' seeds (test/support/seed.ts): what a default run takes, and one variable replays. */

const FILE = new URL('../campaign/fault.test.ts', import.meta.url).href;
const DAY = 86_400_000;

describe('testSeeds', () => {
  afterEach(() => vi.restoreAllMocks());

  const quietly = () => vi.spyOn(console, 'log').mockImplementation(() => undefined);

  it('names the variable after the test', () => {
    expect(seedVariable('fault')).toBe('FAULT_SEED');
    expect(seedVariable('sync machine')).toBe('SYNC_MACHINE_SEED');
  });

  it('takes the fixed seeds and one random one, and prints each with the command that replays it', () => {
    const log = quietly();
    const seeds = testSeeds('fault', FILE, { fixed: [11, 22] }, {});
    expect(seeds.list).toHaveLength(3);
    expect(seeds.list.slice(0, 2)).toEqual([11, 22]);
    const random = seeds.list[2]!;
    expect(Number.isSafeInteger(random) && random > 0).toBe(true);
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      'seed for fault: 11 (fixed; replay: FAULT_SEED=11 npx vitest run test/campaign/fault.test.ts)',
      'seed for fault: 22 (fixed; replay: FAULT_SEED=22 npx vitest run test/campaign/fault.test.ts)',
      `seed for fault: ${random} (random; replay: FAULT_SEED=${random} npx vitest run test/campaign/fault.test.ts)`,
    ]);
  });

  it('takes perRun of the fixed seeds, a different one each day, so that a few days cover them all', () => {
    quietly();
    const fixed = [1, 2, 3];
    const taken = [0, 1, 2, 3].map((d) => testSeeds('fault', FILE, { fixed, perRun: 1 }, {}, new Date(d * DAY)).list);
    expect(taken.map((list) => list.length)).toEqual([2, 2, 2, 2]);
    expect(taken.map((list) => list[0])).toEqual([1, 2, 3, 1]);
  });

  it('replays one seed: <NAME>_SEED for this test, else MEETSYNC_SEED for all; negative seeds too (fast-check)', () => {
    quietly();
    expect(testSeeds('fault', FILE, { fixed: [11] }, { FAULT_SEED: '42', MEETSYNC_SEED: '7' }).list).toEqual([42]);
    expect(testSeeds('fault', FILE, { fixed: [11] }, { MEETSYNC_SEED: '7' }).list).toEqual([7]);
    expect(testSeeds('sync machine', FILE, { fixed: [11] }, { SYNC_MACHINE_SEED: '-297181533' }).list).toEqual([-297181533]);
    expect(testSeeds('fault', FILE, { fixed: [11] }, { FAULT_SEED: '' }).list.slice(0, 1)).toEqual([11]);
  });

  it('on PostgreSQL (MEETSYNC_TEST_STORE=postgres), replays in the project that runs the test there', () => {
    const log = quietly();
    testSeeds('fault', FILE, { fixed: [11] }, { FAULT_SEED: '42', MEETSYNC_TEST_STORE: 'postgres' });
    expect(log.mock.calls.map((c) => c[0])).toEqual(['seed for fault: 42 (from FAULT_SEED; replay: FAULT_SEED=42 npx vitest run --project engine-on-postgres test/campaign/fault.test.ts)']);
  });

  it('refuses a seed that is not a whole number instead of running with NaN', () => {
    quietly();
    expect(() => testSeeds('fault', FILE, { fixed: [] }, { FAULT_SEED: 'abc' })).toThrow('FAULT_SEED=abc is not a whole number');
    expect(() => testSeeds('fault', FILE, { fixed: [] }, { FAULT_SEED: '1.5' })).toThrow(/not a whole number/);
  });
});
