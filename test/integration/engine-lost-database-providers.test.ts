import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { OutlookSource } from '../../src/calendars/outlook/source.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';

const OAUTH = { clientId: 'cid', clientSecret: 'lost-db-google-secret', refreshToken: 'lost-db-google-refresh' };
const GRAPH_APP = { tenantId: '0c0ffee0-0000-4000-8000-00000000cafe', clientId: '1d2e3f40-5555-4666-8777-88889999cafe', clientSecret: 'lost~db~graph~secret' };
const API_KEY = 'lost-db-api-key-0123456789';
const ALICE = 'alice@example.com';
/** Organizers the platform does not have until provisioning makes them: one on Google, one on Outlook. */
const DAN = 'dan@example.com';
const ERIN = 'erin@example.com';
const PROVISIONING = { enabled: true, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2031-12-31T00:00:00.000Z' };

/**
 * Issue 15, finding 6, through the real googleapis and Graph clients against the simulators: the
 * stamp's user and account ids survive the providers' round trips (a Google private extended
 * property, a Graph single-value extended property), and a lost database is rebuilt from them
 * for organizers that provisioning created.
 */
describe('a lost database, provisioned organizers, Google and Outlook', () => {
  let google: GoogleCalendarSimulator;
  let graph: GraphSimulator;
  let wm: WebMeetingSimulator;
  let platform: WebMeetingClient;
  let sources: [GoogleSource, OutlookSource];
  let accountId: string;
  const stores: Store[] = [];

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: [ERIN] });
    wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
    await Promise.all([google.start(), graph.start(), wm.start()]);
    google.addCalendar(DAN, { timeZone: 'Europe/Berlin' });
    accountId = wm.seedAccount({ adminEmail: ALICE }).account.id;
    platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: API_KEY, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    sources = [
      new GoogleSource({
        name: 'corp-google',
        calendars: [DAN],
        auth: { type: 'oauth', ...OAUTH },
        rootUrl: google.rootUrl,
        tokenUrl: google.tokenUrl,
        retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      }),
      new OutlookSource({
        name: 'corp-m365',
        mailboxes: [ERIN],
        auth: GRAPH_APP,
        graphBaseUrl: graph.url,
        authorityHost: graph.url,
        configPath: 'sources[1]',
        retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      }),
    ];
  });
  afterEach(async () => {
    stores.splice(0).forEach((s) => s.close());
    await Promise.all([google.stop(), graph.stop(), wm.stop()]);
  });

  /** An engine on a new database that knows what the configured account lists (Alice only). */
  async function engineOnNewDatabase(): Promise<{ engine: SyncEngine; store: Store }> {
    const store = Store.open(':memory:');
    stores.push(store);
    await refreshOrganizers(platform, store, [accountId], new Date());
    const engine = new SyncEngine({
      store,
      platform,
      sources,
      settings: settings({ accountIds: [accountId], provisioning: PROVISIONING, window: { pastDays: 1, futureDays: 3650 } }),
      logger: silentLogger(),
    });
    return { engine, store };
  }

  it('adopts their meetings from the stamps, follows their moves and deletions, with no POST /account and no second meeting', async () => {
    const berlin = (date: string, time: string) => ({ dateTime: `${date}T${time}:00`, timeZone: 'W. Europe Standard Time' });
    const dans = google.userInsert(DAN, {
      summary: 'Roadmap #webmeeting',
      start: { dateTime: '2030-03-25T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-25T10:00:00+01:00', timeZone: 'Europe/Berlin' },
    });
    const erins = graph.userInsert(ERIN, { subject: 'Budget #webmeeting', start: berlin('2030-03-26', '09:00'), end: berlin('2030-03-26', '10:00') });
    const before = await engineOnNewDatabase();
    const first = await before.engine.runCycle();
    expect(first.counts).toMatchObject({ created: 2 });
    expect(wm.server.received('POST', '/api/v6/account')).toHaveLength(2);
    const dan = before.store.organizer(DAN)!;
    expect(google.getEvent(DAN, dans.id)?.extendedProperties?.private).toMatchObject({ meetsyncUserId: dan.userId, meetsyncAccountId: dan.accountId });

    const after = await engineOnNewDatabase(); // the database is lost
    google.userPatch(DAN, dans.id, {
      start: { dateTime: '2030-03-27T14:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-27T15:00:00+01:00', timeZone: 'Europe/Berlin' },
    });
    graph.userPatch(ERIN, erins.id, { start: berlin('2030-03-28', '14:00'), end: berlin('2030-03-28', '15:00') });
    const rebuilt = await after.engine.runCycle();
    expect(rebuilt.counts).toMatchObject({ adopted: 2, created: 0 });
    expect(rebuilt.problems).toEqual([]);
    expect(wm.meetings().map((m) => m.startTime).sort()).toEqual(['2030-03-27T13:00:00.000Z', '2030-03-28T13:00:00.000Z']);

    google.userDelete(DAN, dans.id);
    graph.userDelete(ERIN, erins.id);
    const gone = await after.engine.runCycle();
    expect(gone.counts).toMatchObject({ cancelled: 2 });
    expect(wm.meetings()).toEqual([]);
    expect(wm.server.received('POST', '/api/v6/account'), 'POST /account in all').toHaveLength(2);
    expect(wm.server.received('POST', '/api/v6/meeting'), 'POST /meeting in all').toHaveLength(2);
  });
});
