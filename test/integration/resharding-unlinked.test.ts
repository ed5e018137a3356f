import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { ownerOf } from '../../src/shard/hash.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';

const API_KEY = 'reshard-unlinked-api-key-0123456789';
const OAUTH = { clientId: 'unlinked-client', clientSecret: 'unlinked-google-secret', refreshToken: 'unlinked-google-refresh' };
const SOURCE = 'corp-google';
/** A calendar that moves from shard 0 or 1 of 2 to shard 2 of 3 (rendezvous hashing sends every mover to the new shard). */
const CALENDAR = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gil', 'hue']
  .map((n) => `${n}@example.com`)
  .find((c) => ownerOf({ kind: 'google', source: SOURCE, calendarId: c }, 2) !== ownerOf({ kind: 'google', source: SOURCE, calendarId: c }, 3))!;

/**
 * A calendar moves to a new shard while its meeting's link has not reached its event: the
 * creation's answer was lost, or the write-back failed. The event carries no stamp to adopt the
 * meeting by, so the new owner finds it in the organizer's feed by the event's reference (the
 * marker in the meeting's agenda, sync/markers.ts) instead of creating a second one.
 */
describe('a calendar moving to a new shard with a meeting whose link never reached the event', () => {
  let google: GoogleCalendarSimulator;
  let wm: WebMeetingSimulator;
  let accountId: string;
  let dir: string;
  let eventId: string;
  const apps: App[] = [];

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
    await Promise.all([google.start(), wm.start()]);
    accountId = wm.seedAccount({ adminEmail: CALENDAR }).account.id;
    google.addCalendar(CALENDAR);
    eventId = google.userInsert(CALENDAR, { summary: 'Planning #webmeeting', start: { dateTime: '2030-04-01T09:00:00Z' }, end: { dateTime: '2030-04-01T10:00:00Z' } }).id;
    dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-unlinked-'));
  });
  afterEach(async () => {
    apps.splice(0).forEach((a) => a.close());
    await Promise.all([google.stop(), wm.stop()]);
  });

  async function instance(index: number, count: number): Promise<App> {
    const text = `
database: ./shard-${index}-of-${count}.db
window: { pastDays: 1, futureDays: 3650 }
webMeeting: { baseUrl: ${wm.url}, apiKey: ${API_KEY}, accountIds: [${accountId}] }
shard: { count: ${count}, index: ${index} }
sources:
  - name: ${SOURCE}
    kind: google
    calendars: [${CALENDAR}]
    auth: { type: oauth, clientId: ${OAUTH.clientId}, clientSecret: ${OAUTH.clientSecret}, refreshToken: ${OAUTH.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
`;
    const app = await createApp(parseConfig(text, {}, dir), silentLogger());
    apps.push(app);
    return app;
  }

  const stamp = () => google.getEvent(CALENDAR, eventId)?.extendedProperties?.private?.meetsyncMeetingId;
  const posts = () => wm.server.received('POST', '/api/v6/meeting').length;

  it.each([
    ['the write-back failed', () => google.server.inject({ kind: 'status', status: 500, method: 'PATCH', count: 1_000 })],
    ["the creation's answer was lost", () => wm.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' })],
  ])('%s: the new owner adopts the meeting and writes its link; nothing is created twice', async (_case, fail) => {
    const oldOwner = await instance(ownerOf({ kind: 'google', source: SOURCE, calendarId: CALENDAR }, 2), 2);
    fail();
    await oldOwner.engine.runCycle();
    google.server.clearFaults();
    wm.server.clearFaults();
    expect(wm.meetings()).toHaveLength(1);
    expect(stamp()).toBeUndefined();
    const made = wm.meetings()[0]!.id;

    const newOwner = await instance(2, 3);
    const postsBefore = posts();
    const report = await newOwner.engine.runCycle();

    expect(posts() - postsBefore).toBe(0);
    expect(report.counts).toMatchObject({ adopted: 1, created: 0, failed: 0 });
    expect(report.outcomes[0]!.reason).toMatch(/found in the organizer's feed by the event's reference/);
    expect(wm.meetings().map((m) => m.id)).toEqual([made]);
    expect(stamp()).toBe(made);
    // In step from now on: a quiet cycle asks nothing of the platform.
    const before = wm.server.requests.length;
    await newOwner.engine.runCycle();
    expect(wm.server.requests.length).toBe(before);
  });
});
