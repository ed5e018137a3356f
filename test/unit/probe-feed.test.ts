import { describe, expect, it } from 'vitest';
import { carries, findCanary, type FeedEntry } from '../../src/doctor/probe-feed.js';

const entry = (props: Record<string, string>): FeedEntry => ({ props: new Map(Object.entries(props)) });
const look = { reference: 'meetsync:0b6c1f3e-1111-4222-8333-944455556666', topic: 'meetsync probe — safe to delete', startAt: '2027-01-06T03:17:00.000Z' };

describe('finding the canary in a feed', () => {
  const other = entry({ UID: '5e945c36b863b82cefdddf54@host', SUMMARY: 'Board', DTSTART: '20270106T031700Z' });

  it('by its id or number anywhere in UID, URL, DESCRIPTION or LOCATION', () => {
    const canary = entry({ UID: 'x@host', URL: 'https://m.example.com/meeting/1234-5678-9012-3456', SUMMARY: 'renamed' });
    expect(findCanary([other, canary], { ...look, number: '1234-5678-9012-3456' })).toBe(canary);
    expect(carries(canary, '1234-5678-9012-3456')).toBe(true);
    expect(carries(canary, undefined)).toBe(false);
  });

  it('by its reference, when the feed names neither id nor number', () => {
    const canary = entry({ UID: 'opaque@host', DESCRIPTION: `probe\nReference: ${look.reference}` });
    expect(findCanary([other, canary], { ...look, id: '6b16bd7675f0e2d13749f131' })).toBe(canary);
  });

  it('by topic and start, at its first start or moved an hour, and never by topic alone', () => {
    const first = entry({ UID: 'a@host', SUMMARY: look.topic, DTSTART: '20270106T031700Z' });
    const moved = entry({ UID: 'b@host', SUMMARY: look.topic, DTSTART: '20270106T041700Z' });
    const elsewhen = entry({ UID: 'c@host', SUMMARY: look.topic, DTSTART: '20270106T051700Z' });
    expect(findCanary([other, first], look)).toBe(first);
    expect(findCanary([other, moved], look)).toBe(moved);
    expect(findCanary([other, elsewhen], look)).toBeUndefined();
  });
});
