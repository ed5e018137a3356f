import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GoogleSource, type GoogleSourceConfig } from '../../src/calendars/google/source.js';
import { CalendarAuthError, CalendarError, TimeoutError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import type { Fault, RecordedRequest } from '../../src/simulators/kit/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';

/**
 * Every outgoing call has a deadline (issue 7, point 5): a server that accepts the connection and
 * never answers (the kit's 'hang' fault), or stops half-way through the body ('stall-body'), ends
 * the call with one line naming what timed out and after how long, and never holds the cycle.
 * Real googleapis / google-auth-library and fetch against the simulators over https. Each test
 * has a vitest timeout a few times the injected deadline, so a hang fails instead of blocking.
 */

const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
const ALICE = 'alice@example.test';
const SERVICE_ACCOUNT = 'meetsync@meetsync-test.iam.gserviceaccount.com';
const OAUTH = { clientId: 'deadline-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-deadline-secret', refreshToken: '1//deadline-refresh' };
const window = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60 * 86_400_000) };
/** The deadline injected through the adapters' options. */
const DEADLINE_MS = 300;
/** A hang fails the test well before vitest's default 30 s. */
const TEST_TIMEOUT_MS = 5_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function googleSetUp(auth: 'oauth' | 'serviceAccount', overrides: Partial<GoogleSourceConfig> = {}) {
  const sim = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
  await sim.start();
  cleanups.push(() => sim.stop());
  sim.addCalendar(ALICE, { timeZone: 'Europe/Berlin' });
  let authConfig: GoogleSourceConfig['auth'] = { type: 'oauth', ...OAUTH };
  if (auth === 'serviceAccount') {
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-deadline-key-'));
    cleanups.push(() => rmSync(keyDir, { recursive: true, force: true }));
    const keyFile = path.join(keyDir, 'key.json');
    writeFileSync(keyFile, JSON.stringify(sim.createServiceAccountKey(SERVICE_ACCOUNT)), { mode: 0o600 });
    authConfig = { type: 'serviceAccount', keyFile };
  }
  const source = new GoogleSource({
    name: 'corp-google',
    calendars: [ALICE],
    auth: authConfig,
    rootUrl: sim.rootUrl,
    tokenUrl: sim.tokenUrl,
    configPath: 'sources[0]',
    requestTimeoutMs: DEADLINE_MS,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    ...overrides,
  });
  return { sim, source };
}

