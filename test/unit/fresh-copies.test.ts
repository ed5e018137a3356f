import { describe, expect, it } from 'vitest';
import { FreshCopies } from '../../src/calendars/fresh-copies.js';

describe('FreshCopies: the events a read returned, for the write-back after it', () => {
  it('hands each copy out once, and a new read of the calendar replaces what the last one kept', () => {
    const fresh = new FreshCopies<string>();
    fresh.replace('cal-a', new Map([['e1', 'e1 v1'], ['e2', 'e2 v1']]));

    expect(fresh.take('cal-a', 'e1')).toBe('e1 v1');
    expect(fresh.take('cal-a', 'e1')).toBeUndefined();
    fresh.replace('cal-a', new Map([['e3', 'e3 v1']]));
    expect(fresh.take('cal-a', 'e2')).toBeUndefined();
    expect(fresh.take('cal-a', 'e3')).toBe('e3 v1');
    expect(fresh.take('cal-b', 'e3')).toBeUndefined();
  });

  it('keeps at most `limit` copies, forgetting the calendars read longest ago first', () => {
    const fresh = new FreshCopies<number>(3);
    fresh.replace('old', new Map([['a', 1], ['b', 2]]));
    fresh.replace('new', new Map([['c', 3], ['d', 4]]));
    // A calendar larger than the limit keeps nothing (its write-backs read the event as before).
    fresh.replace('huge', new Map([['w', 1], ['x', 2], ['y', 3], ['z', 4]]));

    expect(fresh.take('old', 'a')).toBeUndefined();
    expect(fresh.take('new', 'c')).toBe(3);
    expect(fresh.take('huge', 'w')).toBeUndefined();
  });

  it('drops a calendar whose read starts again, so a failed read leaves nothing from before', () => {
    const fresh = new FreshCopies<number>();
    fresh.replace('cal', new Map([['a', 1]]));
    fresh.drop('cal');
    expect(fresh.take('cal', 'a')).toBeUndefined();
  });
});
