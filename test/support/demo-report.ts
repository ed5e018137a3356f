import type { Mapping } from '../../src/domain/mapping.js';
import type { ReconcileReport } from '../../src/reconcile/findings.js';
import { agendaFor } from '../../src/sync/execute.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { tagged } from './engine-harness.js';
import { ALICE, BOB, startReconcileWorld, type ReconcileWorld } from './reconcile-world.js';

export const CAROL = 'carol@example.com';
export const HOSTILE_TOPIC = 'Retro <script>alert(1)</script> "quoted" & \'single\' 🎉';

/**
 * A realistic reconciliation, made the way it happens in the field: three organizers, meetings
 * made by real sync cycles against the Web Meeting simulator, then moved, renamed, deleted and
 * copied by hand on the platform, a meeting made there directly, a failing update, and one
 * organizer whose feed answers an HTML page. One topic is hostile. Used by the browser test and
 * for the screenshot in docs/.
 */
export async function demoWorld(): Promise<{ world: ReconcileWorld; report: ReconcileReport }> {
  const w = await startReconcileWorld(0);
  w.sim.addUser(w.accountId, { email: CAROL, firstName: 'Carol', lastName: 'Example' });
  await refreshOrganizers(w.platform, w.store, [w.accountId], w.now);
  const titles: Array<[string, string, number]> = [
    ['Quarterly planning #webmeeting', ALICE, 2],
    ['Design review #webmeeting', ALICE, 3],
    [`${HOSTILE_TOPIC} #webmeeting`, ALICE, 4],
    ['Customer onboarding: ACME #webmeeting', ALICE, 5],
    ['1:1 Alice / Bob #webmeeting', BOB, 2],
    ['Hiring sync #webmeeting', BOB, 3],
    ['Budget review #webmeeting', BOB, 6],
    ['Release go/no-go #webmeeting', CAROL, 4],
  ];
  for (const [title, organizer, day] of titles) w.source.put(tagged({ title, organizerEmail: organizer }, day));
  await w.engine.runCycle();
  w.advance(15 * 60_000);

  const byTopic = (prefix: string) => w.store.mappings({ state: 'active' }).find((m) => m.topic.startsWith(prefix)) as Mapping;
  const hour = 3_600_000;
  const moved = (m: Mapping, ms: number) => ({ startTime: new Date(Date.parse(m.start) + ms).toISOString(), endTime: new Date(Date.parse(m.end) + ms).toISOString() });
  await w.platformEdit(byTopic('Retro'), moved(byTopic('Retro'), hour));
  await w.platformEdit(byTopic('Design review'), moved(byTopic('Design review'), -30 * 60_000));
  await w.platformEdit(byTopic('Hiring sync'), { topic: 'Hiring sync (moved to Thursday?)', ...moved(byTopic('Hiring sync'), 2 * 86_400_000) });
  await w.platformEdit(byTopic('Budget review'), { topic: 'Budget review FY27' });
  const onboarding = byTopic('Customer onboarding');
  await w.platform.deleteMeeting(onboarding.userId, onboarding.meetingId!);
  const planning = byTopic('Quarterly planning');
  await w.platformCreate(ALICE, { topic: planning.topic, agenda: agendaFor(planning.marker), startTime: planning.start, endTime: planning.end });
  await w.platformCreate(BOB, { topic: 'Board meeting', agenda: 'Prepared by the office', startTime: '2026-12-09T14:00:00.000Z', endTime: '2026-12-09T16:00:00.000Z' });
  await w.platformCreate(ALICE, { topic: 'Offsite logistics', agenda: agendaFor('meetsync:3f2c9a10-5b7e-4d21-9c3a-7e51b2d4f806'), startTime: '2026-12-10T08:00:00.000Z', endTime: '2026-12-10T09:00:00.000Z' });
  const oneOnOne = byTopic('1:1');
  w.store.saveNote({ source: oneOnOne.source, calendarId: oneOnOne.calendarId, eventId: oneOnOne.eventId, kind: 'failed', reason: 'update failed: PUT /api/v6/meeting/…/false failed, HTTP 503 (will retry)', title: oneOnOne.topic, retry: true, updatedAt: w.now.toISOString() });
  const carol = w.sim.users().find((u) => u.email === CAROL)!;
  w.sim.server.inject({ kind: 'status', status: 200, count: 4, pathIncludes: carol.icsToken, body: '<!DOCTYPE html><html><body>Session expired</body></html>', headers: { 'content-type': 'text/html' } });
  const report = await w.reconcileNow();
  return { world: w, report };
}