/** Runs `call`, expecting it to fail; returns the error and how long it took. */
async function timed(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

/**
 * Every request held by the fault was given up by the client: it closed the connection, not
 * long after the deadline (the server's clock starts later than the client's, after the TLS
 * handshake, so only the upper bound is tight). The client's error can arrive before the server
 * sees the close: wait a little.
 */
async function expectAbandoned(requests: () => RecordedRequest[], count: number): Promise<void> {
  for (let waited = 0; waited < 1_000 && requests().some((r) => r.abandonedAfterMs === undefined); waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(requests()).toHaveLength(count);
  for (const request of requests()) {
    expect(request.abandonedAfterMs).toBeDefined();
    expect(request.abandonedAfterMs!).toBeLessThan(DEADLINE_MS + 1_000);
  }
}

/** Two attempts, each given up at the deadline: no sooner, and not much later. */
function expectTwoDeadlines(ms: number): void {
  expect(ms).toBeGreaterThanOrEqual(2 * DEADLINE_MS - 5);
  expect(ms).toBeLessThan(2 * DEADLINE_MS + 2_000);
}

const hang = (over: Omit<Fault, 'kind'>): Fault => ({ kind: 'hang', count: 10, ...over });

describe('Google calls that never answer end at the deadline (real googleapis SDK)', () => {
  it.each(['oauth', 'serviceAccount'] as const)(
    'a token endpoint that never answers (%s) is a transient CalendarError naming the token request and the deadline',
    async (auth) => {
      const { sim, source } = await googleSetUp(auth);
      sim.server.inject(hang({ method: 'POST', pathIncludes: '/token' }));

      const { error, ms } = await timed(() => source.readChanges(ALICE, null, window));

      expect(error).toBeInstanceOf(CalendarError);
      expect(error).not.toBeInstanceOf(CalendarAuthError);
      const flow = auth === 'oauth' ? 'OAuth refresh-token grant' : 'service-account JWT grant';
      expect((error as Error).message).toBe(
        `Google token endpoint (${flow} for ${ALICE}) timed out after ${DEADLINE_MS} ms`,
      );
      expect((error as Error).cause).toBeInstanceOf(TimeoutError);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('POST', '/token'), 2);
      expect(sim.server.received('GET')).toHaveLength(0);

      // Transient: once the endpoint answers again, the same source reads the calendar.
      sim.server.clearFaults();
      await expect(source.readChanges(ALICE, null, window)).resolves.toMatchObject({ full: true });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a calendar read (events.list) that never answers is a CalendarError naming the call and the deadline',
    async () => {
      const { sim, source } = await googleSetUp('oauth');
      sim.server.inject(hang({ method: 'GET', pathIncludes: '/events' }));

      const { error, ms } = await timed(() => source.readChanges(ALICE, null, window));

      expect(error).toBeInstanceOf(CalendarError);
      expect((error as Error).message).toBe(`Google events.list for ${ALICE} timed out after ${DEADLINE_MS} ms (after 2 attempts)`);
      expect((error as Error).cause).toBeInstanceOf(TimeoutError);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('GET', '/events'), 2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a calendar read whose body stops half-way ends at the deadline too',
    async () => {
      const { sim, source } = await googleSetUp('oauth');
      sim.userInsert(ALICE, { summary: 'Planning', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } });
      sim.server.inject({ kind: 'stall-body', count: 10, method: 'GET', pathIncludes: '/events' });

      const { error, ms } = await timed(() => source.readChanges(ALICE, null, window));

      expect((error as Error).message).toBe(`Google events.list for ${ALICE} timed out after ${DEADLINE_MS} ms (after 2 attempts)`);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('GET', '/events'), 2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an events.get that never answers ends at the deadline with an error, not as a deleted event',
    async () => {
      const { sim, source } = await googleSetUp('oauth');
      const event = sim.userInsert(ALICE, { summary: 'Planning', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } });
      sim.server.inject(hang({ method: 'GET', pathIncludes: `/events/${event.id}` }));

      const { error, ms } = await timed(() => source.getEvent(ALICE, event.id));

      expect(error).toBeInstanceOf(CalendarError);
      expect((error as Error).message).toBe(`Google events.get for ${ALICE} timed out after ${DEADLINE_MS} ms (after 2 attempts)`);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('GET', `/events/${event.id}`), 2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an events.patch (join link write-back) that never answers ends at the deadline',
    async () => {
      const { sim, source } = await googleSetUp('oauth');
      const event = sim.userInsert(ALICE, { summary: 'Planning', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } });
      sim.server.inject(hang({ method: 'PATCH' }));

      const details = { meetingId: '0123456789abcdef01234567', meetingNumber: '1111-2222-3333-4444', joinUrl: 'https://meet.example.test/meeting/1111-2222-3333-4444' };
      const { error, ms } = await timed(() => source.writeJoinDetails(ALICE, event.id, details));

      expect(error).toBeInstanceOf(CalendarError);
      expect((error as Error).message).toBe(`Google events.patch for ${ALICE} timed out after ${DEADLINE_MS} ms (after 2 attempts)`);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('PATCH'), 2);
      expect(sim.getEvent(ALICE, event.id)?.description ?? '').toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a stalled token endpoint in a whole cycle', () => {
  it(
    'fails the calendar with the timeout, keeps its cursor, and the next cycle reads on from it',
    async () => {
      const { sim, source } = await googleSetUp('oauth');
      const store = Store.open(':memory:');
      cleanups.push(() => store.close());
      const wm = new WebMeetingSimulator({ apiKey: 'deadline-api-key', tls });
      await wm.start();
      cleanups.push(() => wm.stop());
      const platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: 'deadline-api-key', timeoutMs: DEADLINE_MS, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
      const engine = new SyncEngine({ store, platform, sources: [source], settings: settings(), logger: silentLogger() });
      await engine.runCycle();
      const cursor = store.calendarState('corp-google', ALICE).cursor;
      expect(cursor).toBeTruthy();
      // The access token dies; its refresh meets a token endpoint that never answers.
      sim.expireAccessTokens();
      sim.server.inject(hang({ method: 'POST', pathIncludes: '/token' }));

      const started = Date.now();
      const report = await engine.runCycle();

      expectTwoDeadlines(Date.now() - started);
      expect(report.calendars).toEqual([
        expect.objectContaining({ ok: false, authError: false, error: expect.stringMatching(/^Google token endpoint .* timed out after 300 ms/) }),
      ]);
      const state = store.calendarState('corp-google', ALICE);
      expect(state).toMatchObject({ cursor, consecutiveFailures: 1 });

      sim.server.clearFaults();
      const next = await engine.runCycle();
      expect(next.calendars).toEqual([expect.objectContaining({ ok: true })]);
      expect(sim.server.received('GET', '/events').at(-1)?.query.syncToken).toBe(cursor);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('Web Meeting calls that stall end at the deadline (fetch)', () => {
  async function wmSetUp() {
    const sim = new WebMeetingSimulator({ apiKey: 'deadline-api-key', tls });
    await sim.start();
    cleanups.push(() => sim.stop());
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const client = new WebMeetingClient({ baseUrl: sim.url, apiKey: 'deadline-api-key', timeoutMs: DEADLINE_MS, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    return { sim, client, icsPath: admin.icsPath };
  }

  it.each([
    ['never answers', 'hang'],
    ['stops half-way through its body', 'stall-body'],
  ] as const)(
    'an ICS feed that %s is a TimeoutError naming the feed (token hidden) and the deadline',
    async (_, kind) => {
      const { sim, client, icsPath } = await wmSetUp();
      sim.server.inject({ kind, count: 10, pathIncludes: '/calender/user/' });

      const { error, ms } = await timed(() => client.readFeed(icsPath, 'ann@example.com'));

      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe(`GET /api/v6/meeting/calender/user/[redacted] timed out after ${DEADLINE_MS} ms`);
      expectTwoDeadlines(ms);
      await expectAbandoned(() => sim.server.received('GET', '/calender/user/'), 2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an API answer that stops half-way through its body is a TimeoutError too',
    async () => {
      const { sim, client } = await wmSetUp();
      const accountId = sim.accounts()[0]!.id;
      sim.server.inject({ kind: 'stall-body', count: 10, method: 'GET', pathIncludes: '/account/admin/' });

      const { error } = await timed(() => client.listAccountAdmins(accountId));

      expect(error).toBeInstanceOf(TimeoutError);
      await expectAbandoned(() => sim.server.received('GET', '/account/admin/'), 2);
    },
    TEST_TIMEOUT_MS,
  );
});
