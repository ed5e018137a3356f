import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/domain/redact.js';
import { recurringBody } from '../../src/webmeeting/assumptions.js';
import { meetingBody } from '../../src/webmeeting/client.js';
import { parseRetryAfter as retryAfterMs } from '../../src/net/backoff.js';
import { isRetryableStatus, safeCause } from '../../src/webmeeting/http.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2030-01-01T00:00:00.000Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('1', now)).toBe(1000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date, never negative', () => {
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it.each([408, 429, 500, 502, 503, 504])('%i is retried', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([200, 400, 401, 403, 404, 409, 501, 505])('%i is not', (status) => expect(isRetryableStatus(status)).toBe(false));
});

describe('safeCause', () => {
  it('takes registered secrets out of a nested cause and keeps its code', () => {
    const secret = 'cause-secret-abcdef123456';
    registerSecret(secret);
    const inner = Object.assign(new Error(`connect to /x?k=${secret}`), { code: 'ECONNRESET' });
    const outer = new TypeError('fetch failed', { cause: inner });
    const safe = safeCause(outer) as Error;
    expect(safe.name).toBe('TypeError');
    expect(safe.message).toBe('fetch failed');
    expect((safe.cause as Error).message).toBe('connect to /x?k=[redacted]');
    expect((safe.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(String(safe.stack) + String((safe.cause as Error).stack)).not.toContain(secret);
  });

  it('returns an error without secrets unchanged', () => {
    const err = new Error('plain');
    expect(safeCause(err)).toBe(err);
  });
});

describe('meetingBody', () => {
  it('computes duration in whole minutes and leaves timezone out when there is none', () => {
    const body = meetingBody({
      topic: 't',
      startTime: '2030-01-01T09:00:00.000Z',
      endTime: '2030-01-01T10:45:00.000Z',
      agenda: 'a',
      type: 'standard',
      isRecorded: true,
      isDialin: false,
      recurrence: null,
    });
    expect(body.duration).toBe(105);
    expect(body).not.toHaveProperty('timezone');
    expect(body).toMatchObject({ isRecurring: false, recurring: {}, isRecorded: true, agenda: 'a' });
  });

  it('sends endsOn only for endsType on', () => {
    expect(recurringBody({ frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'on', endsOn: '2030-06-30T00:00:00.000Z' })).toEqual({
      frequencyType: 'monthly',
      frequency: 1,
      monthlyPattern: 'dayOfWeek',
      endsType: 'on',
      endsOn: '2030-06-30T00:00:00.000Z',
      endsAfter: 0,
    });
    expect(recurringBody({ frequencyType: 'daily', frequency: 1, monthlyPattern: '', endsType: 'never' })).toMatchObject({ endsOn: null, endsAfter: 0 });
  });
});
