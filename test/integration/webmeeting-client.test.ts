import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MalformedResponseError, NetworkError, PlatformError, TimeoutError } from '../../src/domain/errors.js';
import type { MeetingSpec } from '../../src/domain/meeting.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingClient, type RetryEvent, type WebMeetingClientOptions } from '../../src/webmeeting/client.js';
import { failure } from '../support/rejection.js';

/**
 * The client against the Web Meeting simulator over real https. Assertions are on what the
 * simulator RECEIVED (method, path, headers, body) and on how many requests arrived.
 */

const API_KEY = 'wm-test-key-5b1e0c7d9a2f4e68b3c1';
const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);

let sim: WebMeetingSimulator;
let retries: RetryEvent[];

beforeEach(async () => {
  sim = new WebMeetingSimulator({ apiKey: API_KEY, tls });
  await sim.start();
  retries = [];
});

afterEach(async () => {
  await sim.stop();
});

function client(options: Partial<WebMeetingClientOptions> = {}): WebMeetingClient {
  return new WebMeetingClient({
    baseUrl: sim.url,
    apiKey: API_KEY,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    timeoutMs: 5_000,
    onRetry: (event) => retries.push(event),
    ...options,
  });
}

const spec: MeetingSpec = {
  topic: 'Planning',
  startTime: '2030-04-07T09:00:00.000Z',
  endTime: '2030-04-07T10:00:00.000Z',
  agenda: 'Agenda text [meetsync:abc]',
  type: 'standard',
  isRecorded: false,
  isDialin: false,
  recurrence: null,
  timeZone: 'Europe/Zurich',
};

function organizer(email = 'ann@example.com'): { id: string; icsPath: string } {
  const { admin } = sim.seedAccount({ adminEmail: email });
  return { id: admin.id, icsPath: admin.icsPath };
}

const json = (body: string): Record<string, unknown> => JSON.parse(body) as Record<string, unknown>;

