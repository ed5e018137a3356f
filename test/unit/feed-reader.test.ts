import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NotIcsError, readFeedText, type FeedItem, type FeedRead } from '../../src/webmeeting/feed/read.js';
import { feedText } from '../support/feed-builder.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ics');
const files = readdirSync(fixtures).filter((f) => f.endsWith('.ics')).sort();

/** Both line-ending forms of a fixture, made from its bytes (SOURCES.md: run the ICS tests twice). */
function forms(name: string): Array<[string, string]> {
  const text = readFileSync(path.join(fixtures, name), 'utf8');
  return [
    ['LF', text.replace(/\r\n/g, '\n')],
    ['CRLF', text.replace(/\r?\n/g, '\r\n')],
  ];
}

/**
 * What each real-world file must give: the meetings read (by summary, first start in UTC) and the
 * warnings, as text fragments. Every file of test/fixtures/ics/ must be listed here.
 */
const EXPECTED: Record<string, { items: Array<[string, string | undefined]>; warnings?: RegExp[]; check?: (read: FeedRead) => void }> = {
  '2207678.ics': { items: [['Scheduled Reboot', '2008-10-31T01:30:00.000Z']] }, // 09:30 Kuala Lumpur (+8): escaped-comma TZID = quoted param
  'Language2.ics': {
    items: [
      ['God Jul', '2006-12-24T00:00:00.000Z'],
      ['Möte kontoret', '2006-10-31T00:00:00.000Z'],
      ['Swedish chars and letters', '2006-11-01T09:00:00.000Z'],
      ['Sova', '2006-11-01T10:00:00.000Z'],
      ['Nu måste jag gå hem', '2006-11-09T23:00:00.000Z'],
      ['Mamma fyller år', '2006-11-09T00:00:00.000Z'],
    ],
  },
  'Language3.ics': { items: [['Новый год', '2010-01-01T00:00:00.000Z']], check: (r) => expect(r.items.every((i) => i.allDay && i.rrule === 'FREQ=YEARLY' && i.lastEnd === null)).toBe(true) },
  'Office-2012-owa.ics': {
    items: [[' TEST Syd', '2020-10-28T03:30:00.000Z'], [' TEST', '2020-10-28T18:30:00.000Z'], [' TEST 3', '2020-11-02T18:30:00.000Z'], [' TEST2', '2020-11-02T18:30:00.000Z']],
    warnings: [/^DTSTART: time zone "\(GMT\+10:00\) Canberra, Melbourne, Sydney" is not known: read at its fixed offset/],
  },
  'Outlook2007LineFolds.ics': { items: [['Example Calendar Export that Blows Up DDay.iCal', '2009-06-21T00:00:00.000Z']] },
  'biweekly-exdate-until.ics': {
    // TZID=US/Central without a VTIMEZONE is the legacy IANA alias, not floating: 09:00 CST = 15:00Z.
    items: [['Example of comma-separated exdates', '2017-02-16T15:00:00.000Z'], ['Example of exdate with bad times', '2017-08-14T14:00:00.000Z']],
  },
  'blankTzid.ics': { items: [['', '2015-08-26T09:00:00.000Z']], warnings: [/^DTSTART: an empty TZID: read as UTC$/] },
  'exchange_whole_day_moved_recurrence.ics': { items: [['Exchange Recurring Test', '2026-02-19T00:00:00.000Z']] },
  'google-calendar-kiev-tz.ics': { items: [['repeated', '2016-08-25T11:00:00.000Z']], check: (r) => expect(r.items[0]?.lastEnd).toBe('2016-08-27T12:00:00.000Z') },
  'google_birthday.ics': {
    // The three overrides carry another UID than the master: orphans, each its own entry.
    items: [["PErson #2's birthday", '2014-12-10T00:00:00.000Z'], ["PErson #2's birthday", '2012-12-10T00:00:00.000Z'], ["PErson #2's birthday", '2013-12-10T00:00:00.000Z'], ["PErson #2's birthday", '2014-12-10T00:00:00.000Z']],
    check: (r) => expect(r.items.filter((i) => i.occurrenceOf !== undefined)).toHaveLength(3),
  },
  'issue_156_RDATE_with_PERIOD_TZID_khal_2.ics': { items: [['(omitted)', '2021-11-01T15:00:00.000Z']], check: (r) => expect(r.items[0]?.occurrenceOf).toBe('2021-11-01T15:00:00.000Z') },
  'issue_165_missing_event.ics': {
    items: [['Sprint 25 Daily Standup', '2015-07-03T08:00:00.000Z']],
    warnings: [/^RRULE read despite spaces inside the rule$/],
    check: (r) => expect(r.items[0]?.rrule).toBe('FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20150722T080000Z;WKST=SU'),
  },
  'issue_18_cancel_status.ics': { items: [['one is cancelled', '2020-01-28T21:00:00.000Z']] },
  'issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics': { items: [['', '2017-05-11T16:30:00.000Z']] },
  'issue_28_rrule_with_UTC_endinginZ.ics': { items: [['Refuse black bin', '2020-04-02T00:00:00.000Z'], ['Blue Recycle bin', '2020-04-09T00:00:00.000Z']] },
  'issue_350.ics': { items: [['Termin 4353 und"so"', '2022-02-22T18:30:00.000Z']], warnings: [/^1 line\(s\) after END:VCALENDAR ignored$/] },
  'issue_36_recurrence_ID_format.ics': { items: [['Base event', '2020-09-10T12:00:00.000Z'], ['Base event', '2020-09-07T00:00:00.000Z']] },
  'issue_62_moved_event.ics': { items: [['Karaoke', '2021-11-26T20:30:00.000Z']] },
  'issue_75_range_parameter.ics': { items: [['ORIGINAL EVENT', '2024-09-01T12:00:00.000Z']] },
  'ms_timezones.ics': {
    items: [['test', '2020-09-10T07:00:00.000Z'], ["Log Yesterday's Jira time", '2020-06-09T07:00:00.000Z'], ['Not the actual summary 1', '2020-09-15T15:30:00.000Z'], ['Not the actual summary either', '2020-07-07T19:00:00.000Z']],
    warnings: [/^DTSTART read despite a quote wrapping both the TZID and the value$/],
  },
  'recur_instances.ics': { items: [['Crazy Event Thingy!', '2012-10-02T17:00:00.000Z']] },
  'tentative-apple-calendar.ics': { items: [['Tentative', '2022-07-04T23:00:00.000Z'], ['Confirmed', '2022-07-05T16:00:00.000Z'], ['No Status', '2022-07-07T16:00:00.000Z']] },
  'test_with_int_tzid.ics': { items: [['test export import', '2023-12-15T14:00:00.000Z'], ['Atelier groupes portail/Nuage', '2024-01-08T10:00:00.000Z']] },
  'tmeher.ics': { items: [['Now with descriptoin', '2004-10-12T05:30:00.000Z']] },
  'vtimezone-year-0001-dtstart.ics': { items: [['Test event with year-0001 VTIMEZONE', '2024-06-01T08:00:00.000Z']] },
  'x_location.ics': { items: [['Daily Sync', '2016-10-28T12:00:00.000Z']] },
};

