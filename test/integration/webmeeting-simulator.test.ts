import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';

/**
 * The Web Meeting API simulator over real https (the CA comes from the vitest globalSetup through
 * NODE_EXTRA_CA_CERTS) and plain http, with plain fetch. Expected shapes are copied from
 * ../shared/spec/web-meeting-api-tutorial.txt, not from the simulator.
 */

const API_KEY = 'test-api-key-0123456789';
const HEX24 = /^[0-9a-f]{24}$/;
const ICS_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Key sets of the tutorial's answers, in the tutorial's order.
const ACCOUNT_KEYS = ['name', 'accountType', 'numberOfMeetings', 'numberOfMeetingOrganizers', 'numberOfMeetingRooms', 'paidUntil', 'iceCandidatesToFilter', 'customDialInNumbers', 'displayStandardDialInNumbersInInvite', 'defaultMeetingPermissions', 'defaultMeetingType', 'defaultMeetingHasDialin', 'defaultMeetingHasRecording', 'autoExtendMeetings', 'autoDeleteMeetingsAfterXDays', 'id', 'canAddMeetingOrganizer', 'accountRooms'];
const USER_KEYS = ['email', 'firstName', 'lastName', 'externalUserId', 'preferredLanguage', 'timezone', 'additionalTimezones', 'id', 'icsToken', 'icsPath'];
const MEETING_KEYS = ['invitedParticipants', 'meetingId', 'id', 'topic', 'startTime', 'endTime', 'duration', 'type', 'roomId', 'isRecurring', 'isDialin', 'recurring', 'isRecorded', 'agenda', 'documents', 'meetingPermissionId', 'videoResolution', 'dtClosedAt', 'whitelabelId', 'addedByUserId', 'addedByUserEmail', 'accountId', 'addedByUserName', 'timezone', 'privateDataVisible', 'icalSequence', 'icsToken', 'isActive', 'isClosed', 'isOpen', 'dialInConferenceRoom', 'dialInNumbers', 'dialInPin', 'sipProxy', 'sipDomain', 'isDemo', 'isPromo'];

const TUTORIAL_ACCOUNT = { sendPassword: true, accountType: 'trial', adminFirstname: 'Test', adminLastname: 'User', adminEmail: 'test-user@example.com', adminPreferredLanguage: 'en', paidUntil: '2020-04-19T19:03:41.203Z' };
const TUTORIAL_MEETING = { topic: 'My Meeting Topic', startTime: '2020-04-07T09:00:00.000Z', endTime: '2020-04-07T10:00:00.000Z', duration: 60, type: 'standard', isRecurring: false, isRecorded: false, isDialin: false, invitedParticipants: [], recurring: {}, meetingPermissionId: null };

interface Answer {
  status: number;
  headers: Headers;
  /** Untyped on purpose: the wire JSON itself is what these tests check, key by key. */
  json: any;
}

let sim: WebMeetingSimulator;

