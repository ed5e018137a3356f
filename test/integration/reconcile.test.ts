import { afterEach, describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/domain/mapping.js';
import { agendaFor } from '../../src/sync/execute.js';
import { KIND_LABEL, type FindingKind, type ReconcileReport } from '../../src/reconcile/findings.js';
import { renderReport } from '../../src/reconcile/render/report.js';
import { ALICE, BOB, active, startReconcileWorld, type ReconcileWorld } from '../support/reconcile-world.js';

/**
 * Reconciliation against the Web Meeting simulator over https, meetings made by real sync
 * cycles: each kind of finding is planted the way it happens in the field (a person editing
 * on the platform, a lost answer, a copy made by hand) and found, exactly it, in every format.
 */

let w: ReconcileWorld;
afterEach(async () => w?.close());

const notInStep = (r: ReconcileReport) => r.findings.filter((f) => f.kind !== 'in-step');

/** Checks that every format shows `kind` for the meeting `number` (or, with none, at all). */
function expectInEveryFormat(report: ReconcileReport, kind: FindingKind, number: string | undefined): void {
  const text = renderReport(report, 'text');
  const line = text.split('\n').find((l) => l.startsWith(`  ${KIND_LABEL[kind]}`) || (kind === 'feed-unreadable' && l.includes('FEED UNREADABLE')));
  expect(line, 'text').toBeDefined();
  if (number) expect(line).toContain(number);
  const json = JSON.parse(renderReport(report, 'json')) as ReconcileReport;
  expect(json.findings.filter((f) => f.kind === kind).map((f) => f.meetingNumber)).toEqual([number]);
  const csv = renderReport(report, 'csv').replace(/^\uFEFF/, '').split('\r\n');
  expect(csv.filter((row) => row.split(',')[1] === KIND_LABEL[kind])).toHaveLength(1);
  if (number) expect(csv.find((row) => row.split(',')[1] === KIND_LABEL[kind])).toContain(number);
  const html = renderReport(report, 'html');
  // An unreadable feed is the first line of its organizer's section, not a table row.
  if (kind === 'feed-unreadable') expect(html.match(/<p class="feed-bad">Feed unreadable: /g)).toHaveLength(1);
  else expect(html.match(new RegExp(`class="kind kind-${kind}"`, 'g'))).toHaveLength(1);
}

type Plant = (w: ReconcileWorld, m: Mapping) => Promise<string | undefined>;

const PLANTS: Array<[FindingKind, Plant]> = [
  ['time-drift', async (w, m) => {
    await w.platformEdit(m, { startTime: new Date(Date.parse(m.start) + 3_600_000).toISOString(), endTime: new Date(Date.parse(m.end) + 3_600_000).toISOString() });
    return m.meetingNumber;
  }],
  ['topic-drift', async (w, m) => {
    await w.platformEdit(m, { topic: 'Renamed on the platform' });
    return m.meetingNumber;
  }],
  ['missing', async (w, m) => {
    await w.platform.deleteMeeting(m.userId, m.meetingId!);
    return m.meetingNumber;
  }],
  ['orphan', async (w) => {
    // A creation whose answer was lost: the intent is recorded, the meeting exists with its marker.
    const event = w.source.put({ ...w.source.events('alice@example.com')[0]!, eventId: 'lost-answer', title: 'Lost answer #webmeeting' });
    const intent: Mapping = { ...w.store.mappings()[0]!, eventId: event.eventId, marker: 'meetsync:0a0a0a0a-1111-4222-8333-444444444444', state: 'creating', topic: 'Lost answer', writeBack: 'pending', createdAt: w.now.toISOString(), updatedAt: w.now.toISOString() };
    delete intent.meetingId;
    delete intent.meetingNumber;
    w.store.saveMapping(intent);
    return (await w.platformCreate(ALICE, { topic: 'Lost answer', agenda: agendaFor(intent.marker), startTime: intent.start, endTime: intent.end })).meetingNumber;
  }],
  ['duplicate', async (w, m) => (await w.platformCreate(ALICE, { topic: m.topic, agenda: agendaFor(m.marker), startTime: m.start, endTime: m.end })).meetingNumber],
  ['unmanaged', async (w) => (await w.platformCreate(ALICE, { topic: 'Board meeting', agenda: 'set up by the assistant' })).meetingNumber],
  ['stuck', async (w, m) => {
    w.store.saveNote({ source: m.source, calendarId: m.calendarId, eventId: m.eventId, kind: 'failed', reason: 'update failed: HTTP 503 (will retry)', title: m.topic, retry: true, updatedAt: w.now.toISOString() });
    return m.meetingNumber;
  }],
  ['feed-unreadable', async (w) => {
    const bob = w.sim.users().find((u) => u.email === BOB)!;
    w.sim.server.inject({ kind: 'status', status: 200, pathIncludes: bob.icsToken, body: '<!DOCTYPE html><html><body>Please sign in</body></html>', headers: { 'content-type': 'text/html' } });
    return undefined;
  }],
];

describe('reconcile: each planted finding is found, exactly it, in every format', () => {
  it('finds all in step after a sync', async () => {
    w = await startReconcileWorld();
    const report = await w.reconcileNow();
    expect(report.findings.map((f) => f.kind)).toEqual(['in-step', 'in-step']);
    expect(report.summary).toMatchObject({ organizers: 2, open: 0, 'in-step': 2 });
    expect(renderReport(report, 'text')).toMatch(/-> all in step\n$/);
  });

  it.each(PLANTS)('%s', async (kind, plant) => {
    w = await startReconcileWorld();
    const number = await plant(w, active(w)[0]!);
    const report = await w.reconcileNow();
    expect(notInStep(report).map((f) => f.kind)).toEqual([kind]);
    expect(notInStep(report)[0]?.meetingNumber).toBe(number);
    expect(report.summary.open).toBe(kind === 'unmanaged' ? 0 : 1);
    expectInEveryFormat(report, kind, number);
  });

  it('finds meetings by number when the feed names them so', async () => {
    w = await startReconcileWorld(2, { feedNames: 'number' });
    const [m] = active(w);
    await w.platformEdit(m!, { topic: 'Renamed' });
    const report = await w.reconcileNow();
    expect(report.findings.map((f) => f.kind).sort()).toEqual(['in-step', 'topic-drift']);
  });
});

describe('reconcile --repair', () => {
  it('fixes drift, missing meetings and adoptable orphans; a second run finds all in step', async () => {
    w = await startReconcileWorld(4);
    const [a, b, c, d] = active(w) as [Mapping, Mapping, Mapping, Mapping];
    await w.platformEdit(a, { startTime: new Date(Date.parse(a.start) + 1_800_000).toISOString() });
    await w.platformEdit(b, { topic: 'Renamed by hand', startTime: new Date(Date.parse(b.start) - 3_600_000).toISOString() });
    await w.platform.deleteMeeting(c.userId, c.meetingId!);
    // d's meeting was deleted by hand and made again by hand with meetsync's reference in it.
    await w.platform.deleteMeeting(d.userId, d.meetingId!);
    const remade = await w.platformCreate(ALICE, { topic: 'Copied', agenda: agendaFor(d.marker), startTime: d.start, endTime: d.end });
    await w.platformCreate(ALICE, { topic: 'Board meeting' });
    const posts = w.sim.server.received('POST', '/api/v6/meeting').length;

    const report = await w.reconcileNow({ repair: {} });
    expect(notInStep(report).map((f) => [f.kind, f.repair?.outcome]).sort()).toEqual([
      ['missing', 'done'],
      ['orphan', 'done'],
      ['time-drift', 'done'],
      ['time-drift', 'done'],
      ['topic-drift', 'done'],
      ['unmanaged', undefined],
    ]);
    expect(report.summary).toMatchObject({ open: 0, repaired: 5 });
    // Exactly one new meeting (for c), its link written into c's event.
    expect(w.sim.server.received('POST', '/api/v6/meeting').length).toBe(posts + 1);
    const cNow = w.store.mapping(c)!;
    expect(cNow.meetingId).not.toBe(c.meetingId);
    expect(w.source.peek(c.calendarId, c.eventId)?.description).toContain(`Meeting number: ${cNow.meetingNumber}`);
    // d adopted the meeting carrying its reference, and its link replaced the dead one.
    expect(w.store.mapping(d)).toMatchObject({ meetingId: remade.id, state: 'active', writeBack: 'done' });
    expect(w.source.peek(d.calendarId, d.eventId)?.description).toContain(`Meeting number: ${remade.meetingNumber}`);
    // Drift repaired from the event: a and b are back at the event's time and topic.
    const meetings = new Map(w.sim.meetings().map((x) => [x.id, x]));
    expect(meetings.get(a.meetingId!)).toMatchObject({ startTime: a.start, endTime: a.end, topic: a.topic });
    expect(meetings.get(b.meetingId!)).toMatchObject({ startTime: b.start, topic: b.topic });
    expect(meetings.get(remade.id)).toMatchObject({ topic: d.topic });

    const again = await w.reconcileNow();
    expect(again.summary.open).toBe(0);
    expect(notInStep(again).map((f) => f.kind)).toEqual(['unmanaged']);
    expect(again.summary['in-step']).toBe(4);
  });

  it('adopts the meeting of a creation whose answer was lost, and writes its link back', async () => {
    w = await startReconcileWorld(1);
    const number = await PLANTS.find(([k]) => k === 'orphan')![1](w, active(w)[0]!);
    const report = await w.reconcileNow({ repair: {} });
    expect(report.findings.find((f) => f.kind === 'orphan')?.repair).toMatchObject({ action: 'adopt', outcome: 'done', meetingNumber: number });
    expect(w.store.mapping({ source: 'mem', calendarId: 'alice@example.com', eventId: 'lost-answer' })).toMatchObject({ state: 'active', meetingNumber: number, writeBack: 'done' });
    expect((await w.reconcileNow()).summary.open).toBe(0);
  });

  it('takes the event from its calendar as it is now, never from the feed or the database', async () => {
    w = await startReconcileWorld(1);
    const [m] = active(w) as [Mapping];
    await w.platformEdit(m, { startTime: '2026-12-24T08:00:00.000Z', endTime: '2026-12-24T09:00:00.000Z' });
    // The organizer renamed the event since the last sync cycle.
    w.source.patch(m.calendarId, m.eventId, { title: 'Budget review #webmeeting' });
    w.markWrites();
    await w.reconcileNow({ repair: {} });
    const puts = w.writes();
    expect(puts).toHaveLength(1);
    expect(JSON.parse(puts[0]!.body)).toMatchObject({ topic: 'Budget review', startTime: m.start, endTime: m.end });
    expect(w.store.mapping(m)?.topic).toBe('Budget review');
  });

  it('a meeting the feed does not list but the platform still has is updated, never made twice', async () => {
    w = await startReconcileWorld(1);
    // A feed that lags: the meeting made for a new event does not show in it yet.
    const from = new Date();
    w.source.put({ ...w.source.events('alice@example.com')[0]!, eventId: 'new', title: 'New #webmeeting' });
    await w.engine.runCycle();
    w.sim.lagFeed(from);
    w.advance(15 * 60_000);
    w.markWrites();
    const report = await w.reconcileNow({ repair: {} });
    expect(notInStep(report)).toEqual([expect.objectContaining({ kind: 'missing', repair: expect.objectContaining({ outcome: 'done', detail: 'the meeting exists after all (the feed did not list it); updated from the event' }) })]);
    expect(w.writes().map((x) => x.method)).toEqual(['PUT']);
  });

  it('--dry-run says what it would do and changes nothing anywhere', async () => {
    w = await startReconcileWorld(2);
    const [a, b] = active(w) as [Mapping, Mapping];
    await w.platformEdit(a, { topic: 'x' });
    await w.platform.deleteMeeting(b.userId, b.meetingId!);
    const before = { writes: w.writes().length, mappings: JSON.stringify(w.store.mappings()), writeBacks: w.source.writes };
    const report = await w.reconcileNow({ repair: { dryRun: true, deleteOrphans: true } });
    expect(notInStep(report).map((f) => f.repair?.outcome)).toEqual(['would', 'would']);
    expect(report.summary.open).toBe(2);
    expect({ writes: w.writes().length, mappings: JSON.stringify(w.store.mappings()), writeBacks: w.source.writes }).toEqual(before);
  });

  it('orphans and duplicates are listed, and deleted only with --delete-orphans and proof; the mapped meeting stays', async () => {
    w = await startReconcileWorld(2);
    const [m, gone] = active(w) as [Mapping, Mapping];
    const dup = await w.platformCreate(ALICE, { topic: m.topic, agenda: agendaFor(m.marker), startTime: m.start, endTime: m.end });
    // meetsync cancelled this event's meeting (the database says so), yet the platform still lists it.
    w.store.saveMapping({ ...gone, state: 'cancelled' });
    w.source.remove(gone.calendarId, gone.eventId);
    // A reference no record here has: what meetsync made with it is unknown, a person decides.
    const stray = await w.platformCreate(ALICE, { topic: 'Old', agenda: agendaFor('meetsync:99999999-9999-4999-8999-999999999999') });
    w.markWrites();
    const listed = await w.reconcileNow({ repair: {} });
    expect(notInStep(listed).map((f) => [f.kind, f.meetingId, f.repair?.outcome, f.repair?.detail ?? f.fixBlocked])).toEqual([
      ['duplicate', dup.id, 'skipped', 'listed only: run with --delete-orphans to delete this duplicate'],
      ['orphan', gone.meetingId, 'skipped', 'listed only: run with --delete-orphans to delete this orphan'],
      ['orphan', stray.id, undefined, expect.stringContaining('not deleted: no record in this database says what meetsync made')],
    ]);
    expect(w.writes()).toEqual([]);
    const deleted = await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(notInStep(deleted).map((f) => f.repair?.outcome)).toEqual(['done', 'done', undefined]);
    expect(w.writes().map((x) => `${x.method} ${x.path}`).sort()).toEqual([`DELETE /api/v6/meeting/${dup.id}`, `DELETE /api/v6/meeting/${gone.meetingId}`].sort());
    expect(w.sim.meetings().map((x) => x.id).sort()).toEqual([m.meetingId, stray.id].sort());
    expect((await w.reconcileNow()).summary.open).toBe(1);
  });
});

describe('reconcile: safety and limits', () => {
  it('an empty feed never makes meetings again (no proof they are gone)', async () => {
    w = await startReconcileWorld(2);
    const alice = w.sim.users().find((u) => u.email === ALICE)!;
    w.sim.server.inject({ kind: 'status', status: 200, count: 5, pathIncludes: alice.icsToken, body: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n', headers: { 'content-type': 'text/calendar' } });
    const report = await w.reconcileNow({ repair: { deleteOrphans: true } });
    expect(report.findings.map((f) => [f.kind, f.repair?.outcome])).toEqual([
      ['missing', 'skipped'],
      ['missing', 'skipped'],
    ]);
    expect(report.findings[0]?.repair?.detail).toBe('not repaired: the feed lists no meeting at all, which is no proof that every meeting is gone');
    expect(w.writes()).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an HTML error page', { kind: 'status', status: 200, body: '<html><body>Maintenance</body></html>' }, /is not iCalendar \(it is an HTML or XML page\)/],
    ['an empty body', { kind: 'status', status: 200, body: '' }, /is not iCalendar \(the body is empty\)/],
    ['a 404', { kind: 'status', status: 404, body: { responseCode: -99, responseMessage: 'calendar not found', data: null } }, /could not be read: HTTP 404, responseCode -99: calendar not found/],
    ['a 500, twice', { kind: 'status', status: 500, count: 2, body: { error: 'boom' } }, /could not be read: HTTP 500/],
  ])('a feed that is %s is one finding for that organizer; the others go on and nothing of hers is repaired', async (_name, fault, pattern) => {
    w = await startReconcileWorld(1);
    const alice = w.sim.users().find((u) => u.email === ALICE)!;
    const [m] = active(w) as [Mapping];
    await w.platformEdit(m, { topic: 'drifted' });
    w.sim.server.inject({ ...(fault as { kind: 'status'; status: number }), pathIncludes: alice.icsToken });
    w.markWrites();
    const logger = w.capturingLogger();
    const report = await w.reconcileNow({ repair: {}, logger });
    expect(report.findings.map((f) => [f.organizer, f.kind])).toEqual([[ALICE, 'feed-unreadable']]);
    expect(report.findings[0]?.detail).toMatch(pattern);
    expect(report.organizers.find((o) => o.email === BOB)?.feed.ok).toBe(true);
    expect(w.writes()).toEqual([]);
    for (const text of [...(['text', 'json', 'csv', 'html'] as const).map((f) => renderReport(report, f)), w.logs.join('')]) {
      expect(text).not.toContain(alice.icsToken);
      expect(text).not.toContain('/calender/user/');
    }
  });

  it('a feed of tens of megabytes is refused at the size limit', async () => {
    w = await startReconcileWorld(1);
    const alice = w.sim.users().find((u) => u.email === ALICE)!;
    w.sim.server.inject({ kind: 'status', status: 200, pathIncludes: alice.icsToken, body: `BEGIN:VCALENDAR\r\n${'X-FILLER:0123456789abcdef\r\n'.repeat(1_200_000)}END:VCALENDAR\r\n` });
    const started = Date.now();
    const report = await w.reconcileNow({ limits: { maxBytes: 16 * 1024 * 1024, attempts: 2, concurrency: 4 } });
    expect(report.findings.find((f) => f.organizer === ALICE)?.detail).toMatch(/^the meeting feed of alice@example.com is larger than 16 MiB; it was not read further/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a feed that never finishes is given up within its time limit, and the others go on', async () => {
    w = await startReconcileWorld(1);
    const alice = w.sim.users().find((u) => u.email === ALICE)!;
    w.sim.server.inject({ kind: 'stall-body', count: 2, pathIncludes: alice.icsToken });
    const { WebMeetingClient } = await import('../../src/webmeeting/client.js');
    const quick = new WebMeetingClient({ baseUrl: w.sim.url, apiKey: 'engine-test-api-key-0123456789', timeoutMs: 1000, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    const started = Date.now();
    const report = await w.reconcileNow({ platform: quick });
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(report.findings.map((f) => [f.organizer, f.kind])).toEqual([[ALICE, 'feed-unreadable']]);
    expect(report.findings[0]?.detail).toBe('the meeting feed of alice@example.com did not arrive within 1000 ms (tried 2 times); nothing was compared or repaired for alice@example.com');
    expect(report.organizers.map((o) => [o.email, o.feed.ok])).toEqual([[ALICE, false], [BOB, true]]);
  });

  it('an organizer the platform gives no feed is left out while meetsync holds no meeting of theirs', async () => {
    w = await startReconcileWorld(1);
    const dave = { email: 'dave@example.com', accountId: w.accountId, userId: 'dave', firstName: 'Dave', lastName: 'E', hasFeed: false, refreshedAt: w.now.toISOString() };
    w.store.upsertOrganizer(dave);
    expect((await w.reconcileNow()).organizers.map((o) => o.email)).toEqual([ALICE, BOB]);
    w.store.saveMapping({ ...active(w)[0]!, eventId: 'daves', organizerEmail: dave.email, marker: 'meetsync:dddddddd-0000-4000-8000-000000000001', meetingId: '5e94000000000000000000dd', meetingNumber: '1111-2222-3333-4444' });
    const report = await w.reconcileNow();
    expect(report.findings.filter((f) => f.organizer === dave.email).map((f) => [f.kind, f.detail])).toEqual([
      ['feed-unreadable', 'the platform gives no meeting feed (icsPath) for dave@example.com; nothing was compared or repaired for dave@example.com'],
    ]);
  });

  it('--organizer reconciles that organizer only', async () => {
    w = await startReconcileWorld(1);
    const report = await w.reconcileNow({ organizer: BOB });
    expect(report.organizers.map((o) => o.email)).toEqual([BOB]);
    expect(report.findings).toEqual([]);
  });
});
