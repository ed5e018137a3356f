import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { runReconciliation } from '../../src/reconcile/run.js';
import { silentLogger } from '../../src/log.js';
import { ownerOf } from '../../src/shard/hash.js';
import { configuredCalendars } from '../../src/shard/ownership.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import type { RecordedRequest } from '../../src/simulators/kit/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { buildStatus, renderStatus, statusNeedsAttention } from '../../src/status.js';
import type { CycleReport } from '../../src/sync/engine.js';

const API_KEY = 'resharding-api-key-0123456789';
const OAUTH = { clientId: 'reshard-client', clientSecret: 'reshard-google-secret', refreshToken: 'reshard-google-refresh' };
const GRAPH_APP = { tenantId: '5ead0000-0000-4000-8000-000000000001', clientId: '5ead0000-0000-4000-8000-0000000000c1', clientSecret: 'reshard~graph~secret' };
/** Each calendar belongs to its organizer: platform calls for it carry that organizer's user id. */
const GOOGLE = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gil', 'hue'].map((n) => `${n}@example.com`);
const OUTLOOK = ['ida', 'jon', 'kim', 'lou', 'max', 'ned'].map((n) => `${n}@example.org`);

interface Tagged {
  kind: 'google' | 'outlook';
  calendarId: string;
  eventId: string;
  /** Deleted by the user in phase 2. */
  deleted?: boolean;
}

/** Which of the 2 -> 3 shards owns a calendar: the hash, as the test computes it. */
const owner = (kind: 'google' | 'outlook', calendarId: string, count: number) =>
  ownerOf({ kind, source: kind === 'google' ? 'corp-google' : 'corp-m365', calendarId }, count);

/**
 * meetsync as a StatefulSet grown from 2 to 3 instances and back: each instance its own database,
 * all of them against the same Google, Graph and Web Meeting simulators (real googleapis, msal-node,
 * Graph client), configured as `meetsync run` would be (parseConfig + createApp).
 */