describe('readFeedText on every real-world ICS file, in both line-ending forms', () => {
  it('lists every fixture file', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  for (const file of files) {
    it.each(forms(file))(`${file} (%s)`, (_form, text) => {
      const read = readFeedText(text);
      const expected = EXPECTED[file]!;
      const got = read.items.map((i): [string, string | undefined] => [i.summary, i.start]);
      if (expected.items.length === read.items.length) expect(got).toEqual(expected.items);
      else expect(got.slice(0, expected.items.length)).toEqual(expected.items);
      expect(read.complete).toBe(true);
      // Nothing of these files is lost; what could not be read exactly is said per item.
      expect(read.warnings.filter((w) => w.lost)).toEqual([]);
      const messages = read.warnings.map((w) => w.message);
      for (const pattern of expected.warnings ?? []) expect(messages.some((m) => pattern.test(m))).toBe(true);
      if (!expected.warnings) expect(messages).toEqual([]);
      expected.check?.(read);
    });
  }

  it('both forms read the same', () => {
    for (const file of files) {
      const [[, lf], [, crlf]] = forms(file) as [[string, string], [string, string]];
      expect(readFeedText(crlf), file).toEqual(readFeedText(lf));
    }
  });
});

describe('readFeedText: one bad item never costs the feed', () => {
  const good = { id: '5e9400000000000000000001', number: '1000-2000-3000-0001', summary: 'Good' };

  it('a bad property is left out with a warning; the VEVENT and its neighbours stay', () => {
    const text = feedText([good, { id: '5e9400000000000000000002', summary: 'Bad rule', rrule: 'FREQ=WEEKLY;BYDAY=XX' }, { id: '5e9400000000000000000003', summary: 'After' }]);
    const read = readFeedText(text);
    expect(read.items.map((i) => i.summary)).toEqual(['Good', 'Bad rule', 'After']);
    const bad = read.items[1]!;
    expect(bad.unreadable).toEqual(['RRULE']);
    expect(bad.rrule).toBeUndefined();
    expect(read.warnings).toEqual([expect.objectContaining({ uid: '5e9400000000000000000002@meeting.example.com', lost: false, message: expect.stringMatching(/^RRULE could not be read \(.*BYDAY.*\); left out$/) })]);
  });

  // Found by test/fuzz/ics-feed.test.ts: warnings quoted damaged text whole, a 100 KB line or a U+2028 in it included.
  it('a warning stays one short line whatever the damaged text holds', () => {
    const read = readFeedText(
      feedText([{ ...good, rrule: 'FREQ=WEEKLY\u2028', extra: [`${'X'.repeat(100_000)}`, `DTEND;TZID=${'Z'.repeat(5000)}\u2028:20300107T100000`] }], { tail: [`END:${'Q'.repeat(5000)}`, 'END:VCALENDAR'] }),
    );
    expect(read.items.map((i) => i.summary)).toEqual(['Good']);
    expect(read.warnings.length).toBeGreaterThanOrEqual(3);
    for (const w of read.warnings) {
      expect(w.message).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(w.message.length).toBeLessThan(400);
    }
  });

  it('a value ical.js only refuses when asked (a DATE without VALUE=DATE) is unreadable, not fatal', () => {
    const read = readFeedText(feedText([{ ...good, dtstart: 'DTSTART;VALUE=DATE-TIME:20300107', dtend: 'DTEND:20300107T100000Z' }]));
    expect(read.items[0]).toMatchObject({ summary: 'Good', unreadable: ['DTSTART'], end: '2030-01-07T10:00:00.000Z' });
    expect(read.items[0]?.start).toBeUndefined();
  });

  // Found by test/fuzz/ics-feed.test.ts (FUZZ_SEED=998601711): the end of such an event is no date,
  // and reading it threw a RangeError where the contract allows only NotIcsError.
  it('a DURATION no calendar can hold is unreadable, not fatal', () => {
    const read = readFeedText(feedText([{ ...good, dtend: 'DURATION:P99999999W' }, { id: '5e9400000000000000000003', summary: 'After' }]));
    expect(read.items.map((i) => i.summary)).toEqual(['Good', 'After']);
    expect(read.items[0]).toMatchObject({ start: '2030-01-07T09:00:00.000Z', unreadable: ['DURATION'] });
    expect(read.items[0]?.end).toBeUndefined();
    expect(read.warnings.map((w) => w.message)).toEqual(['DURATION could not be read (P99999999W is longer than ten years)']);
  });

  it('a feed cut off inside a VEVENT: the ones before are read, the lost one named', () => {
    const text = feedText([good], { tail: ['BEGIN:VEVENT', 'UID:5e94000000000000000000ff@x', 'SUMMARY:half'] });
    const read = readFeedText(text);
    expect(read.items.map((i) => i.summary)).toEqual(['Good']);
    expect(read.complete).toBe(false);
    expect(read.warnings).toContainEqual(expect.objectContaining({ lost: true, meetingId: '5e94000000000000000000ff' }));
  });

  it('an END that closes nothing and a VALARM left open are repaired around', () => {
    const text = feedText([{ ...good, extra: ['BEGIN:VALARM', 'TRIGGER:-PT15M', 'END:VTODO'] }], { head: ['END:VJOURNAL'] });
    const read = readFeedText(text);
    expect(read.items.map((i) => i.summary)).toEqual(['Good']);
    expect(read.warnings.map((w) => w.message)).toEqual(['END:VJOURNAL closes no component; ignored', 'END:VTODO closes no open component; ignored', 'VALARM left open before END:VEVENT; closed there']);
  });

  it.each([
    ['an HTML error page', '<!DOCTYPE html><html><body>Login</body></html>', /HTML/],
    ['an empty body', '', /empty/],
    ['JSON', '{"responseCode":-99}', /JSON/],
    ['a vCard', 'BEGIN:VCARD\r\nEND:VCARD\r\n', /does not start with BEGIN:VCALENDAR/],
  ])('%s is not iCalendar at all (one error, for the caller to report)', (_name, text, pattern) => {
    expect(() => readFeedText(text)).toThrow(NotIcsError);
    expect(() => readFeedText(text)).toThrow(pattern);
  });
});

describe('readFeedText: a series ends with its own overrides only (the ical.js pitfall)', () => {
  // Two weekly meetings at the same hour in one feed. A's occurrence of 14 January is moved to June.
  // ical.js, given B's VEVENT without options, would relate A's override to B's occurrence of
  // 14 January (same RECURRENCE-ID), and B would seem to end in June.
  const a = { id: '5e9400000000000000000a0a', summary: 'A', rrule: 'FREQ=WEEKLY;COUNT=2' };
  const b = { id: '5e9400000000000000000b0b', summary: 'B', rrule: 'FREQ=WEEKLY;COUNT=2' };
  const moved = { ...a, rrule: undefined, recurrenceId: 'RECURRENCE-ID:20300114T090000Z', dtstart: 'DTSTART:20300601T090000Z', dtend: 'DTEND:20300601T100000Z' };
  const byName = (items: FeedItem[], s: string) => items.find((i) => i.summary === s && i.occurrenceOf === undefined);

  it('each series ends where its own occurrences and overrides do', () => {
    const { items } = readFeedText(feedText([moved, a, b]));
    expect(byName(items, 'A')?.lastEnd).toBe('2030-06-01T10:00:00.000Z');
    expect(byName(items, 'B')?.lastEnd).toBe('2030-01-14T10:00:00.000Z');
    // The override of A is no meeting of its own: A's master lists the meeting.
    expect(items).toHaveLength(2);
  });

  // Found by test/fuzz/ics-feed.test.ts (FUZZ_SEED=998601711): ical.js moves a time across months one
  // at a time, so an override lasting two million years took minutes to read (the feed's reading
  // timed out), and a range override in year 9999 seconds for each of thousands of occurrences.
  it.each([
    ['an override lasting two million years', { ...moved, dtend: 'DURATION:P99999999W' }, 'DURATION P99999999W is longer than ten years'],
    ['a range override in year 9999', { ...moved, recurrenceId: 'RECURRENCE-ID;RANGE=THISANDFUTURE:20300114T090000Z', dtstart: 'DTSTART:99990601T090000Z', dtend: 'DTEND:99990601T100000Z' }, 'DTSTART in year 9999'],
  ])('a series with %s is taken as never ending, without expanding it', (_name, override, why) => {
    const read = readFeedText(feedText([{ ...a, rrule: 'FREQ=DAILY;COUNT=4000' }, override]));
    expect(byName(read.items, 'A')?.lastEnd).toBeNull();
    expect(read.warnings.map((w) => w.message)).toEqual([`the series has a time no calendar can hold (${why}); taken as never ending`]);
  });

  it('an override whose RECURRENCE-ID cannot be read is left out of its series, with a warning', () => {
    const bad = { ...moved, recurrenceId: 'RECURRENCE-ID:20300114' };
    const read = readFeedText(feedText([bad, a]));
    expect(byName(read.items, 'A')?.lastEnd).toBe('2030-01-14T10:00:00.000Z');
    expect(read.warnings.map((w) => w.message)).toContain('an override of this series has an unreadable RECURRENCE-ID; it is left out of the series');
  });
});
