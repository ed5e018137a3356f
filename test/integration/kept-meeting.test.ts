import { afterEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { silentLogger } from '../../src/log.js';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * onEventCancelled: keep (issue 15, finding 12): a kept meeting belongs to its organizer. The
 * README promises that an event tagged again later gets a new meeting; the kept one is left alone,
 * also where meetsync looks in the feed for a meeting made for the event before (several shards),
 * which finds the kept meeting by the event's reference.
 */

let h: EngineHarness;
afterEach(async () => h?.close());

async function keptThenRetagged(over: Parameters<typeof startEngineHarness>[0]): Promise<{ kept: string; eventId: string }> {
  h = await startEngineHarness({ onEventCancelled: 'keep', ...over });
  const e = h.source.put(tagged({ title: 'Design review #webmeeting' }));
  await h.engine.runCycle();
  const kept = h.store.mapping(e)!.meetingId!;
  h.source.patch(CAL, e.eventId, { title: 'Design review' });
  await h.engine.runCycle();
  expect(h.store.mapping(e)?.state).toBe('kept');
  h.source.patch(CAL, e.eventId, { title: 'Design review #webmeeting' });
  return { kept, eventId: e.eventId };
}

describe('a kept meeting stays the organizer\'s when its event is tagged again', () => {
  it('gets a new meeting; the kept one is not touched', async () => {
    const { kept, eventId } = await keptThenRetagged({});
    const puts = h.sim.server.received('PUT').length;
    await h.engine.runCycle();
    const now = h.store.mapping({ source: 'mem', calendarId: CAL, eventId })!;
    expect(now).toMatchObject({ state: 'active' });
    expect(now.meetingId).not.toBe(kept);
    expect(h.sim.meetings().map((m) => m.id).sort()).toEqual([kept, now.meetingId].sort());
    expect(h.sim.server.received('PUT').length).toBe(puts);

    // Its record gave way to the new meeting's: reconcile cannot say what meetsync made with the
    // kept meeting's reference any more, and so never deletes it, even with --delete-orphans.
    h.advance(15 * 60_000);
    const report = await reconcile({
      store: h.store, platform: h.platform, logger: silentLogger(), now: () => h.now,
      repair: { dryRun: false, deleteOrphans: true, sources: new Map([[h.source.name, h.source]]), rules: { keywords: ['#webmeeting'], outlookCategories: [] }, defaults: { type: 'standard', isRecorded: false, isDialin: false } },
    });
    expect(h.sim.server.received('DELETE')).toEqual([]);
    expect(report.findings.find((f) => f.meetingId === kept)?.fixBlocked).toMatch(/^not deleted: /);
  });

  it('gets a new meeting when meetsync checks the feed before creating (several shards)', async () => {
    const { kept, eventId } = await keptThenRetagged({ checkFeedBeforeCreating: true });
    const puts = h.sim.server.received('PUT').length;
    await h.engine.runCycle();
    const now = h.store.mapping({ source: 'mem', calendarId: CAL, eventId })!;
    expect(now.meetingId).not.toBe(kept);
    expect(h.sim.meetings()).toHaveLength(2);
    expect(h.sim.server.received('PUT').length).toBe(puts);
  });
});
