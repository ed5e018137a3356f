import { afterEach, describe, expect, it } from 'vitest';
import { CalendarError } from '../../src/domain/errors.js';
import type { Mapping } from '../../src/domain/mapping.js';
import { Store } from '../../src/store/store.js';
import { agendaFor } from '../../src/sync/execute.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { tagged } from '../support/engine-harness.js';
import { ALICE, active, startReconcileWorld, type ReconcileWorld } from '../support/reconcile-world.js';

/**
 * `reconcile --repair --delete-orphans` deletes only what is provably meetsync's and provably
 * unwanted (issue 15, finding 7): never the meeting of a live event (a database restored from an
 * older backup knows nothing of it, or believes it cancelled), never a person's copy of
 * meetsync's meeting (same agenda, another week).
 */

let w: ReconcileWorld;
afterEach(async () => w?.close());

const deletes = (w: ReconcileWorld) => w.writes().filter((x) => x.method === 'DELETE');
const week = (iso: string) => new Date(Date.parse(iso) + 7 * 86_400_000).toISOString();

/** The database as a backup holds it: its mappings, restored into a new database later. */
function restore(w: ReconcileWorld, backup: readonly Mapping[]): Promise<void> {
  const restored = Store.open(':memory:');
  for (const m of backup) restored.saveMapping(m);
  // The harness closes the first database at the end.
  w.store = restored;
  w.rebuild(undefined, restored);
  return refreshOrganizers(w.platform, restored, [w.accountId], w.now).then(() => undefined);
}

describe('reconcile --repair --delete-orphans after a database restored from a backup', () => {
  it("keeps the meeting of an event made after the backup, and a person's copy of meetsync's meeting; the sync then adopts the first", async () => {
    w = await startReconcileWorld(1);
    const [a] = active(w) as [Mapping];
    const backup = w.store.mappings();
    // After the backup: a new event gets its meeting, and the organizer copies A's meeting for a follow-up a week later.
    const b = w.source.put(tagged({ title: 'Hiring sync #webmeeting' }, 5));
    await w.engine.runCycle();
    const mb = w.store.mapping(b)!;
    const followUp = await w.platformCreate(ALICE, { topic: a.topic, agenda: agendaFor(a.marker), startTime: week(a.start), endTime: week(a.end) });
    w.advance(15 * 60_000);
    await restore(w, backup);

    w.markWrites();
    const report = await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(deletes(w)).toEqual([]);
    expect(w.sim.meetings().map((x) => x.id).sort()).toEqual([a.meetingId, mb.meetingId, followUp.id].sort());
    const ofB = report.findings.find((f) => f.meetingId === mb.meetingId);
    expect(ofB).toMatchObject({ kind: 'orphan' });
    expect(ofB?.repair?.outcome ?? 'not repaired').not.toBe('done');
    expect(report.findings.find((f) => f.meetingId === followUp.id)).toMatchObject({ kind: 'unmanaged', detail: expect.stringContaining('a copy a person made') });

    // The event carries its meeting's stamp: the sync takes the meeting back, nothing is created.
    w.source.patch(b.calendarId, b.eventId, { title: 'Hiring sync (v2) #webmeeting' });
    const posts = w.sim.server.received('POST', '/api/v6/meeting').length;
    await w.engine.runCycle();
    expect(w.store.mapping(b)).toMatchObject({ state: 'active', meetingId: mb.meetingId });
    expect(w.sim.server.received('POST', '/api/v6/meeting').length).toBe(posts);
  });

  it('keeps a meeting the database believes cancelled while its event is live: stamped, or tagged and carrying its reference', async () => {
    w = await startReconcileWorld(2);
    const [stamped, unstamped] = active(w) as [Mapping, Mapping];
    // A backup from another point in time: both meetings recorded as cancelled, the events live.
    await restore(w, [{ ...stamped, state: 'cancelled' }, { ...unstamped, state: 'cancelled' }]);
    // This event's join link (and stamp) never reached it; its tag and reference still tie it to the meeting.
    w.source.patch(unstamped.calendarId, unstamped.eventId, { stamp: undefined });

    w.markWrites();
    const report = await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(deletes(w)).toEqual([]);
    expect(w.sim.meetings()).toHaveLength(2);
    expect(report.findings.find((f) => f.meetingId === stamped.meetingId)?.repair).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/^not deleted: event \S+ .* is live and its stamp names this meeting/) });
    expect(report.findings.find((f) => f.meetingId === unstamped.meetingId)?.repair).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('is live and tagged, this meeting carries its reference, and meetsync holds no other meeting for it') });
    // --dry-run asks the calendars too, and says the same.
    const dry = await w.reconcileNow({ repair: { dryRun: true, deleteOrphans: true } });
    expect(dry.findings.filter((f) => f.kind === 'orphan').map((f) => f.repair?.outcome)).toEqual(['skipped', 'skipped']);

    // Once the events are gone, the same meetings are provably unwanted and deleted.
    w.source.remove(stamped.calendarId, stamped.eventId);
    w.source.remove(unstamped.calendarId, unstamped.eventId);
    w.markWrites();
    await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(deletes(w).map((x) => x.path).sort()).toEqual([`/api/v6/meeting/${stamped.meetingId}`, `/api/v6/meeting/${unstamped.meetingId}`].sort());
  });

  it('deletes nothing when a calendar cannot be read: no proof that no event wants the meeting', async () => {
    w = await startReconcileWorld(1);
    const [m] = active(w) as [Mapping];
    w.source.remove(m.calendarId, m.eventId);
    await restore(w, [{ ...m, state: 'cancelled' }]);
    w.source.failNext('readChanges', new CalendarError('mem', m.calendarId, 'calendar unavailable', 503));
    w.markWrites();
    const report = await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(deletes(w)).toEqual([]);
    expect(report.findings.find((f) => f.kind === 'orphan')?.repair).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(`calendar ${m.calendarId} (mem) could not be read`) });
  });
});