describe('documented calls (tutorial)', () => {
  it('creates an account and reads its admin', async () => {
    const wm = client();
    const account = await wm.createAccount({
      adminEmail: 'test-user@example.com',
      adminFirstname: 'Test',
      adminLastname: 'User',
      accountType: 'trial',
      adminPreferredLanguage: 'en',
      sendPassword: true,
      paidUntil: '2030-04-19T19:03:41.203Z',
    });
    expect(account.id).toMatch(/^[0-9a-f]{24}$/);
    const [post] = sim.server.received('POST', '/api/v6/account');
    expect(post?.headers['x-api-key']).toBe(API_KEY);
    expect(post?.headers['content-type']).toBe('application/json');
    expect(json(post!.body)).toEqual({
      sendPassword: true,
      accountType: 'trial',
      adminFirstname: 'Test',
      adminLastname: 'User',
      adminEmail: 'test-user@example.com',
      adminPreferredLanguage: 'en',
      paidUntil: '2030-04-19T19:03:41.203Z',
    });

    const admins = await wm.listAccountAdmins(account.id);
    expect(sim.server.received('GET', `/api/v6/account/admin/${account.id}`)).toHaveLength(1);
    expect(admins).toHaveLength(1);
    expect(admins[0]).toMatchObject({ accountId: account.id, email: 'test-user@example.com', firstName: 'Test', lastName: 'User' });
    expect(admins[0]?.icsPath).toMatch(/^\/api\/v6\/meeting\/calender\/user\/.+/);
    expect(admins[0]?.id).toBe(sim.users()[0]?.id);
  });

  it('creates a meeting with the tutorial body, duration as a number, as X-USER-ID', async () => {
    const user = organizer();
    const meeting = await client().createMeeting(user.id, spec);
    const posts = sim.server.received('POST', '/api/v6/meeting');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.path).toBe('/api/v6/meeting');
    expect(posts[0]?.headers['x-user-id']).toBe(user.id);
    expect(posts[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(posts[0]?.headers.accept).toBe('application/json');
    expect(json(posts[0]!.body)).toStrictEqual({
      topic: 'Planning',
      startTime: '2030-04-07T09:00:00.000Z',
      endTime: '2030-04-07T10:00:00.000Z',
      duration: 60,
      type: 'standard',
      isRecurring: false,
      isRecorded: false,
      isDialin: false,
      invitedParticipants: [],
      recurring: {},
      meetingPermissionId: null,
      agenda: 'Agenda text [meetsync:abc]',
      timezone: 'Europe/Zurich',
    });
    expect(meeting.id).toMatch(/^[0-9a-f]{24}$/);
    expect(meeting.meetingNumber).toMatch(/^\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(meeting).toMatchObject({ topic: 'Planning', agenda: 'Agenda text [meetsync:abc]', startTime: spec.startTime });
    // The simulator answers duration as a string ("60"), as the tutorial shows.
    expect(sim.meetings()[0]?.duration).toBe('60');
  });

  it('sends the recurring object of a series', async () => {
    const user = organizer();
    await client().createMeeting(user.id, {
      ...spec,
      recurrence: { frequencyType: 'weekly', frequency: 2, monthlyPattern: '', endsType: 'after', endsAfter: 6 },
    });
    const body = json(sim.server.received('POST', '/api/v6/meeting')[0]!.body);
    expect(body.isRecurring).toBe(true);
    expect(body.recurring).toEqual({ frequencyType: 'weekly', frequency: 2, monthlyPattern: '', endsType: 'after', endsOn: null, endsAfter: 6 });
    expect(sim.meetings()[0]?.recurring).toMatchObject({ frequencyType: 'weekly', frequency: 2, endsType: 'after', endsAfter: 6 });
  });

  it('updates with PUT /meeting/<id>/false and the create body plus id', async () => {
    const user = organizer();
    const wm = client();
    const created = await wm.createMeeting(user.id, spec);
    const updated = await wm.updateMeeting(user.id, created.id, { ...spec, topic: 'Moved', endTime: '2030-04-07T10:30:00.000Z' });
    const [put] = sim.server.received('PUT');
    expect(put?.path).toBe(`/api/v6/meeting/${created.id}/false`);
    expect(put?.headers['x-user-id']).toBe(user.id);
    expect(json(put!.body)).toMatchObject({ id: created.id, topic: 'Moved', duration: 90, recurring: {}, meetingPermissionId: null });
    expect(updated).toMatchObject({ id: created.id, meetingNumber: created.meetingNumber, topic: 'Moved' });
    expect(sim.meetings()[0]?.topic).toBe('Moved');
  });

  it('deletes (ASSUMED DELETE /meeting/<id>); a second delete is already-gone', async () => {
    const user = organizer();
    const wm = client();
    const created = await wm.createMeeting(user.id, spec);
    expect(await wm.deleteMeeting(user.id, created.id)).toBe('deleted');
    expect(sim.meetings()).toHaveLength(0);
    expect(await wm.deleteMeeting(user.id, created.id)).toBe('already-gone');
    const deletes = sim.server.received('DELETE');
    expect(deletes.map((r) => r.path)).toEqual([`/api/v6/meeting/${created.id}`, `/api/v6/meeting/${created.id}`]);
    expect(deletes[0]?.headers['x-user-id']).toBe(user.id);
    expect(retries).toHaveLength(0);
  });

  it('reads the feed and matches each entry by id and number; no API key sent with it', async () => {
    const user = organizer();
    const wm = client();
    const a = await wm.createMeeting(user.id, spec);
    const b = await wm.createMeeting(user.id, { ...spec, topic: 'Planning' });
    const feed = await wm.readFeed(user.icsPath, 'ann@example.com');
    expect(feed.map((f) => f.meetingId).sort()).toEqual([a.id, b.id].sort());
    expect(feed.find((f) => f.meetingId === a.id)).toMatchObject({
      meetingNumber: a.meetingNumber,
      summary: 'Planning',
      start: spec.startTime,
      end: spec.endTime,
      url: wm.joinUrl(a.meetingNumber, a.id),
    });
    const [get] = sim.server.received('GET', '/calender/user/');
    expect(get?.headers['x-api-key']).toBeUndefined();
  });

  it('builds join links from the template', () => {
    expect(client().joinUrl('9974-7653-8886-0485', '5e945c36b863b82cefdddf54')).toBe(`${sim.url}/meeting/9974-7653-8886-0485`);
    const branded = client({ joinUrlTemplate: 'https://join.example.com/m/{meetingNumber}?ref={meetingId}' });
    expect(branded.joinUrl('9974-7653-8886-0485', '5e945c36b863b82cefdddf54')).toBe(
      'https://join.example.com/m/9974-7653-8886-0485?ref=5e945c36b863b82cefdddf54',
    );
  });
});

describe('platform errors', () => {
  it('a wrong key is PlatformError 401 / -1', async () => {
    const user = organizer();
    const err = await failure(client({ apiKey: 'wm-wrong-key-0000000000000000' }).createMeeting(user.id, spec));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ method: 'POST', path: '/api/v6/meeting', status: 401, responseCode: -1 });
  });

  it('an unknown organizer is 403 / -3; invalid data is 400 / -4', async () => {
    organizer();
    const wm = client();
    expect(await failure(wm.createMeeting('5e9459c5b863b82cefdddf4e', spec))).toMatchObject({ status: 403, responseCode: -3 });
    const user = organizer('bob@example.com');
    const bad = await failure(wm.createMeeting(user.id, { ...spec, endTime: spec.startTime }));
    expect(bad).toBeInstanceOf(PlatformError);
    expect(bad).toMatchObject({ status: 400, responseCode: -4 });
  });

  it('HTTP 200 with responseCode -10 (duplicate admin email) is a failure too', async () => {
    organizer('dup@example.com');
    const err = await failure(
      client().createAccount({
        adminEmail: 'dup@example.com',
        adminFirstname: 'D',
        adminLastname: 'U',
        accountType: 'trial',
        adminPreferredLanguage: 'en',
        sendPassword: false,
        paidUntil: '2030-01-01T00:00:00.000Z',
      }),
    );
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 200, responseCode: -10 });
    expect(sim.server.received('POST', '/api/v6/account')).toHaveLength(1);
  });

  it.each([
    ['data.id', { responseCode: 0, data: { id: '  ', meetingId: '1234-5678-9012-3456', topic: 't', startTime: spec.startTime, endTime: spec.endTime } }],
    ['data.meetingId', { responseCode: 0, data: { id: '5e945c36b863b82cefdddf54', topic: 't', startTime: spec.startTime, endTime: spec.endTime } }],
    ['data.startTime', { responseCode: 0, data: { id: '5e945c36b863b82cefdddf54', meetingId: '1234-5678-9012-3456', topic: 't', startTime: 'soon', endTime: spec.endTime } }],
    ['responseCode', { data: {} }],
    ['body', '<html>gateway</html>'],
  ])('a malformed create answer is a MalformedResponseError naming %s', async (field, body) => {
    const user = organizer();
    sim.server.inject({ kind: 'status', status: 200, body, method: 'POST', pathIncludes: '/api/v6/meeting' });
    const err = await failure(client().createMeeting(user.id, spec));
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as MalformedResponseError).field).toBe(field);
    expect((err as Error).message).toContain(`create meeting (POST /api/v6/meeting): malformed response, ${field}: `);
  });

  it('accepts duration as a number as well as a string', async () => {
    const user = organizer();
    const data = { id: '5e945c36b863b82cefdddf54', meetingId: '1234-5678-9012-3456', topic: 't', startTime: spec.startTime, endTime: spec.endTime, duration: 60 };
    sim.server.inject({ kind: 'status', status: 200, body: { responseCode: 0, data }, method: 'POST' });
    expect(await client().createMeeting(user.id, spec)).toMatchObject({ meetingNumber: '1234-5678-9012-3456', agenda: '' });
  });

  it('admins must be an array', async () => {
    sim.server.inject({ kind: 'status', status: 200, body: { responseCode: 0, data: { id: 'x' } }, method: 'GET' });
    const err = await failure(client().listAccountAdmins('5e9459c5b863b82cefdddf4f'));
    expect(err).toMatchObject({ field: 'data' });
  });
});

