import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGraphEvent, toCalendarEvent } from '../../src/calendars/outlook/event.js';
import { rruleOf, type GraphRecurrence } from '../../src/calendars/outlook/recurrence.js';
import { ianaZoneOf } from '../../src/calendars/outlook/zones.js';
import { mapRecurrence } from '../../src/domain/recurrence.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/graph/${name}`, import.meta.url), 'utf8'));
}

const noEnd = { type: 'noEnd', startDate: '2030-01-07' };

function rule(pattern: GraphRecurrence['pattern'], range: GraphRecurrence['range'] = noEnd, zone = 'UTC'): string {
  const [line, ...rest] = rruleOf({ pattern, range }, zone);
  expect(rest).toEqual([]);
  return line ?? '';
}

describe('Graph recurrence -> RRULE', () => {
  it.each<[string, GraphRecurrence['pattern'], string]>([
    ['daily every 3 days', { type: 'daily', interval: 3 }, 'RRULE:FREQ=DAILY;INTERVAL=3'],
    ['weekly on Monday', { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' }, 'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO'],
    [
      'every other week on Monday and Tuesday keeps the week start',
      { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'tuesday'], firstDayOfWeek: 'sunday' },
      'RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;WKST=SU',
    ],
    ['quarterly on the 15th', { type: 'absoluteMonthly', interval: 3, dayOfMonth: 15 }, 'RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15'],
    ['the second Tuesday', { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' }, 'RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU'],
    ['the last Friday', { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' }, 'RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR'],
    ['index defaults to first', { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'] }, 'RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=1MO'],
    [
      'the second Thursday or Friday (the first day that satisfies the pattern)',
      { type: 'relativeMonthly', interval: 3, daysOfWeek: ['thursday', 'friday'], index: 'second' },
      'RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=TH,FR;BYSETPOS=2',
    ],
    ['15 March every 3 years', { type: 'absoluteYearly', interval: 3, month: 3, dayOfMonth: 15 }, 'RRULE:FREQ=YEARLY;INTERVAL=3;BYMONTH=3;BYMONTHDAY=15'],
    [
      'the last Sunday of October',
      { type: 'relativeYearly', interval: 1, month: 10, daysOfWeek: ['sunday'], index: 'last' },
      'RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=10;BYDAY=-1SU',
    ],
    ['Graph zeros mean "not set" (month: 0, dayOfMonth: 0)', { type: 'daily', interval: 1, month: 0, dayOfMonth: 0 }, 'RRULE:FREQ=DAILY;INTERVAL=1'],
    ['an undocumented type stays visible for the engine to refuse', { type: 'fortnightly', interval: 1 }, 'RRULE:FREQ=FORTNIGHTLY;INTERVAL=1'],
  ])('%s', (_name, pattern, expected) => {
    expect(rule(pattern)).toBe(expected);
  });

  it('ends a numbered range with COUNT and an endDate range after the whole end day in its zone', () => {
    const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['monday'] };
    expect(rule(weekly, { type: 'numbered', startDate: '2030-01-07', numberOfOccurrences: 10 })).toBe('RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=10');
    // 31 December 2017, 23:59:59 in Los Angeles (PST, UTC-8) is 1 January 2018, 07:59:59 UTC.
    expect(rule(weekly, { type: 'endDate', startDate: '2017-09-04', endDate: '2017-12-31' }, 'America/Los_Angeles')).toBe(
      'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;UNTIL=20180101T075959Z',
    );
    // Older pages spell the range types in PascalCase (recurrencerange.md: EndDate, NoEnd, Numbered).
    expect(rule(weekly, { type: 'Numbered', numberOfOccurrences: 2 })).toBe('RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=2');
    expect(rule(weekly, { type: 'NoEnd' })).toBe('RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO');
  });

  it('maps Windows zone names to IANA (CLDR windowsZones)', () => {
    expect(ianaZoneOf('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(ianaZoneOf('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(ianaZoneOf('UTC')).toBe('UTC');
    expect(ianaZoneOf('Europe/Paris')).toBe('Europe/Paris');
    expect(ianaZoneOf('tzone://Microsoft/Custom')).toBeUndefined();
    expect(ianaZoneOf('Atlantis Standard Time')).toBeUndefined();
    expect(ianaZoneOf('')).toBeUndefined();
  });

  it('turns the series master sample into a weekly series the engine maps to the platform', () => {
    const master = toCalendarEvent(parseGraphEvent(fixture('event-recurring-seriesmaster.json')), { source: 'corp-outlook', calendarId: 'alexw@contoso.test' });

    expect(master.kind).toBe('series');
    expect(master.timeZone).toBe('America/Los_Angeles');
    // 12:00 Pacific Daylight Time on 4 September 2017 (the sample answers in the event's Windows zone).
    expect(master.start).toBe('2017-09-04T19:00:00.000Z');
    expect(master.recurrence).toEqual(['RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;UNTIL=20180101T075959Z']);

    const mapped = mapRecurrence(master.recurrence ?? [], master.start ?? '', master.timeZone);
    expect(mapped).toEqual({
      ok: true,
      recurrence: { frequencyType: 'weekly', frequency: 1, monthlyPattern: '', endsType: 'on', endsOn: '2018-01-01T07:59:59.000Z' },
      exdates: [],
    });
  });

  it('gives the engine rules it refuses with a reason rather than a series it would hold on wrong dates', () => {
    const lastFriday = rruleOf({ pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' }, range: noEnd }, 'Europe/Berlin');
    // 29 November 2030 is the last Friday of its month.
    const mapped = mapRecurrence(lastFriday, '2030-11-29T09:00:00.000Z', 'Europe/Berlin');
    expect(mapped.ok).toBe(false);
    if (!mapped.ok) expect(mapped.reason).toMatch(/last Friday/);
  });

  // Found by test/fuzz/graph-event.test.ts: an undocumented value was written into the rule raw.
  it('writes an undocumented value so that the engine refuses it: no part added, no second line', () => {
    expect(rule({ type: 'daily;COUNT=1' })).toBe('RRULE:FREQ=DAILY_COUNT_1;INTERVAL=1');
    expect(rule({ type: 'carriage\rreturn' })).toBe('RRULE:FREQ=CARRIAGE_RETURN;INTERVAL=1');
    const mapped = mapRecurrence(rruleOf({ pattern: { type: 'daily;count=1' }, range: noEnd }, 'UTC'), '2030-01-07T09:00:00.000Z', 'UTC');
    expect(mapped.ok).toBe(false);
  });
});