describe('re-sharding from 2 to 3 instances and back', () => {
  let google: GoogleCalendarSimulator;
  let graph: GraphSimulator;
  let wm: WebMeetingSimulator;
  let accountId: string;
  let dir: string;
  const userIds = new Map<string, string>();
  const events: Tagged[] = [];

  beforeAll(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: OUTLOOK });
    wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
    await Promise.all([google.start(), graph.start(), wm.start()]);
    const [first, ...rest] = [...GOOGLE, ...OUTLOOK];
    const { account, admin } = wm.seedAccount({ adminEmail: first! });
    accountId = account.id;
    userIds.set(first!, admin.id);
    for (const email of rest) userIds.set(email, wm.addUser(account.id, { email }).id);
    GOOGLE.forEach((cal, i) => {
      google.addCalendar(cal);
      const e = google.userInsert(cal, { summary: `Google ${i} #webmeeting`, start: { dateTime: `2030-04-0${1 + (i % 8)}T09:00:00Z` }, end: { dateTime: `2030-04-0${1 + (i % 8)}T10:00:00Z` } });
      events.push({ kind: 'google', calendarId: cal, eventId: e.id });
    });
    OUTLOOK.forEach((mailbox, i) => {
      const at = (h: string) => ({ dateTime: `2030-05-0${1 + i}T${h}:00:00`, timeZone: 'UTC' });
      const e = graph.userInsert(mailbox, { subject: `Outlook ${i} #webmeeting`, start: at('09'), end: at('10') });
      events.push({ kind: 'outlook', calendarId: mailbox, eventId: e.id });
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-reshard-'));
  }, 60_000);
  afterAll(async () => {
    await Promise.all([google?.stop(), graph?.stop(), wm?.stop()]);
  });

  async function instance(index: number, count: number, options: AppOptions = {}): Promise<App> {
    const text = `
database: ./shard-${index}.db
window: { pastDays: 1, futureDays: 3650 }
webMeeting: { baseUrl: ${wm.url}, apiKey: ${API_KEY}, accountIds: [${accountId}] }
shard: { count: ${count}, index: ${index} }
sources:
  - name: corp-google
    kind: google
    calendars: [${GOOGLE.join(', ')}]
    auth: { type: oauth, clientId: ${OAUTH.clientId}, clientSecret: ${OAUTH.clientSecret}, refreshToken: ${OAUTH.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
  - name: corp-m365
    kind: outlook
    mailboxes: [${OUTLOOK.join(', ')}]
    auth: { tenantId: ${GRAPH_APP.tenantId}, clientId: ${GRAPH_APP.clientId}, clientSecret: "${GRAPH_APP.clientSecret}" }
    graphBaseUrl: ${graph.url}
    authorityHost: ${graph.url}
`;
    return createApp(parseConfig(text, {}, dir), silentLogger(), options);
  }

  /** Runs one cycle of each instance in turn, with the requests each one made. */
  async function cycle(apps: App[]): Promise<Array<{ report: CycleReport; calls: RecordedRequest[] }>> {
    const runs = [];
    for (const app of apps) {
      const before = [google, graph, wm].map((s) => s.server.requests.length);
      const report = await app.engine.runCycle();
      const calls = [google, graph, wm].flatMap((s, i) => s.server.requests.slice(before[i]));
      runs.push({ report, calls });
    }
    return runs;
  }

  /** The calendar (or organizer, on the platform) a request was about. */
  function calendarOf(r: RecordedRequest): string | undefined {
    const user = r.headers['x-user-id'];
    if (user) return [...userIds].find(([, id]) => id === user)?.[0];
    return [...GOOGLE, ...OUTLOOK].find((c) => decodeURIComponent(r.path).includes(`/${c}/`));
  }

  /** The meeting id meetsync stamped on an event, read from the provider as it holds it. */
  function stampOf(e: Tagged): string | undefined {
    if (e.kind === 'google') return google.getEvent(e.calendarId, e.eventId)?.extendedProperties?.private?.meetsyncMeetingId;
    const value = graph.getEvent(e.calendarId, e.eventId)?.singleValueExtendedProperties?.[0]?.value;
    return value ? (JSON.parse(value) as { meetingId: string }).meetingId : undefined;
  }

  /** Every live tagged event has exactly one meeting: its stamp names it, no two share one, and no other meeting exists. */
  function expectOneMeetingEach(): void {
    const live = events.filter((e) => !e.deleted);
    const stamps = live.map(stampOf);
    expect(stamps.every((s) => s !== undefined)).toBe(true);
    expect(new Set(stamps).size).toBe(live.length);
    expect(wm.meetings().map((m) => m.id).sort()).toEqual([...stamps].sort());
  }

  const calendarWrites = (calls: RecordedRequest[]) => calls.filter((r) => r.method !== 'GET' && (r.path.includes('/calendar/v3/') || r.path.startsWith('/v1.0/')));
  const posts = (calls: RecordedRequest[]) => calls.filter((r) => r.method === 'POST' && r.path === '/api/v6/meeting');

  it('moves exactly the calendars the hash says, adopts their meetings on the new shard, and never touches them on the old one, not even by reconcile --repair', async () => {
    // Phase 1: two instances.
    const two = [await instance(0, 2), await instance(1, 2)];
    const first = await cycle(two);
    expect(first.map((r) => r.report.counts.created)).toEqual([0, 1].map((i) => events.filter((e) => owner(e.kind, e.calendarId, 2) === i).length));
    expect(first.every((r) => r.report.counts.failed === 0)).toBe(true);
    expectOneMeetingEach();
    const notificationsBefore = events.filter((e) => e.kind === 'outlook').map((e) => graph.notifications(e.calendarId, e.eventId).length);
    expect(notificationsBefore.every((n) => n === 1)).toBe(true);
    two.forEach((a) => a.close());

    // The calendars that move: those whose owner among 3 differs from their owner among 2. With
    // rendezvous hashing they all go to the new shard 2; this data moves some of each kind.
    const moved = events.filter((e) => owner(e.kind, e.calendarId, 2) !== owner(e.kind, e.calendarId, 3));
    expect(moved.every((e) => owner(e.kind, e.calendarId, 3) === 2)).toBe(true);
    expect(new Set(moved.map((e) => e.kind))).toEqual(new Set(['google', 'outlook']));
    const movedGoogle = moved.filter((e) => e.kind === 'google');
    const movedOutlook = moved.filter((e) => e.kind === 'outlook');
    const stayed = events.filter((e) => !moved.includes(e));

    // While scaling (no instance has read them since): events on moved calendars are moved and
    // renamed; one that stays is renamed. (An event DELETED in this window is the one case the new
    // owner cannot see: docs/scaling.md. Deletions are tested once the new owner holds the calendar.)
    google.userPatch(movedGoogle[0]!.calendarId, movedGoogle[0]!.eventId, { start: { dateTime: '2030-06-10T14:00:00Z' }, end: { dateTime: '2030-06-10T15:30:00Z' } });
    graph.userPatch(movedOutlook[0]!.calendarId, movedOutlook[0]!.eventId, { subject: 'Renamed on the move #webmeeting' });
    const renamedHome = stayed[0]!;
    if (renamedHome.kind === 'google') google.userPatch(renamedHome.calendarId, renamedHome.eventId, { summary: 'Renamed at home #webmeeting' });
    else graph.userPatch(renamedHome.calendarId, renamedHome.eventId, { subject: 'Renamed at home #webmeeting' });
    const meetingOf = (e: Tagged) => wm.meetings().find((m) => m.id === stampOf(e));

    // A dry run (or a report) under the new count changes nothing in the database: the lost
    // calendars keep their cursors until a real cycle's start releases them.
    const lostByOld = moved.find((e) => owner(e.kind, e.calendarId, 2) === 0)!;
    const dry = await instance(0, 3, { readOnly: true });
    expect(dry.store.calendarState(lostByOld.kind === 'google' ? 'corp-google' : 'corp-m365', lostByOld.calendarId).cursor).toBeDefined();
    dry.close();

    // Phase 2: three instances; 0 and 1 keep their databases, 2 starts empty.
    const three = [await instance(0, 3), await instance(1, 3), await instance(2, 3)];
    const second = await cycle(three);
    const [old0, old1, fresh] = second;
    expect(second.every((r) => r.report.counts.failed === 0)).toBe(true);
    expect(second.every((r) => r.report.calendars.every((c) => c.ok))).toBe(true);

    // Nothing was created anywhere: the new shard adopted every meeting of the calendars it took.
    expect(second.flatMap((r) => posts(r.calls))).toEqual([]);
    expect(fresh!.report.counts).toMatchObject({ adopted: moved.length, created: 0 });
    // Adopting costs one PUT per meeting (no calendar write): it brings a meeting whose event changed in step.
    expect(fresh!.calls.filter((r) => r.method === 'PUT')).toHaveLength(moved.length);
    expect(new Set(fresh!.report.calendars.map((c) => c.calendarId))).toEqual(new Set(moved.map((e) => e.calendarId)));
    expect(fresh!.report.calendars.every((c) => c.fullRead)).toBe(true);

    // The old owners made no call at all (calendar or platform) about a calendar they lost, and
    // read only their own; the new shard only its own.
    for (const [i, run] of [old0!, old1!, fresh!].entries()) {
      const touched = new Set(run.calls.map(calendarOf).filter((c) => c !== undefined));
      for (const c of touched) expect(owner(events.find((e) => e.calendarId === c)!.kind, c, 3), `shard ${i} called about ${c}`).toBe(i);
    }
    for (const e of moved) expect([old0!, old1!].flatMap((r) => r.calls).some((r) => calendarOf(r) === e.calendarId)).toBe(false);

    // Each change reached the platform once; the meetings follow their events.
    expect(meetingOf(movedGoogle[0]!)).toMatchObject({ startTime: '2030-06-10T14:00:00.000Z', endTime: '2030-06-10T15:30:00.000Z' });
    expect(meetingOf(movedOutlook[0]!)?.topic).toBe('Renamed on the move');
    expect(meetingOf(renamedHome)?.topic).toBe('Renamed at home');
    expectOneMeetingEach();

    // No join link was written again: no calendar write at all, and no second notification to attendees.
    expect(second.flatMap((r) => calendarWrites(r.calls))).toEqual([]);
    expect(events.filter((e) => e.kind === 'outlook' && !e.deleted).every((e) => graph.notifications(e.calendarId, e.eventId).length === 1)).toBe(true);

    // The old owner's status: the lost calendars belong to shard 2, dormant, not failing; their cursor is gone.
    const lost = moved.find((e) => owner(e.kind, e.calendarId, 2) === 0) ?? moved[0]!;
    const oldOwner = three[owner(lost.kind, lost.calendarId, 2)]!;
    const status = buildStatus(oldOwner.store, configuredCalendars(oldOwner.config));
    expect(status.calendars.find((c) => c.calendarId === lost.calendarId)).toMatchObject({ elsewhere: { shard: 2, count: 3 }, consecutiveFailures: 0 });
    expect(statusNeedsAttention(status)).toBe(false);
    expect(renderStatus(status)).toContain(`${lost.kind === 'google' ? 'corp-google' : 'corp-m365'} / ${lost.calendarId}: belongs to shard 2 of 3; not read here`);
    expect(oldOwner.store.calendarState(lost.kind === 'google' ? 'corp-google' : 'corp-m365', lost.calendarId).cursor).toBeUndefined();

    // A quiet second cycle: all in step, nothing written anywhere.
    const quiet = await cycle(three);
    expect(quiet.flatMap((r) => r.calls.filter((c) => c.method !== 'GET'))).toEqual([]);
    // What docs/scaling.md's quota arithmetic counts on: a quiet cycle reads each owned calendar once
    // (one events.list with its sync token, one delta GET) and asks the platform nothing.
    for (const [i, run] of quiet.entries()) {
      const owned = events.filter((e) => owner(e.kind, e.calendarId, 3) === i).length;
      expect(run.calls.filter((r) => r.path.startsWith('/api/'))).toEqual([]);
      expect(run.calls.filter((r) => calendarOf(r) !== undefined)).toHaveLength(owned);
    }

    // An event on a moved calendar is deleted: its new owner deletes the meeting, the old one does nothing.
    const deleted = movedGoogle[1] ?? movedOutlook[1]!;
    const deletedMeeting = meetingOf(deleted)!.id;
    if (deleted.kind === 'google') google.userDelete(deleted.calendarId, deleted.eventId);
    else graph.userDelete(deleted.calendarId, deleted.eventId);
    deleted.deleted = true;
    const cancelled = await cycle(three);
    expect(cancelled.map((r) => r.report.counts.cancelled)).toEqual([0, 0, 1]);
    expect(cancelled[2]!.calls.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(cancelled.slice(0, 2).flatMap((r) => r.calls).filter((r) => r.path.startsWith('/api/v6/meeting'))).toEqual([]);
    expect(wm.meetings().some((m) => m.id === deletedMeeting)).toBe(false);
    expectOneMeetingEach();

    // The old owner's dormant mapping still says that meeting is active. Its reconciliation, even
    // with --repair --delete-orphans, neither re-creates it ("missing") nor deletes the meetings
    // of the other shards (meetsync meetings it has no mapping of): it changes nothing.
    const formerOwner = three[owner(deleted.kind, deleted.calendarId, 2)]!;
    const before = wm.server.requests.length;
    const reconciled = await runReconciliation(formerOwner, { repair: { dryRun: false, deleteOrphans: true } });
    expect(wm.server.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(reconciled.findings.filter((f) => f.kind === 'missing' || f.kind === 'orphan')).toEqual([]);
    expect(reconciled.findings.some((f) => f.kind === 'unmanaged' && /no mapping of this shard claims it/.test(f.detail))).toBe(true);
    expectOneMeetingEach();
    three.forEach((a) => a.close());

    // Phase 3: back to two. The moved calendars return to owners whose mappings of them are stale
    // (a meeting moved, one renamed, one deleted meanwhile): they read fully and adopt again.
    const back = [await instance(0, 2), await instance(1, 2)];
    const third = await cycle(back);
    expect(third.every((r) => r.report.counts.failed === 0)).toBe(true);
    const calls = third.flatMap((r) => r.calls);
    expect(posts(calls)).toEqual([]);
    expect(calls.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(calendarWrites(calls)).toEqual([]);
    expect(third.reduce((n, r) => n + r.report.counts.adopted, 0)).toBe(moved.length - 1);
    expect(meetingOf(movedGoogle[0]!)).toMatchObject({ startTime: '2030-06-10T14:00:00.000Z' });
    expect(meetingOf(movedOutlook[0]!)?.topic).toBe('Renamed on the move');
    expectOneMeetingEach();
    back.forEach((a) => a.close());
  }, 120_000);
});
