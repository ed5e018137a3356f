import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../src/simulators/kit/faults.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';

/**
 * The simulators' fault campaigns (faults.ts) with plain fetch: each kind in its provider's
 * wire format, only where that provider would answer it, and the same faults for the same seed.
 */

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function started<T extends { start(): Promise<string>; stop(): Promise<void> }>(sim: T): Promise<T> {
  await sim.start();
  running.push(sim);
  return sim;
}

describe('fault campaigns', () => {
  it("answers Google's 403 rateLimitExceeded and 429 with Retry-After as guides/errors shows them", async () => {
    const google = await started(new GoogleCalendarSimulator());
    google.addCalendar('alice@example.com');
    const list = `${google.url}/calendar/v3/calendars/alice%40example.com/events`;

    google.faults({ rate: 1, seed: 7, kinds: ['rate-limited'] });
    const limited = await fetch(list);
    expect(limited.status).toBe(403);
    expect(await limited.json()).toEqual({
      error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 403, message: 'Rate Limit Exceeded' },
    });

    google.faults({ rate: 1, seed: 7, kinds: ['throttled'], retryAfterSeconds: 3 });
    const throttled = await fetch(list);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(google.faults(null)).toEqual([{ method: 'GET', path: '/calendar/v3/calendars/alice%40example.com/events', name: 'throttled' }]);
  });

  it('answers 410 only to a read that carries a sync token (Google) or a delta state token (Graph)', async () => {
    const google = await started(new GoogleCalendarSimulator());
    google.addCalendar('alice@example.com');
    const list = `${google.url}/calendar/v3/calendars/alice%40example.com/events`;
    google.faults({ rate: 1, seed: 1, kinds: ['sync-gone'] });
    // Without a token the kind does not apply: the request is served (401 here: no credentials).
    expect((await fetch(list)).status).toBe(401);
    const gone = await fetch(`${list}?syncToken=abc`);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]?.reason).toBe('fullSyncRequired');

    const graph = await started(new GraphSimulator({ mailboxes: ['carol@example.com'] }));
    graph.faults({ rate: 1, seed: 1, kinds: ['sync-gone'] });
    const delta = `${graph.url}/v1.0/users/carol@example.com/calendarView/delta`;
    const expired = await fetch(`${delta}?$deltatoken=xyz`);
    expect(expired.status).toBe(410);
    expect(expired.headers.get('location')).toBe(delta);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('syncStateNotFound');
  });

  it("keeps the Web Meeting platform's envelope, and never answers a kind the platform has not got", async () => {
    const wm = await started(new WebMeetingSimulator({ apiKey: 'fault-sim-key-0123456789' }));
    wm.faults({ rate: 1, seed: 3, kinds: ['throttled', 'rate-limited', 'sync-gone'] });
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(`${wm.url}/api/v6/account/admin/x`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ responseCode: -99, responseMessage: 'too many requests', data: null });
    }
  });

  it('applies a change whose answer is malformed, and sends a body that does not parse', async () => {
    const wm = await started(new WebMeetingSimulator({ apiKey: 'fault-sim-key-0123456789' }));
    const { admin } = wm.seedAccount({ adminEmail: 'alice@example.com' });
    wm.faults({ rate: 1, seed: 3, kinds: ['malformed'] });
    const res = await fetch(`${wm.url}/api/v6/meeting`, {
      method: 'POST',
      headers: { 'x-api-key': 'fault-sim-key-0123456789', 'x-user-id': admin.id, 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: 'Budget', startTime: '2030-01-01T09:00:00.000Z', endTime: '2030-01-01T10:00:00.000Z', duration: 60, type: 'standard',
        isRecurring: false, isRecorded: false, isDialin: false, invitedParticipants: [], recurring: {}, meetingPermissionId: null,
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(wm.meetings().map((m) => m.topic)).toEqual(['Budget']);
  });

  it('draws the same faults for the same seed and requests, and is driven over /_sim/ too', async () => {
    const draws = async (seed: number) => {
      const wm = await started(new WebMeetingSimulator({ apiKey: 'fault-sim-key-0123456789' }));
      const control = await fetch(`${wm.url}/_sim/fault-campaign`, { method: 'POST', body: JSON.stringify({ rate: 0.5, seed, kinds: ['server-error', 'throttled', 'unavailable'] }) });
      expect(control.status).toBe(204);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) statuses.push((await fetch(`${wm.url}/api/v6/account/admin/x`)).status);
      const drawn = (await (await fetch(`${wm.url}/_sim/fault-campaign`, { method: 'DELETE' })).json()) as unknown[];
      return { statuses, drawn: drawn.length };
    };
    const first = await draws(42);
    expect(await draws(42)).toEqual(first);
    expect(first.drawn).toBeGreaterThan(0);
    expect(first.drawn).toBeLessThan(20);
    expect(() => new WebMeetingSimulator({ apiKey: 'k' }).faults({ rate: 0.1, seed: 1, kinds: ['nonsense' as (typeof FAULT_NAMES)[number]] })).toThrow(
      /unknown fault kind\(s\) nonsense; known: server-error/,
    );
  });
});
