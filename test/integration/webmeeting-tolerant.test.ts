import { afterEach, describe, expect, it } from 'vitest';
import { FeedError, MalformedResponseError, PlatformError } from '../../src/domain/errors.js';
import type { MeetingSpec } from '../../src/domain/meeting.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator, type WebMeetingSimulatorOptions } from '../../src/simulators/webmeeting/server.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { HttpCore, RETRY_DEFAULTS } from '../../src/webmeeting/http.js';
import { silentLogger } from '../../src/log.js';
import { classifyFailure } from '../../src/sync/failure.js';
import { failure } from '../support/rejection.js';

/**
 * Issue 16 section 2: the client where the tutorial is silent, against the Web Meeting simulator
 * over real https, in each of its modes. Assertions are on what the simulator received.
 */

const API_KEY = 'wm-tolerant-key-7c2d9e1f0a3b4c5d';
const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);

let sim: WebMeetingSimulator;

async function start(options: Partial<WebMeetingSimulatorOptions> = {}): Promise<WebMeetingClient> {
  sim = new WebMeetingSimulator({ ...options, apiKey: API_KEY, tls });
  await sim.start();
  return new WebMeetingClient({ baseUrl: sim.url, apiKey: API_KEY, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 5_000 });
}

afterEach(async () => {
  await sim.stop();
});

const spec: MeetingSpec = {
  topic: 'Planning',
  startTime: '2030-04-07T09:00:00.000Z',
  endTime: '2030-04-07T10:00:00.000Z',
  agenda: 'Agenda [meetsync:abc]',
  type: 'standard',
  isRecorded: false,
  isDialin: false,
  recurrence: null,
};

describe('the create answer: an id and a number are required, their form is not', () => {
  it('a UUID id and an eleven-digit number are kept as given, and make the join link', async () => {
    const wm = await start({ meetingIdForm: 'uuid', meetingNumberForm: 'digits' });
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const meeting = await wm.createMeeting(admin.id, spec);
    const [made] = sim.meetings();
    expect(meeting.id).toBe(made!.id);
    expect(meeting.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(meeting.meetingNumber).toMatch(/^\d{11}$/);
    expect(wm.joinUrl(meeting.meetingNumber, meeting.id)).toBe(`${sim.url}/meeting/${meeting.meetingNumber}`);
    expect(sim.server.received('POST', '/api/v6/meeting')).toHaveLength(1);
  });

  it.each([
    ['data.meetingId', ''],
    ['data.meetingId', 'x'.repeat(201)],
    ['data.meetingId', '1234\n5678'],
  ])('an answer without a usable number is still malformed (%s %j)', async (field, meetingId) => {
    const wm = await start();
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const data = { id: '5e945c36b863b82cefdddf54', meetingId, topic: 't', startTime: spec.startTime, endTime: spec.endTime };
    sim.server.inject({ kind: 'status', status: 200, body: { responseCode: 0, data }, method: 'POST' });
    const err = await failure(wm.createMeeting(admin.id, spec));
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as MalformedResponseError).field).toBe(field);
  });
});

describe('the update answer: responseCode 0 is a success, whatever data holds', () => {
  it.each([['null' as const], ['id-only' as const]])('data %s: the update is done, the meeting changed, one PUT', async (updateAnswer) => {
    const wm = await start({ updateAnswer });
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const meeting = await wm.createMeeting(admin.id, spec);
    expect(await wm.updateMeeting(admin.id, meeting.id, { ...spec, topic: 'Moved' })).toBeUndefined();
    expect(sim.meetings()[0]?.topic).toBe('Moved');
    expect(sim.server.received('PUT')).toHaveLength(1);
  });

  it('the meeting in data is read as before', async () => {
    const wm = await start();
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const meeting = await wm.createMeeting(admin.id, spec);
    expect(await wm.updateMeeting(admin.id, meeting.id, { ...spec, topic: 'Moved' })).toMatchObject({ id: meeting.id, topic: 'Moved', agenda: spec.agenda });
  });

  it('a non-zero responseCode with data null is still a failure', async () => {
    const wm = await start({ updateAnswer: 'null' });
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const meeting = await wm.createMeeting(admin.id, spec);
    sim.server.inject({ kind: 'status', status: 200, body: { responseCode: -4, responseMessage: 'data not valid', data: null }, method: 'PUT' });
    expect(await failure(wm.updateMeeting(admin.id, meeting.id, spec))).toBeInstanceOf(PlatformError);
  });

  it('an answer without the envelope is not a success', async () => {
    const wm = await start({ updateAnswer: 'null' });
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    const meeting = await wm.createMeeting(admin.id, spec);
    sim.server.inject({ kind: 'status', status: 200, body: { data: null }, method: 'PUT' });
    expect(await failure(wm.updateMeeting(admin.id, meeting.id, spec))).toBeInstanceOf(MalformedResponseError);
  });
});

describe('the feed: read without the key, once more with it after 401/403, on the API origin only', () => {
  const feedGets = () => sim.server.received('GET', '/calender/user/');

  it('a feed that needs the key: refused without it, read with it, and asked with it first from then on', async () => {
    const wm = await start({ feedNeedsApiKey: true });
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    await wm.createMeeting(admin.id, spec);
    expect((await wm.readFeedEntries(admin.icsPath)).meetings).toHaveLength(1);
    expect(feedGets().map((r) => r.headers['x-api-key'])).toEqual([undefined, API_KEY]);
    await wm.readFeedEntries(admin.icsPath);
    expect(feedGets()).toHaveLength(3);
    expect(feedGets()[2]?.headers['x-api-key']).toBe(API_KEY);
  });

  it('a feed that answers without the key never gets it', async () => {
    const wm = await start();
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    await wm.readFeedEntries(admin.icsPath);
    await wm.readFeedEntries(admin.icsPath);
    expect(feedGets().map((r) => r.headers['x-api-key'])).toEqual([undefined, undefined]);
  });

  it('a feed refused with the key too is a FeedError of that organizer (transient), naming no token', async () => {
    const wm = await start();
    const { admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
    sim.server.inject({ kind: 'status', status: 403, count: 2, pathIncludes: '/calender/user/', body: { responseCode: -3, responseMessage: 'not allowed', data: null } });
    const err = await failure(wm.readFeedEntries(admin.icsPath));
    expect(err).toBeInstanceOf(FeedError);
    expect(err).toMatchObject({ status: 403, triedWithApiKey: true });
    expect(classifyFailure(err)).toBe('transient');
    expect((err as Error).message).not.toContain(admin.icsToken);
    expect(feedGets()).toHaveLength(2);
  });

  it('a feed answering 404 is not asked again with the key', async () => {
    const wm = await start();
    const err = await failure(wm.readFeedEntries('/api/v6/meeting/calender/user/no-such-token-0000'));
    expect(err).toBeInstanceOf(FeedError);
    expect(classifyFailure(err)).toBe('transient');
    expect(feedGets()).toHaveLength(1);
    expect(feedGets()[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('the key is attached on the API origin only', async () => {
    await start();
    const core = new HttpCore({ baseUrl: sim.url, apiKey: API_KEY, timeoutMs: 1_000, retry: RETRY_DEFAULTS, logger: silentLogger() });
    expect(core.isApiOrigin('/api/v6/meeting/calender/user/x')).toBe(true);
    expect(core.isApiOrigin('@evil.example/feed')).toBe(false);
    await expect(core.send({ method: 'GET', path: '@evil.example/feed', kind: 'calendar' })).rejects.toThrow(/refusing to send the API key/);
  });
});
