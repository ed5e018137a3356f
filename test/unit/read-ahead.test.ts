import { describe, expect, it } from 'vitest';
import type { CalendarSource, ChangeSet } from '../../src/calendars/source.js';
import type { CalendarEvent } from '../../src/domain/event.js';
import { MAX_WAITING_EVENTS, ReadAhead } from '../../src/sync/read-ahead.js';

/** A source whose reads finish when the test says, each with `size` events. */
function gatedSource(calendars: string[], size: (calendarId: string) => number) {
  const pending = new Map<string, { finish: () => void; fail: (e: Error) => void }>();
  const started: string[] = [];
  const source = {
    name: 'gated',
    calendars,
    readChanges(calendarId: string): Promise<ChangeSet> {
      started.push(calendarId);
      return new Promise<ChangeSet>((resolve, reject) => {
        const events = Array.from({ length: size(calendarId) }, (_, i) => ({ eventId: `${calendarId}-${i}` }) as CalendarEvent);
        pending.set(calendarId, { finish: () => resolve({ events, cursor: `c-${calendarId}`, full: true }), fail: reject });
      });
    },
  } as unknown as CalendarSource;
  const finishAll = () => {
    pending.forEach((p) => p.finish());
    pending.clear();
  };
  return { source, started, pending, finishAll, inFlight: () => started.filter((c) => pending.has(c)).length };
}

const tick = () => new Promise((r) => setImmediate(r));

function readAhead(source: CalendarSource, calendars: string[], concurrency: number): ReadAhead {
  return new ReadAhead(source, calendars, {
    concurrency,
    now: () => new Date(0),
    cursorOf: () => null,
    windowAt: () => ({ from: new Date(0), to: new Date(1) }),
  });
}

describe('ReadAhead', () => {
  const calendars = Array.from({ length: 60 }, (_, i) => `cal${i}`);

  it('keeps `concurrency` reads in flight, no further ahead than the look-ahead, and hands them out in order', async () => {
    const g = gatedSource(calendars, () => 0);
    const reads = readAhead(g.source, calendars, 3);
    reads.start();
    await tick();
    expect(g.started).toEqual(['cal0', 'cal1', 'cal2']);
    // Later calendars finish first: their slots go to the next calendars, up to 4 x 3 ahead.
    for (let round = 0; round < 10; round += 1) {
      for (const c of [...g.started].reverse()) if (c !== 'cal0' && g.pending.has(c)) { g.pending.get(c)!.finish(); g.pending.delete(c); }
      await tick();
    }
    expect(g.started).toHaveLength(1 + 4 * 3);
    expect(g.inFlight()).toBeLessThanOrEqual(3);
    g.pending.get('cal0')!.finish();
    const first = await reads.take(0);
    expect(first.ok && first.changes.cursor).toBe('c-cal0');
    const second = await reads.take(1);
    expect(second.ok && second.changes.cursor).toBe('c-cal1');
    await tick();
    expect(g.started).toHaveLength(3 + 4 * 3);
    g.finishAll();
    await reads.close();
  });

  it('starts no read beyond the next while the finished reads not yet taken hold more than the limit of events', async () => {
    const big = Math.ceil(MAX_WAITING_EVENTS / 2) + 1;
    const g = gatedSource(calendars, () => big);
    const reads = readAhead(g.source, calendars, 4);
    reads.start();
    await tick();
    // cal0..cal3 in flight; cal1 and cal2 finish: more than the limit waits, so no new read starts.
    for (const c of ['cal1', 'cal2']) { g.pending.get(c)!.finish(); g.pending.delete(c); }
    await tick();
    expect(g.started).toEqual(['cal0', 'cal1', 'cal2', 'cal3']);
    // Taking calendars frees memory: reads go on.
    g.pending.get('cal0')!.finish();
    g.pending.delete('cal0');
    await reads.take(0);
    await reads.take(1);
    await tick();
    expect(g.started.length).toBeGreaterThan(4);
    g.finishAll();
    await reads.close();
  });

  it('always reads the calendar taken next, whatever memory holds, and reports a failed read as such', async () => {
    const g = gatedSource(['a', 'b'], () => 10 * MAX_WAITING_EVENTS);
    const reads = readAhead(g.source, ['a', 'b'], 1);
    reads.start();
    await tick();
    g.pending.get('a')!.fail(new Error('boom'));
    const a = await reads.take(0);
    expect(a.ok).toBe(false);
    await tick();
    expect(g.started).toEqual(['a', 'b']);
    g.pending.get('b')!.finish();
    expect((await reads.take(1)).ok).toBe(true);
    await reads.close();
  });
});
