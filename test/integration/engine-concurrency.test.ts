import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { OutlookSource } from '../../src/calendars/outlook/source.js';
import type { RateLimit } from '../../src/net/request-rate.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import type { RecordedRequest } from '../../src/simulators/kit/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';

const API_KEY = 'engine-concurrency-api-key';
const OAUTH = { clientId: 'cid', clientSecret: 'engine-concurrency-google-secret', refreshToken: 'engine-concurrency-google-refresh' };
const GRAPH_APP = { tenantId: '0c0ffee0-0000-4000-8000-00000000c0c0', clientId: '1d2e3f40-5555-4666-8777-88889999c0c0', clientSecret: 'engine~concurrency~secret' };
const CALENDARS = Array.from({ length: 6 }, (_, i) => `g${i}@example.com`);
const MAILBOXES = Array.from({ length: 3 }, (_, i) => `m${i}@example.com`);
const RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** The most requests among `requests` that arrived within any `windowMs` (a sliding window). */
function busiestWindow(requests: readonly RecordedRequest[], windowMs: number): number {
  const at = requests.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j += 1) {
    while (at[j]! - at[i]! >= windowMs) i += 1;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/**
 * Concurrent reads through the real adapters (googleapis, msal-node and the Graph client)
 * against the simulators, with latency so that requests in flight can be seen: calendars are
 * read side by side, never more than 4 requests at once on one mailbox, request rates stay under
 * the configured limit, and a credential failure while reads are in flight moves no cursor.
 */
describe('sync engine reading calendars concurrently', () => {
  let google: GoogleCalendarSimulator;
  let graph: GraphSimulator;
  let wm: WebMeetingSimulator;
  let store: Store;
  let platform: WebMeetingClient;
  let accountId: string;

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH], latencyMs: 40 });
    graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: MAILBOXES, latencyMs: 40 });
    wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
    await Promise.all([google.start(), graph.start(), wm.start()]);
    for (const c of CALENDARS) google.addCalendar(c, { timeZone: 'Europe/Berlin' });
    const { account } = wm.seedAccount({ adminEmail: CALENDARS[0]! });
    for (const email of [...CALENDARS.slice(1), ...MAILBOXES]) wm.addUser(account.id, { email });
    accountId = account.id;
    platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: API_KEY, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    store = Store.open(':memory:');
    await refreshOrganizers(platform, store, [account.id], new Date());
  });
  afterEach(async () => {
    store.close();
    await Promise.all([google.stop(), graph.stop(), wm.stop()]);
  });

  function engineWith(options: { googleRate?: RateLimit; graphRate?: RateLimit; graphPageSize?: number; concurrency?: number } = {}): SyncEngine {
    const googleSource = new GoogleSource({
      name: 'corp-google',
      calendars: CALENDARS,
      auth: { type: 'oauth', ...OAUTH },
      rootUrl: google.rootUrl,
      tokenUrl: google.tokenUrl,
      retry: RETRY,
      ...(options.googleRate ? { rateLimit: options.googleRate } : {}),
    });
    const outlook = new OutlookSource({
      name: 'corp-m365',
      mailboxes: MAILBOXES,
      auth: GRAPH_APP,
      graphBaseUrl: graph.url,
      authorityHost: graph.url,
      retry: RETRY,
      ...(options.graphPageSize ? { pageSize: options.graphPageSize } : {}),
      ...(options.graphRate ? { rateLimit: options.graphRate } : {}),
    });
    const concurrency = options.concurrency ?? 4;
    return new SyncEngine({
      store,
      platform,
      sources: [googleSource, outlook],
      settings: settings({ accountIds: [accountId], window: { pastDays: 1, futureDays: 3650 }, readConcurrency: { 'corp-google': concurrency, 'corp-m365': concurrency } }),
      logger: silentLogger(),
    });
  }

  const googleEvent = (calendarId: string, summary: string, day = 26) =>
    google.userInsert(calendarId, {
      summary,
      start: { dateTime: `2030-03-${day}T09:00:00+01:00`, timeZone: 'Europe/Berlin' },
      end: { dateTime: `2030-03-${day}T10:00:00+01:00`, timeZone: 'Europe/Berlin' },
      organizer: { email: calendarId },
    });
  const outlookEvent = (mailbox: string, subject: string, day = 25) =>
    graph.userInsert(mailbox, {
      subject,
      start: { dateTime: `2030-03-${day}T09:00:00`, timeZone: 'W. Europe Standard Time' },
      end: { dateTime: `2030-03-${day}T10:00:00`, timeZone: 'W. Europe Standard Time' },
    });
  const calendarsInOrder = [...CALENDARS.map((c) => `corp-google/${c}`), ...MAILBOXES.map((m) => `corp-m365/${m}`)];
  const cursors = () => store.calendarStates().map((s) => `${s.source}/${s.calendarId} ${s.cursor ?? '-'}`);

  it('reads calendars side by side, at most `concurrency` Google reads and 4 requests per mailbox at once, and reports them in order', async () => {
    for (const c of CALENDARS) googleEvent(c, 'Planning');
    // Every item of the first Outlook round comes stripped: the reader fetches each one, 4 at a time at most.
    for (let i = 0; i < 10; i += 1) outlookEvent(MAILBOXES[0]!, `Standup ${i}`, 10 + i);
    graph.injectStrippedDelta(MAILBOXES[0]!, { all: true });
    const engine = engineWith({ concurrency: 4 });

    // Samples the Graph simulator while the cycle runs: mailboxes with a request in flight at once.
    let mailboxesAtOnce = 0;
    const sampler = setInterval(() => {
      mailboxesAtOnce = Math.max(mailboxesAtOnce, MAILBOXES.filter((m) => graph.concurrency(m).inFlight > 0).length);
    }, 2);
    const first = await engine.runCycle().finally(() => clearInterval(sampler));

    expect(first.calendars.map((c) => `${c.source}/${c.calendarId}`)).toEqual(calendarsInOrder);
    expect(first.calendars.every((c) => c.ok && c.fullRead)).toBe(true);
    const seen = google.concurrency();
    expect(seen.max, 'Google requests in flight at once').toBeGreaterThan(1);
    expect(seen.max, 'Google requests in flight at once (concurrency 4)').toBeLessThanOrEqual(4);
    expect(Object.values(seen.maxByCalendar).every((n) => n === 1), 'one read per calendar at a time').toBe(true);
    expect(mailboxesAtOnce, 'mailboxes read at the same time').toBeGreaterThan(1);
    expect(graph.server.requests.filter((r) => r.method === 'GET' && r.path.includes(`/users/${MAILBOXES[0]}/calendar/events/`)).length, 'stripped items fetched one by one').toBeGreaterThanOrEqual(10);
    for (const m of MAILBOXES) expect(graph.concurrency(m).max, `requests in flight on ${m}`).toBeLessThanOrEqual(4);
    expect(graph.concurrency(MAILBOXES[0]!).max, 'stripped items of one mailbox fetched side by side').toBeGreaterThan(1);

    // A cycle without changes: one read per calendar, all side by side, nothing else.
    google.resetConcurrency();
    const before = google.server.requests.length;
    const quiet = await engine.runCycle();
    expect(quiet.calendars.every((c) => c.ok && !c.fullRead)).toBe(true);
    expect(quiet.counts.created + quiet.counts.updated + quiet.counts.cancelled).toBe(0);
    expect(google.server.requests.length - before).toBe(CALENDARS.length);
    expect(google.concurrency().max).toBeGreaterThan(1);
  });

  it('keeps Google requests per user and Graph requests per mailbox under the configured rate', async () => {
    // OAuth: every calendar counts against the one user; 2 requests in 2 s for 6 calendars.
    const googleRate = { limit: 2, intervalMs: 2_000 };
    // Small pages: one mailbox's read is 5 requests, 2 in 2 s at most.
    for (let i = 0; i < 8; i += 1) outlookEvent(MAILBOXES[1]!, `Review ${i}`, 10 + i);
    const graphRate = { limit: 2, intervalMs: 2_000 };
    const engine = engineWith({ googleRate, graphRate, graphPageSize: 2, concurrency: 8 });

    const report = await engine.runCycle();

    expect(report.calendars.every((c) => c.ok)).toBe(true);
    const calendarApi = google.server.requests.filter((r) => r.path.startsWith('/calendar/v3/'));
    expect(calendarApi).toHaveLength(CALENDARS.length);
    // Measured where the requests arrive, over half the window: a loaded machine may delay one
    // request (a new TLS connection) more than the next. A token bucket of the quota lets a full
    // bucket through at once, then one request per limit/interval: 2 + 1 in half a window here.
    // Unlimited, all 6 (and all of the mailbox's 5) arrive within it.
    const halfWindowMost = (rate: RateLimit) => rate.limit + rate.limit / 2;
    expect(busiestWindow(calendarApi, googleRate.intervalMs / 2)).toBeLessThanOrEqual(halfWindowMost(googleRate));
    const mailboxCalls = graph.server.requests.filter((r) => decodeURIComponent(r.path).includes(`/users/${MAILBOXES[1]}`));
    expect(mailboxCalls.length).toBeGreaterThan(halfWindowMost(graphRate));
    expect(busiestWindow(mailboxCalls, graphRate.intervalMs / 2)).toBeLessThanOrEqual(halfWindowMost(graphRate));
  }, 30_000);

  it('moves no cursor when the platform refuses the API key while other calendars are being read', async () => {
    const engine = engineWith({ concurrency: 4 });
    await engine.runCycle();
    const cursorsBefore = cursors();
    for (const c of CALENDARS) googleEvent(c, `Planning ${c} #webmeeting`);
    for (const m of MAILBOXES) outlookEvent(m, `Standup ${m} #webmeeting`);
    wm.server.inject({ kind: 'status', status: 401, body: { responseCode: -1, responseMessage: 'API key not valid', data: null }, count: 1_000, pathIncludes: '/api/v6/' });

    const halted = await engine.runCycle();

    expect(halted.halted?.credential).toBe(true);
    expect(halted.calendars.map((c) => `${c.source}/${c.calendarId}`)).toEqual(calendarsInOrder);
    expect(halted.calendars.every((c) => !c.ok)).toBe(true);
    expect(cursors(), 'cursors after the halt').toEqual(cursorsBefore);
    expect(google.concurrency().inFlight + MAILBOXES.reduce((n, m) => n + graph.concurrency(m).inFlight, 0), 'reads still in flight after the cycle').toBe(0);
    expect(wm.meetings()).toEqual([]);

    // The key works again: every change is still there to be read, and each event gets one meeting.
    wm.server.clearFaults();
    const next = await engine.runCycle();
    expect(next.halted).toBeUndefined();
    expect(next.counts.created).toBe(CALENDARS.length + MAILBOXES.length);
    expect(wm.meetings()).toHaveLength(CALENDARS.length + MAILBOXES.length);
    expect(new Set(wm.meetings().map((m) => m.topic)).size).toBe(CALENDARS.length + MAILBOXES.length);
  });

  it('stops after the calendar in progress when asked, with no read left in flight', async () => {
    const engine = engineWith({ concurrency: 4 });
    let done = 0;
    const report = await engine.runCycle({ shouldStop: () => done > 0, onCalendar: () => (done += 1) });

    expect(report.calendars.map((c) => c.calendarId)).toEqual([CALENDARS[0]]);
    expect(google.concurrency().inFlight).toBe(0);
    expect(store.calendarStates().map((s) => s.calendarId)).toEqual([CALENDARS[0]]);
  });
});
