import { afterEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { silentLogger } from '../../src/log.js';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * onEventCancelled: keep (issue 15, finding 12): a kept meeting belongs to its organizer. The
 * README promises that an event tagged again later gets a new meeting; the kept one is left alone.
 * The same while the calendar changes hands between replicas: test/integration/replicas-handover.test.ts.
 */

let h: EngineHarness;
afterEach(async () => h?.close());

/** One reconciliation of h's organizer, with a repair that may delete orphans when asked. */
function reconcileWith(h: EngineHarness, options: { repair: boolean }) {
  return reconcile({
    store: h.store, platform: h.platform, logger: silentLogger(), now: () => h.now,
    ...(options.repair
      ? { repair: { dryRun: false, deleteOrphans: true, sources: new Map([[h.source.name, h.source]]), rules: { keywords: ['#webmeeting'], outlookCategories: [] }, defaults: { type: 'standard', isRecorded: false, isDialin: false } } }
      : {}),
  });
}

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

    // The database still knows the kept meeting (kept_meetings, migration 0007) after its event's
    // mapping went to the new meeting: reconcile lists it as kept, in step otherwise (exit 0), and a
    // repair with --delete-orphans touches nothing.
    h.advance(15 * 60_000);
    const report = await reconcileWith(h, { repair: true });
    expect(h.sim.server.received('DELETE')).toEqual([]);
    expect(h.sim.meetings().map((m) => m.id)).toContain(kept);
    const finding = report.findings.find((f) => f.meetingId === kept);
    expect(finding).toMatchObject({ kind: 'unmanaged' });
    expect(finding?.detail).toMatch(/kept on the platform/);
    expect(report.summary.open).toBe(0);
    expect(report.summary.orphan).toBe(0);
  });

  it('keeps knowing the kept meeting until it is over, and moves its record with its calendar', async () => {
    const { kept, eventId } = await keptThenRetagged({});
    await h.engine.runCycle();
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId })?.meetingId).not.toBe(kept);

    // A source renamed: the kept meeting's record moves with its calendar's rows.
    settleCalendarKeys(h.store, [{ source: 'mem', calendarId: CAL, identity: `memory:${CAL}` }], h.now);
    settleCalendarKeys(h.store, [{ source: 'renamed', calendarId: CAL, identity: `memory:${CAL}` }], h.now);
    expect(h.store.keptMeetings().map((k) => [k.meetingId, k.source])).toEqual([[kept, 'renamed']]);

    // Retirement drops it once it is over, like the mappings of its time; not before.
    const ends = Date.parse(h.store.keptMeetings()[0]!.end);
    h.store.retire(new Date(ends - 60_000));
    expect(h.store.keptMeetings()).toHaveLength(1);
    h.store.retire(new Date(ends + 60_000));
    expect(h.store.keptMeetings()).toEqual([]);
  });
});
