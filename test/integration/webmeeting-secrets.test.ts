import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, MalformedResponseError, NetworkError, PlatformError, TimeoutError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/log.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';

/**
 * The API key and the ICS tokens never reach an error (message, stack, properties, cause) or a
 * log line, whatever goes wrong. Every call below fails on purpose, with debug logging on.
 */

const API_KEY = 'wm-secret-key-8f3a9c1e7b2d4f60a5e1';
const WRONG_KEY = 'wm-wrong-secret-key-11223344556677';
const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);

let sim: WebMeetingSimulator;
let logged: string[];
let token: string;
let icsPath: string;
let accountId: string;
let userId: string;

function client(apiKey = API_KEY): WebMeetingClient {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });
  return new WebMeetingClient({
    baseUrl: sim.url,
    apiKey,
    timeoutMs: 1_000,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    logger: createLogger({ destination, level: 'debug' }),
  });
}

beforeEach(async () => {
  sim = new WebMeetingSimulator({ apiKey: API_KEY, tls });
  await sim.start();
  logged = [];
  const { account, admin } = sim.seedAccount({ adminEmail: 'ann@example.com' });
  token = admin.icsToken;
  icsPath = admin.icsPath;
  accountId = account.id;
  userId = admin.id;
  expect(icsPath).toContain(token);
});

afterEach(async () => {
  await sim.stop();
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`not an Error: ${String(err)}`);
  }
  throw new Error('expected the call to fail');
}

function expectNoSecret(err: Error): void {
  const renderings = {
    json: JSON.stringify(err),
    message: err.message,
    string: String(err),
    stack: err.stack ?? '',
    inspect: inspect(err, { depth: 10 }),
    logs: logged.join(''),
  };
  for (const [where, text] of Object.entries(renderings)) {
    for (const secret of [API_KEY, WRONG_KEY, token]) {
      expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    }
  }
}

const spec = {
  topic: 'Planning',
  startTime: '2030-04-07T09:00:00.000Z',
  endTime: '2030-04-07T10:00:00.000Z',
  agenda: '',
  type: 'standard',
  isRecorded: false,
  isDialin: false,
  recurrence: null,
};

describe('no secret in errors or logs', () => {
  it('wrong API key: PlatformError 401 / -1', async () => {
    const err = await failure(client(WRONG_KEY).createMeeting(userId, spec));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 401, responseCode: -1 });
    expect(logged.join('')).toContain('"status":401');
    expectNoSecret(err);
  });

  it('500 on the feed path, after retries: the path in the error and the logs is scrubbed', async () => {
    sim.server.inject({ kind: 'status', status: 500, count: 10, pathIncludes: '/calender/user/' });
    const err = await failure(client().readFeed(icsPath, 'ann@example.com'));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 500, path: '/api/v6/meeting/calender/user/[redacted]' });
    expect(sim.server.received('GET', '/calender/user/')).toHaveLength(3);
    expect(logged.filter((l) => l.includes('retrying web meeting call'))).toHaveLength(2);
    expect(logged.join('')).toContain('/calender/user/[redacted]');
    expectNoSecret(err);
  });

  it('the feed is dropped: NetworkError', async () => {
    sim.server.inject({ kind: 'drop', count: 10, pathIncludes: '/calender/user/' });
    const err = await failure(client().readFeed(icsPath));
    expect(err).toBeInstanceOf(NetworkError);
    expectNoSecret(err);
  });

  it('the feed is too slow: TimeoutError', async () => {
    sim.server.inject({ kind: 'delay', ms: 2_500, count: 10, pathIncludes: '/calender/user/' });
    const err = await failure(client().readFeed(icsPath));
    expect(err).toBeInstanceOf(TimeoutError);
    expectNoSecret(err);
  });

  it('the feed is not iCalendar and quotes its own URL: DataError', async () => {
    const page = `<html><p>Session expired for https://x.example${icsPath}</p></html>`;
    sim.server.inject({ kind: 'status', status: 200, body: page, pathIncludes: '/calender/user/' });
    const err = await failure(client().readFeed(icsPath, 'ann@example.com'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/^the ICS feed of ann@example\.com is not valid iCalendar: /);
    expectNoSecret(err);
  });

  it('a malformed admin list that carries a token: MalformedResponseError', async () => {
    const data = [{ id: 'nope', email: 'ann@example.com', icsToken: token, icsPath }];
    sim.server.inject({ kind: 'status', status: 200, body: { responseCode: 0, data }, method: 'GET' });
    const err = await failure(client().listAccountAdmins(accountId));
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect(err).toMatchObject({ field: 'data[0].id' });
    expectNoSecret(err);
  });

  it('a successful admin list keeps icsPath for the caller but never logs it', async () => {
    const [admin] = await client().listAccountAdmins(accountId);
    expect(admin?.icsPath).toBe(icsPath);
    expect(logged.join('')).toContain('/api/v6/account/admin/');
    const err = await failure(client(WRONG_KEY).readFeed('/api/v6/meeting/calender/user/unknown-token-000'));
    expect(err).toMatchObject({ status: 404 });
    expectNoSecret(err);
  });

  it("a meeting's own ICS token, and a feed path's percent-encoded one, are kept out of later errors", async () => {
    const meetingToken = `Mtg.${Date.now().toString(36)}x7q2`;
    const meeting = { id: 'aaaaaaaaaaaaaaaaaaaaaaaa', meetingId: '1234-5678-9012-3456', topic: 'Planning', startTime: spec.startTime, endTime: spec.endTime, agenda: '', icsToken: meetingToken };
    sim.server.inject({ kind: 'status', status: 200, method: 'POST', pathIncludes: '/api/v6/meeting', body: { responseCode: 0, data: meeting } });
    const c = client();
    await c.createMeeting(userId, spec);
    sim.server.inject({ kind: 'status', status: 400, method: 'PUT', body: { responseCode: -4, responseMessage: `data not valid: calendar ${meetingToken} closed` } });
    const err = await failure(c.updateMeeting(userId, meeting.id, spec));
    expect(err.message).toContain('calendar [redacted] closed');
    expect(err.message).not.toContain(meetingToken);

    const feedToken = `Feed+${Date.now().toString(36)}/z9`;
    sim.server.inject({ kind: 'status', status: 404, method: 'GET', pathIncludes: '/calender/user/', body: { responseCode: -99, responseMessage: `no calendar ${feedToken}` } });
    const feedErr = await failure(c.readFeed(`/api/v6/meeting/calender/user/${encodeURIComponent(feedToken)}`));
    expect(feedErr.message).toContain('no calendar [redacted]');
    expect(feedErr.message).not.toContain(feedToken);
  });
});
