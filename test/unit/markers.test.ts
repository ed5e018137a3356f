import { describe, expect, it } from 'vitest';
import { markerPrefixOf, newMarker } from '../../src/sync/markers.js';

describe('meeting markers', () => {
  const event = { source: 'corp-google', calendarId: 'ann@example.com', eventId: 'evt1' };

  it('keep the shape reports look for (meetsync:<uuid>), start with the event reference, and differ at every attempt', () => {
    const a = newMarker(event);
    const b = newMarker(event);
    for (const m of [a, b]) {
      expect(m).toMatch(/^meetsync:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(m.startsWith(markerPrefixOf(event))).toBe(true);
    }
    expect(a).not.toBe(b);
  });

  it("another event's marker, even in the same calendar or with the same id elsewhere, does not carry its reference", () => {
    const prefix = markerPrefixOf(event);
    expect(newMarker({ ...event, eventId: 'evt2' }).startsWith(prefix)).toBe(false);
    expect(newMarker({ ...event, calendarId: 'ben@example.com' }).startsWith(prefix)).toBe(false);
    expect(newMarker({ ...event, source: 'corp-m365' }).startsWith(prefix)).toBe(false);
  });
});