async function call(method: string, path: string, opts: { body?: unknown; rawBody?: string; userId?: string; apiKey?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey !== null) headers['x-api-key'] = opts.apiKey ?? API_KEY;
  if (opts.userId) headers['x-user-id'] = opts.userId;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(`${sim.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

function expectError(answer: Answer, status: number, code: number, messagePart: string): void {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ responseCode: code, responseMessage: expect.stringContaining(messagePart), data: null });
}

async function feedOf(icsPath: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${sim.url}${icsPath}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('Web Meeting simulator over https', () => {
  beforeEach(async () => {
    sim = new WebMeetingSimulator({ apiKey: API_KEY, tls: loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!) });
    expect(await sim.start()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });
  afterEach(() => sim.stop());

  it('follows the tutorial: account, its admin, a meeting and its update, in the tutorial shapes', async () => {
    const created = await call('POST', '/api/v6/account', { body: TUTORIAL_ACCOUNT });
    expect(created.status).toBe(200);
    expect(created.json.responseCode).toBe(0);
    expect(Object.keys(created.json.data)).toEqual(ACCOUNT_KEYS);
    expect(created.json.data).toMatchObject({ name: 'test-user@example.com', accountType: 'trial', paidUntil: '2020-04-19T19:03:41.203Z', accountRooms: [] });
    const accountId: string = created.json.data.id;
    expect(accountId).toMatch(HEX24);

    const admins = await call('GET', `/api/v6/account/admin/${accountId}`);
    expect(admins.status).toBe(200);
    expect(admins.json.responseCode).toBe(0);
    expect(admins.json.data).toHaveLength(1);
    const admin = admins.json.data[0];
    expect(Object.keys(admin)).toEqual(USER_KEYS);
    expect(admin).toMatchObject({ email: 'test-user@example.com', firstName: 'Test', lastName: 'User', externalUserId: null, preferredLanguage: 'en', timezone: 'Europe/Paris' });
    expect(admin.id).toMatch(HEX24);
    expect(admin.icsToken).toMatch(ICS_TOKEN);
    expect(admin.icsPath).toBe(`/api/v6/meeting/calender/user/${admin.icsToken}`);

    const meeting = await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id });
    expect(meeting.status).toBe(200);
    expect(meeting.json.responseCode).toBe(0);
    const data = meeting.json.data;
    expect(Object.keys(data)).toEqual(MEETING_KEYS);
    expect(data.id).toMatch(HEX24);
    expect(data.meetingId).toMatch(/^\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(data.duration).toBe('60');
    expect(data.icalSequence).toBe('0');
    expect(data.recurring).toEqual({ frequencyType: '', frequency: null, monthlyPattern: '', endsType: '', endsOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), endsAfter: 0 });
    expect(data).toMatchObject({ topic: 'My Meeting Topic', startTime: '2020-04-07T09:00:00.000Z', endTime: '2020-04-07T10:00:00.000Z', addedByUserId: admin.id, addedByUserEmail: 'test-user@example.com', addedByUserName: 'Test User', accountId, agenda: '', isRecurring: false });
    expect(sim.meetings().map((m) => m.id)).toEqual([data.id]);

    // The tutorial's update: same body plus the id, PUT to /meeting/<id>/false; a +02:00 offset comes back in UTC.
    const update = { ...TUTORIAL_MEETING, topic: 'My Updated Meeting Topic', id: data.id, startTime: '2020-04-07T11:30:00.000+02:00', endTime: '2020-04-07T10:30:00.000Z' };
    const updated = await call('PUT', `/api/v6/meeting/${data.id}/false`, { body: update, userId: admin.id });
    expect(updated.status).toBe(200);
    expect(Object.keys(updated.json.data)).toEqual(MEETING_KEYS);
    expect(updated.json.data).toMatchObject({ id: data.id, meetingId: data.meetingId, topic: 'My Updated Meeting Topic', startTime: '2020-04-07T09:30:00.000Z', icalSequence: '1', duration: '60' });
    const again = await call('PUT', `/api/v6/meeting/${data.id}/false`, { body: update, userId: admin.id });
    expect(again.json.data.icalSequence).toBe('2');
    expect(sim.server.received('PUT', '/false')).toHaveLength(2);
  });

  it('answers a second account for an existing email with -10 and HTTP 200, case-insensitively', async () => {
    sim.seedAccount({ adminEmail: 'Taken@Example.com' });
    const dup = await call('POST', '/api/v6/account', { body: { ...TUTORIAL_ACCOUNT, adminEmail: 'taken@example.COM' } });
    expectError(dup, 200, -10, 'account already exists');
    expect(sim.accounts()).toHaveLength(1);
    expect(() => sim.seedAccount({ adminEmail: 'TAKEN@example.com' })).toThrow(/already exists/);
  });

  it('rejects invalid account bodies with 400 and -4 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...TUTORIAL_ACCOUNT, adminEmail: undefined }, 'adminEmail'],
      [{ ...TUTORIAL_ACCOUNT, adminEmail: 'not-an-email' }, 'adminEmail'],
      [{ ...TUTORIAL_ACCOUNT, adminFirstname: '' }, 'adminFirstname'],
      [{ ...TUTORIAL_ACCOUNT, adminLastname: 42 }, 'adminLastname'],
      [{ ...TUTORIAL_ACCOUNT, paidUntil: '19.04.2020' }, 'paidUntil'],
    ];
    for (const [body, field] of cases) expectError(await call('POST', '/api/v6/account', { body }), 400, -4, field);
    expectError(await call('POST', '/api/v6/account', { rawBody: '{"adminEmail": ' }), 400, -4, 'JSON');
    expect(sim.accounts()).toEqual([]);
  });

  it('rejects invalid meeting bodies with 400 and -4 naming the field', async () => {
    const { admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    const recurring = { frequencyType: 'weekly', frequency: 1, monthlyPattern: '', endsType: 'never', endsOn: '', endsAfter: 0 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...TUTORIAL_MEETING, topic: undefined }, 'topic'],
      [{ ...TUTORIAL_MEETING, topic: '  ' }, 'topic'],
      [{ ...TUTORIAL_MEETING, startTime: '2020-04-07 09:00' }, 'startTime'],
      [{ ...TUTORIAL_MEETING, endTime: '2020-02-30T10:00:00.000Z' }, 'endTime'],
      [{ ...TUTORIAL_MEETING, endTime: '2020-04-07T09:00:00.000Z' }, 'endTime must be after startTime'],
      [{ ...TUTORIAL_MEETING, duration: '60' }, 'duration'],
      [{ ...TUTORIAL_MEETING, duration: 0 }, 'duration'],
      [{ ...TUTORIAL_MEETING, timezone: 'Mars/Olympus' }, 'timezone'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: {} }, 'recurring.'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: { ...recurring, frequencyType: 'hourly' } }, 'recurring.frequencyType'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: { ...recurring, frequency: 1.5 } }, 'recurring.frequency'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: { ...recurring, monthlyPattern: 'lastDay' } }, 'recurring.monthlyPattern'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: { ...recurring, endsType: 'on' } }, 'recurring.endsOn'],
      [{ ...TUTORIAL_MEETING, isRecurring: true, recurring: { ...recurring, endsType: 'after', endsAfter: 0 } }, 'recurring.endsAfter'],
    ];
    for (const [body, field] of cases) {
      expectError(await call('POST', '/api/v6/meeting', { body, userId: admin.id }), 400, -4, field);
    }
    expectError(await call('POST', '/api/v6/meeting', { rawBody: 'topic=x', userId: admin.id }), 400, -4, 'JSON');
    expect(sim.meetings()).toEqual([]);
  });

  it('refuses a wrong or missing API key with 401 and -1, and a missing or unknown user with 403 and -3', async () => {
    const { account, admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    expectError(await call('POST', '/api/v6/account', { body: TUTORIAL_ACCOUNT, apiKey: 'wrong' }), 401, -1, 'API key not valid');
    expectError(await call('GET', `/api/v6/account/admin/${account.id}`, { apiKey: null }), 401, -1, 'API key not valid');
    expectError(await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id, apiKey: 'wrong' }), 401, -1, 'API key');
    expectError(await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING }), 403, -3, 'X-USER-ID');
    expectError(await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: 'ffffffffffffffffffffffff' }), 403, -3, 'X-USER-ID');
    expect(sim.meetings()).toEqual([]);
    expect(sim.accounts()).toHaveLength(1);
    expectError(await call('GET', '/api/v6/account/admin/ffffffffffffffffffffffff'), 404, -99, 'account not found');
  });

  it('answers an unknown path or method with a 404 that names it', async () => {
    const unknown = await call('GET', '/api/v6/whatever');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ responseCode: -99, responseMessage: 'simulator: no endpoint GET /api/v6/whatever' });
    expectError(await call('GET', '/api/v6/meeting'), 404, -99, 'no endpoint GET /api/v6/meeting');
    // Without the tutorial's literal `/false` the update is not an endpoint.
    expectError(await call('PUT', '/api/v6/meeting/5e945c36b863b82cefdddf54', { body: {} }), 404, -99, 'no endpoint PUT');
  });

  it('checks the id, the existence and the owner of a meeting on update', async () => {
    const { account, admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    const other = sim.addUser(account.id, { email: 'second@example.com', firstName: 'Sec', lastName: 'Ond' });
    expect(sim.users().map((u) => u.email)).toEqual(['org@example.com', 'second@example.com']);
    const { json } = await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id });
    const id: string = json.data.id;
    const body = { ...TUTORIAL_MEETING, id, topic: 'Changed' };
    expectError(await call('PUT', `/api/v6/meeting/${id}/false`, { body: { ...body, id: 'ffffffffffffffffffffffff' }, userId: admin.id }), 400, -4, 'id');
    expectError(await call('PUT', `/api/v6/meeting/${id}/false`, { body: { ...body, id: undefined }, userId: admin.id }), 400, -4, 'id');
    expectError(await call('PUT', `/api/v6/meeting/${id}/false`, { body, userId: other.id }), 403, -3, 'another organizer');
    expectError(await call('DELETE', `/api/v6/meeting/${id}`, { userId: other.id }), 403, -3, 'another organizer');
    const unknownId = 'ffffffffffffffffffffffff';
    expectError(await call('PUT', `/api/v6/meeting/${unknownId}/false`, { body: { ...body, id: unknownId }, userId: admin.id }), 404, -99, 'meeting not found');
    expect(sim.meetings()[0]).toMatchObject({ topic: 'My Meeting Topic', icalSequence: '0' });
  });

  it('deletes a meeting: gone from the state and the feed, and a second delete or update is 404', async () => {
    const { admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    const keep = (await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, topic: 'Keep' }, userId: admin.id })).json.data;
    const drop = (await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, topic: 'Drop' }, userId: admin.id })).json.data;
    expect((await feedOf(admin.icsPath)).text).toContain(`UID:${drop.id}@`);
    expect((await fetch(`${sim.url}/meeting/${drop.meetingId}`)).status).toBe(200);

    const deleted = await call('DELETE', `/api/v6/meeting/${drop.id}`, { userId: admin.id });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ responseCode: 0, data: null });
    expect(sim.meetings().map((m) => m.id)).toEqual([keep.id]);
    const feed = await feedOf(admin.icsPath);
    expect(feed.text).not.toContain(drop.id);
    expect(feed.text).toContain(`UID:${keep.id}@`);
    expect((await fetch(`${sim.url}/meeting/${drop.meetingId}`)).status).toBe(404);
    expectError(await call('DELETE', `/api/v6/meeting/${drop.id}`, { userId: admin.id }), 404, -99, 'meeting not found');
    expectError(await call('PUT', `/api/v6/meeting/${drop.id}/false`, { body: { ...TUTORIAL_MEETING, id: drop.id }, userId: admin.id }), 404, -99, 'meeting not found');
  });

  it('serves each organizer a feed ical.js parses, with UID, SUMMARY, DTSTART, URL, SEQUENCE and RRULE', async () => {
    const { account, admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    const other = sim.addUser(account.id, { email: 'second@example.com' });
    const agenda = 'Quarterly review — ünïcödé agenda, with; separators, and a long line '.repeat(3);
    const plain = (await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, agenda, timezone: 'Europe/Zurich' }, userId: admin.id })).json.data;
    expect(plain).toMatchObject({ agenda, timezone: 'Europe/Zurich' });
    const weekly = { frequencyType: 'weekly', frequency: 2, monthlyPattern: '', endsType: 'after', endsOn: '', endsAfter: 5 };
    const w = await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, topic: 'Weekly', isRecurring: true, recurring: weekly }, userId: admin.id });
    expect(w.json.data.recurring).toMatchObject({ frequencyType: 'weekly', frequency: 2, endsType: 'after', endsAfter: 5 });
    // 2020-04-14 is the second Tuesday of April 2020.
    const monthly = { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'on', endsOn: '2020-12-31T23:00:00.000Z', endsAfter: 0 };
    const m = await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, topic: 'Monthly', startTime: '2020-04-14T09:00:00.000Z', endTime: '2020-04-14T10:00:00.000Z', isRecurring: true, recurring: monthly }, userId: admin.id });
    await call('POST', '/api/v6/meeting', { body: { ...TUTORIAL_MEETING, topic: 'Not mine' }, userId: other.id });
    await call('PUT', `/api/v6/meeting/${plain.id}/false`, { body: { ...TUTORIAL_MEETING, id: plain.id }, userId: admin.id });

    const feed = await feedOf(admin.icsPath);
    expect(feed.status).toBe(200);
    expect(feed.type).toBe('text/calendar; charset=utf-8');
    expect(feed.text.endsWith('\r\n')).toBe(true);
    expect(feed.text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of feed.text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(feed.text).toMatch(/\r\n /); // the long DESCRIPTION was folded

    const calendar = new ICAL.Component(ICAL.parse(feed.text));
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toBeTruthy();
    const events = calendar.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    expect(events.map((e) => e.summary).sort()).toEqual(['Monthly', 'My Meeting Topic', 'Weekly']);
    const byUid = new Map(events.map((e) => [e.uid, e]));

    const p = byUid.get(`${plain.id}@127.0.0.1`)!;
    expect(p).toBeDefined();
    expect(p.startDate.zone?.tzid).toBe('UTC');
    expect(p.startDate.toJSDate().toISOString()).toBe('2020-04-07T09:00:00.000Z');
    expect(p.endDate.toJSDate().toISOString()).toBe('2020-04-07T10:00:00.000Z');
    expect(p.component.getFirstPropertyValue('url')).toBe(`${sim.url}/meeting/${plain.meetingId}`);
    expect(p.description).toBe(`${agenda}\n\nJoin: ${sim.url}/meeting/${plain.meetingId}\nMeeting number: ${plain.meetingId}`);
    expect(p.sequence).toBe(1);
    expect(p.isRecurring()).toBe(false);

    const wr = byUid.get(`${w.json.data.id}@127.0.0.1`)!.component.getFirstPropertyValue('rrule') as ICAL.Recur;
    expect(wr).toMatchObject({ freq: 'WEEKLY', interval: 2, count: 5 });
    const mr = byUid.get(`${m.json.data.id}@127.0.0.1`)!.component.getFirstPropertyValue('rrule') as ICAL.Recur;
    expect(mr).toMatchObject({ freq: 'MONTHLY', interval: 1 });
    expect(mr.parts.BYDAY).toEqual(['2TU']);
    expect(mr.until?.toJSDate().toISOString()).toBe('2020-12-31T23:00:00.000Z');

    const theirs = await feedOf(other.icsPath);
    expect(theirs.text).toContain('SUMMARY:Not mine');
    expect(theirs.text).not.toContain('Weekly');
    const unknown = await feedOf('/api/v6/meeting/calender/user/00000000-0000-0000-0000-000000000000');
    expect(unknown.status).toBe(404);
    expect((await feedOf('/api/v6/meeting/calender/user/%E0%A4%A')).status).toBe(404);
  });

  it('injects faults: a 500, a 429 with Retry-After, and a dropped connection, then recovers', async () => {
    sim.server.inject({ kind: 'status', status: 500, method: 'POST', pathIncludes: '/account' });
    expect((await call('POST', '/api/v6/account', { body: TUTORIAL_ACCOUNT })).status).toBe(500);
    expect(sim.accounts()).toEqual([]);
    expect((await call('POST', '/api/v6/account', { body: TUTORIAL_ACCOUNT })).json.responseCode).toBe(0);

    const { admin } = sim.seedAccount({ adminEmail: 'org@example.com' });
    sim.server.inject({ kind: 'status', status: 429, retryAfterSeconds: 7, count: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
    }
    sim.server.inject({ kind: 'drop', pathIncludes: '/meeting' });
    await expect(call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id })).rejects.toThrow();
    expect(sim.meetings()).toEqual([]);
    expect((await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id })).status).toBe(200);
    expect(sim.server.received('POST', '/api/v6/meeting')).toHaveLength(4);
  });
});

describe('Web Meeting simulator over plain http', () => {
  beforeEach(async () => {
    sim = new WebMeetingSimulator({ apiKey: API_KEY, joinUrlTemplate: 'https://meet.example.test/j/{meetingNumber}?ref={id}' });
    expect(await sim.start()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterEach(() => sim.stop());

  it('seeds through /_sim/accounts, reports /_sim/state, and uses the join link template', async () => {
    const seeded = await fetch(`${sim.url}/_sim/accounts`, { method: 'POST', body: JSON.stringify({ adminEmail: 'remote@example.com' }) });
    expect(seeded.status).toBe(201);
    const { account, admin } = (await seeded.json()) as { account: { id: string }; admin: { id: string; icsPath: string } };
    const duplicate = await fetch(`${sim.url}/_sim/accounts`, { method: 'POST', body: JSON.stringify({ adminEmail: 'REMOTE@example.com' }) });
    expect(duplicate.status).toBe(400);

    const created = (await call('POST', '/api/v6/meeting', { body: TUTORIAL_MEETING, userId: admin.id })).json.data;
    const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as { accounts: unknown[]; users: Array<{ accountId: string }>; meetings: Array<{ id: string }> };
    expect(state.accounts).toHaveLength(1);
    expect(state.users).toEqual([expect.objectContaining({ email: 'remote@example.com', accountId: account.id })]);
    expect(state.meetings.map((m) => m.id)).toEqual([created.id]);

    const feed = await feedOf(admin.icsPath);
    const event = new ICAL.Event(new ICAL.Component(ICAL.parse(feed.text)).getFirstSubcomponent('vevent')!);
    expect(event.component.getFirstPropertyValue('url')).toBe(`https://meet.example.test/j/${created.meetingId}?ref=${created.id}`);
    // Control calls are not API traffic; the feed read is.
    expect(sim.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v6/meeting', `GET ${admin.icsPath}`]);
  });
});