describe('retries (counted on the server)', () => {
  it('PUT: two 500s, then success: 3 PUTs arrive', async () => {
    const user = organizer();
    const wm = client();
    const created = await wm.createMeeting(user.id, spec);
    sim.server.inject({ kind: 'status', status: 500, count: 2, method: 'PUT' });
    await wm.updateMeeting(user.id, created.id, { ...spec, topic: 'Third time' });
    expect(sim.server.received('PUT')).toHaveLength(3);
    expect(retries.map((r) => [r.method, r.attempt, r.reason])).toEqual([
      ['PUT', 1, 'HTTP 500'],
      ['PUT', 2, 'HTTP 500'],
    ]);
    expect(wm.retries).toBe(2);
    expect(sim.meetings()[0]?.topic).toBe('Third time');
  });

  it('429 with Retry-After: 1 waits about a second', async () => {
    const user = organizer();
    sim.server.inject({ kind: 'status', status: 429, retryAfterSeconds: 1, method: 'GET' });
    const admins = await client().listAccountAdmins(sim.accounts()[0]!.id);
    expect(admins[0]?.id).toBe(user.id);
    const gets = sim.server.received('GET');
    expect(gets).toHaveLength(2);
    expect(gets[1]!.at - gets[0]!.at).toBeGreaterThanOrEqual(950);
    expect(retries[0]?.delayMs).toBe(1000);
  });

  it('a Retry-After longer than maxRetryAfterMs is not waited for', async () => {
    organizer();
    sim.server.inject({ kind: 'status', status: 429, retryAfterSeconds: 3600, method: 'GET' });
    const err = await failure(client().listAccountAdmins(sim.accounts()[0]!.id));
    expect(err).toMatchObject({ status: 429 });
    expect(sim.server.received('GET')).toHaveLength(1);
  });

  it('POST /meeting is never retried: one 500, exactly one POST, an error', async () => {
    const user = organizer();
    sim.server.inject({ kind: 'status', status: 500, method: 'POST' });
    const err = await failure(client().createMeeting(user.id, spec));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 500, responseMessage: 'injected fault: HTTP 500' });
    expect(sim.server.received('POST', '/api/v6/meeting')).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });

  it('POST /meeting on a dropped connection: one POST, NetworkError', async () => {
    const user = organizer();
    sim.server.inject({ kind: 'drop', method: 'POST' });
    expect(await failure(client().createMeeting(user.id, spec))).toBeInstanceOf(NetworkError);
    expect(sim.server.received('POST')).toHaveLength(1);
  });

  it('GET on a dropped connection: NetworkError after all attempts', async () => {
    organizer();
    sim.server.inject({ kind: 'drop', count: 10, method: 'GET' });
    const err = await failure(client().listAccountAdmins(sim.accounts()[0]!.id));
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).cause).toBeDefined();
    expect(sim.server.received('GET')).toHaveLength(4);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('an answer slower than the timeout is a TimeoutError (retried for GET)', async () => {
    organizer();
    sim.server.inject({ kind: 'delay', ms: 1_000, count: 2, method: 'GET' });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).listAccountAdmins(sim.accounts()[0]!.id));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sim.server.received('GET')).toHaveLength(2);
  });

  it('DELETE is retried after a 503 and still reports deleted', async () => {
    const user = organizer();
    const wm = client();
    const created = await wm.createMeeting(user.id, spec);
    sim.server.inject({ kind: 'status', status: 503, method: 'DELETE' });
    expect(await wm.deleteMeeting(user.id, created.id)).toBe('deleted');
    expect(sim.server.received('DELETE')).toHaveLength(2);
  });
});
