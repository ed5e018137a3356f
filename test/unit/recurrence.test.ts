import { describe, expect, it } from 'vitest';
import type { Recurrence } from '../../src/domain/meeting.js';
import { mapRecurrence, seriesEndsBefore } from '../../src/domain/recurrence.js';

const CHICAGO = 'America/Chicago';
const NEVER = { monthlyPattern: '', endsType: 'never' } as const;

describe('mapRecurrence: rules the platform can hold', () => {
  it.each<[string, string[], string, string | undefined, Recurrence]>([
    // compass-recurring-create.json: 07:30-05:00 daily, never ending.
    ['Google daily', ['RRULE:FREQ=DAILY'], '2025-03-24T12:30:00Z', CHICAGO, { frequencyType: 'daily', frequency: 1, ...NEVER }],
    // compass-recurring-edit-all-2.json: UNTIL is the UTC end of the local day (23:59:59 CDT).
    [
      'Google daily with UTC UNTIL',
      ['RRULE:FREQ=DAILY;UNTIL=20250326T045959Z'],
      '2025-03-24T12:30:00Z',
      CHICAGO,
      { frequencyType: 'daily', frequency: 1, monthlyPattern: '', endsType: 'on', endsOn: '2025-03-26T04:59:59.000Z' },
    ],
    // issue_28_rrule_with_UTC_endinginZ.ics: DTSTART;VALUE=DATE:20200402 (a Thursday) in GMT Standard
    // Time = Europe/London, i.e. 2020-04-01T23:00Z, a Wednesday in UTC. Only the local weekday matches BYDAY=TH.
    [
      'Exchange biweekly Thursday, all-day in BST',
      ['RRULE:FREQ=WEEKLY;UNTIL=20200916T230000Z;INTERVAL=2;BYDAY=TH;WKST=MO'],
      '2020-04-01T23:00:00Z',
      'Europe/London',
      { frequencyType: 'weekly', frequency: 2, monthlyPattern: '', endsType: 'on', endsOn: '2020-09-16T23:00:00.000Z' },
    ],
    // Monday 23:30 EDT is Tuesday 03:30 UTC.
    ['Monday 23:30 in New York', ['RRULE:FREQ=WEEKLY;BYDAY=MO'], '2025-03-11T03:30:00Z', 'America/New_York', { frequencyType: 'weekly', frequency: 1, ...NEVER }],
    // Without a zone the same instant is a Tuesday.
    ['no zone means UTC', ['RRULE:FREQ=WEEKLY;BYDAY=TU'], '2025-03-11T03:30:00Z', undefined, { frequencyType: 'weekly', frequency: 1, ...NEVER }],
    ['weekly without BYDAY', ['RRULE:FREQ=WEEKLY;INTERVAL=3'], '2025-03-11T03:30:00Z', 'America/New_York', { frequencyType: 'weekly', frequency: 3, ...NEVER }],
    // recur_instances.ics: DTSTART;TZID=America/Los_Angeles:20121002T100000, the first Tuesday.
    [
      'monthly first Tuesday',
      ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=1TU'],
      '2012-10-02T17:00:00Z',
      'America/Los_Angeles',
      { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'never' },
    ],
    [
      'monthly 2nd Tuesday',
      ['RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=10'],
      '2025-03-11T14:00:00Z',
      'Europe/Berlin',
      { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'after', endsAfter: 10 },
    ],
    [
      'monthly 2nd Tuesday via BYSETPOS',
      ['RRULE:FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2'],
      '2025-03-11T14:00:00Z',
      'Europe/Berlin',
      { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'never' },
    ],
    // issue_62_moved_event.ics starts on the 4th (and last) Friday of November 2021: as the 4th
    // Friday the platform holds it (the last Friday it cannot, see below).
    [
      'monthly 4th Friday',
      ['RRULE:FREQ=MONTHLY;BYDAY=4FR'],
      '2021-11-26T20:30:00Z',
      'Europe/Berlin',
      { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'never' },
    ],
    [
      'monthly 4th Friday via BYSETPOS',
      ['RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=4;COUNT=6'],
      '2021-11-26T20:30:00Z',
      'Europe/Berlin',
      { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'after', endsAfter: 6 },
    ],
    ['monthly 3rd Friday', ['RRULE:FREQ=MONTHLY;BYDAY=3FR'], '2021-11-19T20:30:00Z', 'Europe/Berlin', { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'never' }],
    // Every month has a 28th; the 29th and later are refused below.
    ['monthly on the 28th', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=28'], '2025-02-28T15:00:00Z', CHICAGO, { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfMonth', endsType: 'never' }],
    ['yearly on 28 February', ['RRULE:FREQ=YEARLY'], '2025-02-28T15:00:00Z', CHICAGO, { frequencyType: 'yearly', frequency: 1, ...NEVER }],
    // A yearly series on the 31st of a month that always has one.
    ['yearly on 31 March', ['RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31'], '2025-03-31T15:00:00Z', CHICAGO, { frequencyType: 'yearly', frequency: 1, ...NEVER }],
    // 16:30 PST on Jan 14 is Jan 15 in UTC: the local day is what BYMONTHDAY means.
    [
      'monthly on the local day of month',
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=14;INTERVAL=2'],
      '2025-01-15T00:30:00Z',
      'America/Los_Angeles',
      { frequencyType: 'monthly', frequency: 2, monthlyPattern: 'dayOfMonth', endsType: 'never' },
    ],
    ['monthly without BYxxx', ['RRULE:FREQ=MONTHLY'], '2025-01-15T00:30:00Z', 'America/Los_Angeles', { frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfMonth', endsType: 'never' }],
    // Language3.ics: a yearly all-day event.
    ['yearly', ['RRULE:FREQ=YEARLY;INTERVAL=1'], '2010-03-08T00:00:00Z', undefined, { frequencyType: 'yearly', frequency: 1, ...NEVER }],
    ['yearly on its own month and day', ['RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8'], '2010-03-08T00:00:00Z', undefined, { frequencyType: 'yearly', frequency: 1, ...NEVER }],
    // A DATE UNTIL includes the whole local day: 23:59:59.999 CDT.
    [
      'DATE UNTIL',
      ['RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20250920'],
      '2025-09-01T12:00:00Z',
      CHICAGO,
      { frequencyType: 'daily', frequency: 2, monthlyPattern: '', endsType: 'on', endsOn: '2025-09-21T04:59:59.999Z' },
    ],
    // A floating UNTIL is wall-clock time in the event's zone.
    [
      'floating UNTIL',
      ['RRULE:FREQ=DAILY;UNTIL=20250326T080000'],
      '2025-03-24T13:00:00Z',
      CHICAGO,
      { frequencyType: 'daily', frequency: 1, monthlyPattern: '', endsType: 'on', endsOn: '2025-03-26T13:00:00.000Z' },
    ],
    ['lower case and a trailing semicolon', ['rrule:freq=daily;count=5;'], '2025-03-24T13:00:00Z', CHICAGO, { frequencyType: 'daily', frequency: 1, monthlyPattern: '', endsType: 'after', endsAfter: 5 }],
  ])('%s', (_name, lines, start, zone, expected) => {
    const mapped = mapRecurrence(lines, start, zone);
    expect(mapped).toEqual({ ok: true, recurrence: expected, exdates: [] });
  });
});

describe('mapRecurrence: EXDATE lines become UTC instants', () => {
  it.each<[string, string[], string, string, string[]]>([
    // compass-recurring-delete-single.json: the master starts 08:00-06:00 (CST) on 2025-02-09; the
    // cancelled occurrence's originalStartTime is 2025-03-25T08:00:00-05:00 (CDT) = 13:00Z, not 14:00Z.
    [
      'DST-crossing Google series',
      ['RRULE:FREQ=DAILY;UNTIL=20250401T045959Z', 'EXDATE;TZID=America/Chicago:20250325T080000'],
      '2025-02-09T14:00:00Z',
      CHICAGO,
      ['2025-03-25T13:00:00.000Z'],
    ],
    // biweekly-exdate-until.ics, the EXDATE line unfolded (a comma list in US/Central, all in CDT);
    // the file's rule (BYDAY=MO,TH) is replaced by a daily one, which the platform can hold.
    [
      'comma list with TZID',
      ['RRULE:FREQ=DAILY', 'EXDATE;TZID=US/Central:20170720T090000,20170706T090000,20170717T090000,20170803T090000'],
      '2017-02-16T15:00:00Z',
      CHICAGO,
      ['2017-07-06T14:00:00.000Z', '2017-07-17T14:00:00.000Z', '2017-07-20T14:00:00.000Z', '2017-08-03T14:00:00.000Z'],
    ],
    // ms_timezones.ics: Exchange names the zone the Windows way; the event's IANA zone is used.
    [
      'Windows TZID falls back to the event zone',
      ['RRULE:FREQ=DAILY', 'EXDATE;TZID=Pacific Standard Time:20200721T120000,20200723T120000'],
      '2020-07-07T19:00:00Z',
      'America/Los_Angeles',
      ['2020-07-21T19:00:00.000Z', '2020-07-23T19:00:00.000Z'],
    ],
    [
      'VALUE=DATE takes the series time of day, UTC value kept, duplicates merged',
      ['RRULE:FREQ=DAILY', 'EXDATE;VALUE=DATE:20250325', 'EXDATE:20250325T130000Z', 'EXDATE;TZID="America/Chicago":20250327T080000'],
      '2025-02-09T14:00:00Z',
      CHICAGO,
      ['2025-03-25T13:00:00.000Z', '2025-03-27T13:00:00.000Z'],
    ],
  ])('%s', (_name, lines, start, zone, exdates) => {
    const mapped = mapRecurrence(lines, start, zone);
    expect(mapped.ok && mapped.exdates).toEqual(exdates);
  });
});

describe('mapRecurrence: rules the platform cannot hold', () => {
  it.each<[string, string[], string, string | undefined, RegExp]>([
    // biweekly-exdate-until.ics
    [
      'several weekdays',
      ['RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20170814T045959Z;INTERVAL=2;BYDAY=MO,TH'],
      '2017-02-16T15:00:00Z',
      'US/Central',
      /^repeats on several weekdays \(MO, TH\); the platform repeats on one weekday: split it into one series per day$/,
    ],
    // x_location.ics
    ['every workday', ['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'], '2025-03-10T14:00:00Z', CHICAGO, /several weekdays \(MO, TU, WE, TH, FR\)/],
    ['weekly on another weekday than the local start', ['RRULE:FREQ=WEEKLY;BYDAY=TU'], '2025-03-11T03:30:00Z', 'America/New_York', /repeats on TU but its first occurrence is on a MO \(America\/New_York\)/],
    ['daily on some weekdays', ['RRULE:FREQ=DAILY;BYDAY=MO,TU'], '2025-03-10T14:00:00Z', CHICAGO, /repeats daily only on MO, TU/],
    ['monthly 3rd Tuesday from a 2nd Tuesday', ['RRULE:FREQ=MONTHLY;BYDAY=3TU'], '2025-03-11T14:00:00Z', 'Europe/Berlin', /number 3 TU .* first occurrence is number 2 /],
    ['monthly last Friday from a 3rd Friday', ['RRULE:FREQ=MONTHLY;BYDAY=-1FR'], '2021-11-19T20:30:00Z', 'Europe/Berlin', /the last FR .* first occurrence is number 3 /],
    // 19 November 2021 is the second-to-last Friday: the rule matches its start, the platform still cannot hold it.
    ['monthly second-to-last', ['RRULE:FREQ=MONTHLY;BYDAY=-2FR'], '2021-11-19T20:30:00Z', 'Europe/Berlin', /^counts Fridays from the end of the month \(BYDAY=-2FR\), which the platform cannot hold: /],
    ['monthly second-to-last via BYSETPOS', ['RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-2'], '2021-11-19T20:30:00Z', 'Europe/Berlin', /^counts Fridays from the end of the month \(BYDAY=FR;BYSETPOS=-2\)/],
    // issue_62_moved_event.ics: DTSTART;TZID=Europe/Berlin:20211126T213000, the 4th and last Friday.
    // The platform takes "the 4th Friday" from that start: 24 instead of 31 December 2021.
    [
      'monthly last Friday',
      ['RRULE:FREQ=MONTHLY;BYDAY=-1FR'],
      '2021-11-26T20:30:00Z',
      'Europe/Berlin',
      new RegExp(
        '^repeats on the last Friday of the month \\(BYDAY=-1FR\\), which the platform cannot hold: its monthly repeat has no "last" ' +
          'and would keep to the 4th Friday of the first occurrence, a week early in months with five Fridays ' +
          '\\(December 2021: the 24th instead of the 31st\\); repeat on the 1st to 4th Friday instead, or schedule those meetings as single events$',
      ),
    ],
    ['monthly last Friday via BYSETPOS', ['RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1'], '2021-11-26T20:30:00Z', 'Europe/Berlin', /^repeats on the last Friday of the month \(BYDAY=FR;BYSETPOS=-1\).*December 2021/],
    ['monthly last Friday, ending', ['RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3'], '2021-11-26T20:30:00Z', 'Europe/Berlin', /last Friday/],
    // 29 October 2021 is the 5th Friday, so the last one too: the platform would look for a 5th Friday every month.
    ['monthly last Friday from a 5th Friday', ['RRULE:FREQ=MONTHLY;BYDAY=-1FR'], '2021-10-29T19:30:00Z', 'Europe/Berlin', /would keep to the 5th Friday of the first occurrence, which most months do not have/],
    ['monthly 5th Friday', ['RRULE:FREQ=MONTHLY;BYDAY=5FR'], '2021-10-29T19:30:00Z', 'Europe/Berlin', /^repeats on the 5th Friday of the month \(BYDAY=5FR\), which the platform cannot hold: most months have only four Fridays/],
    ['monthly 5th Friday via BYSETPOS', ['RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=5'], '2021-10-29T19:30:00Z', 'Europe/Berlin', /^repeats on the 5th Friday of the month \(BYDAY=FR;BYSETPOS=5\)/],
    // RFC 5545 3.3.10 skips months without the day; the platform's dayOfMonth cannot say whether it does.
    ['monthly on the 31st', ['RRULE:FREQ=MONTHLY'], '2025-01-31T15:00:00Z', CHICAGO, /^repeats monthly on day 31, which the platform cannot hold: February, April, June, September and November have no day 31/],
    ['monthly on BYMONTHDAY=30', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=30;COUNT=4'], '2025-01-30T15:00:00Z', CHICAGO, /^repeats monthly on day 30, .*February has no day 30.*repeat on a day from 1 to 28 instead/],
    ['monthly on the 29th', ['RRULE:FREQ=MONTHLY;INTERVAL=2'], '2025-03-29T15:00:00Z', CHICAGO, /^repeats monthly on day 29, .*February in most years has no day 29/],
    // The 31st in the event's zone: 2025-02-01T03:00Z is 31 January 21:00 in Chicago.
    ['monthly on the local 31st', ['RRULE:FREQ=MONTHLY'], '2025-02-01T03:00:00Z', CHICAGO, /day 31/],
    ['yearly on 29 February', ['RRULE:FREQ=YEARLY'], '2024-02-29T12:00:00Z', undefined, /^repeats yearly on 29 February, which the platform cannot hold: .*repeat on 28 February or 1 March instead/],
    ['monthly every Tuesday', ['RRULE:FREQ=MONTHLY;BYDAY=TU'], '2025-03-11T14:00:00Z', 'Europe/Berlin', /repeats monthly by "FREQ=MONTHLY;BYDAY=TU"/],
    ['monthly last workday', ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'], '2025-03-31T14:00:00Z', CHICAGO, /several weekdays/],
    ['several days of the month', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'], '2025-03-01T14:00:00Z', CHICAGO, /several days of the month \(1, 15\)/],
    ['last day of the month', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=-1'], '2025-03-31T14:00:00Z', CHICAGO, /from the end of the month \(BYMONTHDAY=-1\)/],
    ['BYMONTHDAY of the UTC day, not the local one', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=15'], '2025-01-15T00:30:00Z', 'America/Los_Angeles', /day 15 .* first occurrence is on day 14/],
    // A VTIMEZONE rule from issue_28_rrule_with_UTC_endinginZ.ics: yearly on a weekday of a month.
    ['yearly on the last Sunday of October', ['RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10'], '2025-10-26T01:00:00Z', undefined, /repeats yearly with BYDAY=-1SU/],
    ['yearly in another month', ['RRULE:FREQ=YEARLY;BYMONTH=4'], '2010-03-08T00:00:00Z', undefined, /month 4 .* month 3/],
    // issue_156_RDATE_with_PERIOD_TZID_khal_2.ics
    ['BYHOUR', ['RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=10'], '2025-10-26T01:00:00Z', undefined, /BYMINUTE=0|BYHOUR=2/],
    ['BYWEEKNO', ['RRULE:FREQ=YEARLY;BYWEEKNO=20'], '2025-05-12T08:00:00Z', undefined, /BYWEEKNO=20/],
    ['hourly', ['RRULE:FREQ=HOURLY;INTERVAL=4'], '2025-03-10T14:00:00Z', CHICAGO, /^repeats hourly, but the platform repeats at most daily/],
    ['two RRULEs', ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RRULE:FREQ=WEEKLY;BYDAY=WE'], '2025-03-10T14:00:00Z', CHICAGO, /combines 2 RRULE lines/],
    // google_birthday.ics
    ['RDATE', ['RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1', 'RDATE:20131210Z', 'RDATE:20121210Z'], '2014-12-10T00:00:00Z', undefined, /\(RDATE\)/],
    // recur_instances.ics
    ['RDATE period', ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=1TU', 'RDATE;VALUE=PERIOD:20231125T090000Z/20231125T123000Z'], '2012-10-02T17:00:00Z', 'America/Los_Angeles', /\(RDATE\)/],
    ['EXRULE', ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=WEEKLY;BYDAY=SA'], '2025-03-10T14:00:00Z', CHICAGO, /\(EXRULE\)/],
    ['only an EXDATE', ['EXDATE:20250325T130000Z'], '2025-03-10T14:00:00Z', CHICAGO, /has no RRULE line/],
  ])('%s', (_name, lines, start, zone, reason) => {
    const mapped = mapRecurrence(lines, start, zone);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toMatch(reason);
  });
});

describe('mapRecurrence: unreadable input is a reason that quotes the line, never a throw', () => {
  it.each<[string, string, RegExp]>([
    ['RRULE:FREQ=SOMETIMES', 'RRULE:FREQ=SOMETIMES', /FREQ=SOMETIMES is malformed/],
    ['RRULE:INTERVAL=2', 'RRULE:INTERVAL=2', /FREQ is missing/],
    ['RRULE:FREQ=DAILY;INTERVAL=0', 'RRULE:FREQ=DAILY;INTERVAL=0', /INTERVAL=0 is malformed/],
    ['RRULE:FREQ=DAILY;COUNT=3;UNTIL=20250101T000000Z', 'RRULE:FREQ=DAILY;COUNT=3;UNTIL=20250101T000000Z', /COUNT and UNTIL/],
    ['RRULE:FREQ=DAILY;FREQ=WEEKLY', 'RRULE:FREQ=DAILY;FREQ=WEEKLY', /FREQ appears twice/],
    ['RRULE:FREQ=DAILY;UNTIL=20250230', 'RRULE:FREQ=DAILY;UNTIL=20250230', /not a real date/],
    ['RRULE:FREQ=DAILY;COLOR=RED', 'RRULE:FREQ=DAILY;COLOR=RED', /COLOR is not an RFC 5545 rule part/],
    ['EXDATE:2025-03-25', 'EXDATE:2025-03-25', /not an RFC 5545 DATE or DATE-TIME/],
    ['FREQ=DAILY', 'FREQ=DAILY', /no property name/],
    ['DTSTART:20250325T130000Z', 'DTSTART:20250325T130000Z', /DTSTART is not an RRULE/],
  ])('%s', (line, quoted, why) => {
    const mapped = mapRecurrence(['RRULE:FREQ=DAILY', line].slice(line.startsWith('RRULE') ? 1 : 0), '2025-03-24T13:00:00Z', CHICAGO);
    expect(mapped.ok).toBe(false);
    const reason = mapped.ok ? '' : mapped.reason;
    expect(reason).toContain(`"${quoted}"`);
    expect(reason).toMatch(why);
  });

  it('rejects a zone or start it cannot place', () => {
    expect(mapRecurrence(['RRULE:FREQ=DAILY'], '2025-03-24T13:00:00Z', 'Central Standard Time')).toMatchObject({ ok: false, reason: expect.stringMatching(/not an IANA zone/) });
    expect(mapRecurrence(['RRULE:FREQ=DAILY'], 'yesterday', CHICAGO)).toMatchObject({ ok: false, reason: expect.stringMatching(/"yesterday"/) });
  });
});

describe('seriesEndsBefore', () => {
  it.each<[string, string[], string, string | undefined, string, boolean]>([
    // Weekly 09:00 Europe/Zurich from Monday 17 March (CET, 08:00Z); the third occurrence on 31 March
    // is after the DST change, 09:00 CEST = 07:00Z. Stepping in UTC would put it at 08:00Z.
    ['COUNT across DST, after the last start', ['RRULE:FREQ=WEEKLY;COUNT=3'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-31T07:30:00Z', true],
    ['COUNT across DST, at the last start', ['RRULE:FREQ=WEEKLY;COUNT=3'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-31T07:00:00Z', false],
    // Last Friday 09:00 New York from January (EST, 14:00Z): the third is 28 March, EDT = 13:00Z.
    ['monthly last Friday COUNT across DST', ['RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3'], '2025-01-31T14:00:00Z', 'America/New_York', '2025-03-28T13:30:00Z', true],
    ['monthly last Friday COUNT, before its last start', ['RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3'], '2025-01-31T14:00:00Z', 'America/New_York', '2025-03-28T12:59:00Z', false],
    // RFC 5545 skips months without a 31st: Jan 31, Mar 31, May 31 (clamping would end on Mar 31).
    ['monthly on the 31st skips short months', ['RRULE:FREQ=MONTHLY;COUNT=3'], '2025-01-31T15:00:00Z', CHICAGO, '2025-04-15T00:00:00Z', false],
    ['monthly on the 31st, after May', ['RRULE:FREQ=MONTHLY;COUNT=3'], '2025-01-31T15:00:00Z', CHICAGO, '2025-05-31T15:00:00.001Z', true],
    // compass-recurring-edit-all-2.json: occurrences 24 and 25 March at 12:30Z; UNTIL excludes the 26th.
    ['Google UNTIL, after the last start', ['RRULE:FREQ=DAILY;UNTIL=20250326T045959Z'], '2025-03-24T12:30:00Z', CHICAGO, '2025-03-25T12:30:00.001Z', true],
    ['Google UNTIL, at the last start', ['RRULE:FREQ=DAILY;UNTIL=20250326T045959Z'], '2025-03-24T12:30:00Z', CHICAGO, '2025-03-25T12:30:00Z', false],
    ['INTERVAL steps whole periods', ['RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=2'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-31T07:30:00Z', true],
    ['INTERVAL, before the second start', ['RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=2'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-24T07:30:00Z', false],
    // A yearly 29 February skips common years: the second occurrence is in 2028.
    ['yearly leap day', ['RRULE:FREQ=YEARLY;COUNT=2'], '2024-02-29T12:00:00Z', undefined, '2026-01-01T00:00:00Z', false],
    ['never-ending', ['RRULE:FREQ=DAILY'], '2020-01-01T12:00:00Z', CHICAGO, '2099-01-01T00:00:00Z', false],
    ['cancelled last occurrence ends the series early', ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE;TZID=Europe/Zurich:20250331T090000'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-25T00:00:00Z', true],
    ['without that EXDATE it is live', ['RRULE:FREQ=WEEKLY;COUNT=3'], '2025-03-17T08:00:00Z', 'Europe/Zurich', '2025-03-25T00:00:00Z', false],
    ['a later RDATE keeps it live', ['RRULE:FREQ=DAILY;COUNT=2', 'RDATE:20250601T120000Z'], '2025-03-17T08:00:00Z', CHICAGO, '2025-04-01T00:00:00Z', false],
    ['first start still ahead', ['RRULE:FREQ=DAILY;UNTIL=20200101T000000Z'], '2025-03-17T08:00:00Z', CHICAGO, '2025-03-01T00:00:00Z', false],
    // Rules the platform cannot take are expanded too, so a finished one can be skipped quietly.
    // biweekly-exdate-until.ics: the UNTIL is 2017-08-13 23:59:59 CDT.
    ['unsupported rule with UNTIL, over', ['RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20170814T045959Z;INTERVAL=2;BYDAY=MO,TH'], '2017-02-16T15:00:00Z', 'US/Central', '2017-08-14T05:00:00Z', true],
    ['unsupported rule with UNTIL, live', ['RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20170814T045959Z;INTERVAL=2;BYDAY=MO,TH'], '2017-02-16T15:00:00Z', 'US/Central', '2017-07-01T00:00:00Z', false],
    // Thu 16, Mon 20, Thu 23, Mon 27 February 09:00 CST: the last starts 2017-02-27T15:00Z.
    ['unsupported rule with COUNT, over', ['RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4'], '2017-02-16T15:00:00Z', 'US/Central', '2017-02-27T15:00:00.001Z', true],
    ['unsupported rule with COUNT, at the last start', ['RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4'], '2017-02-16T15:00:00Z', 'US/Central', '2017-02-27T15:00:00Z', false],
    ['unreadable rule is never called over', ['RRULE:FREQ=SOMETIMES;COUNT=1'], '2017-02-16T15:00:00Z', CHICAGO, '2099-01-01T00:00:00Z', false],
  ])('%s', (_name, lines, start, zone, now, expected) => {
    expect(seriesEndsBefore(lines, start, zone, new Date(now))).toBe(expected);
  });
});
