import { afterEach, describe, expect, it } from 'vitest';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

const DAY = 86_400_000;

/**
 * Issue 15, finding 12: retirement forgets the mappings of meetings over before the sync window,
 * on the clock's word. A clock that jumps far ahead and comes back must not have forgotten the
 * live ones: their cancellations would be lost (a deleted event comes back without its stamp).
 */
describe('retirement and a clock that jumps', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());

  it('a clock that jumps a year ahead and back retires nothing live: a cancellation after it still deletes the meeting', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({}, 2));
    await h.engine.runCycle();
    h.advance(365 * DAY); // the VM resumes with a wrong clock
    await h.engine.runCycle();
    expect(h.store.mapping(e)?.state, 'the mapping after a cycle on the wrong clock').toBe('active');
    h.advance(-365 * DAY + 10 * 60_000); // NTP sets it right
    await h.engine.runCycle();
    h.source.remove(CAL, e.eventId);
    const report = await h.engine.runCycle();
    expect(report.counts.cancelled).toBe(1);
    expect(h.sim.meetings()).toEqual([]);
  });

  it('a clock a year ahead for hours, with cycles every hour, still retires nothing live', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({}, 2));
    await h.engine.runCycle();
    h.advance(365 * DAY);
    for (let i = 0; i < 20; i += 1) {
      await h.engine.runCycle();
      h.advance(3_600_000);
    }
    expect(h.store.mapping(e)?.state).toBe('active');
  });

  it('retires a meeting over before the window once the clock has held a day past it', async () => {
    h = await startEngineHarness();
    const soon = h.source.put(tagged({}, 1));
    await h.engine.runCycle();
    h.advance(3 * DAY); // `soon` ended two days ago; the window reaches one day back
    await h.engine.runCycle();
    expect(h.store.mapping(soon)?.state, 'not on the word of a clock seen once').toBe('active');
    h.advance(DAY);
    await h.engine.runCycle();
    expect(h.store.mapping(soon)).toBeUndefined();
  });
});
