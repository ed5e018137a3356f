import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeedMeeting } from '../../src/domain/meeting.js';
import { NotIcsError, readFeedText, type FeedItem, type FeedRead } from '../../src/webmeeting/feed/read.js';
import { parseFeed } from '../../src/webmeeting/feed/strict.js';
import { feedText, veventLines } from '../support/feed-builder.js';
import { checkFeedRefusal } from './reader-contract.js';
import { applyText, fixtureFiles, fuzzSeeds, isOneLine, labelled, preview, readFixture, runs, showMutations, textMutation } from './mutate.js';

/**
 * The ICS feed reader (src/webmeeting/feed/read.ts with text, block, time, series) on damaged
 * real feeds (test/fixtures/ics) and on a platform-shaped feed, through both of its callers.
 * Contract, as reconcile/feed-fetch.ts and the report use it: readFeedText throws NotIcsError
 * (one line, "is not iCalendar (...)" in the report) only when the text does not begin with
 * BEGIN:VCALENDAR; anything less is a warning of one line, a VEVENT it cannot read is a warning
 * with `lost: true`, and every other VEVENT is still read. Contract, as the sync's duplicate
 * guard uses it (feed/strict.ts parseFeed, behind client.readFeed): the reader's meetings, or
 * one DataError line (reader-contract.ts checkFeedRefusal), never a read that lost an entry.
 */

const FEEDS: Record<string, string> = Object.fromEntries(fixtureFiles('ics', '.ics').map((name) => [name, readFixture('ics', name)]));
FEEDS['platform-feed'] = feedText([
  { id: '5e9400000000000000000001', number: '123-456-789', summary: 'Weekly, planning', rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=10', marker: '6f1c9b2e-8d4a-4c3b-9e5f-1a2b3c4d5e6f' },
  { id: '5e9400000000000000000001', number: '123-456-789', summary: 'Moved', recurrenceId: 'RECURRENCE-ID:20300114T090000Z', dtstart: 'DTSTART:20300115T090000Z', dtend: 'DTEND:20300115T100000Z' },
  { id: '5e9400000000000000000002', number: '987-654-321', summary: 'Berlin', dtstart: 'DTSTART;TZID=Europe/Berlin:20300107T100000', dtend: 'DTEND;TZID=Europe/Berlin:20300107T110000' },
]);
const NAMES = Object.keys(FEEDS).sort();

/** Whether the first content line, unfolded (RFC 5545 3.1), is BEGIN:VCALENDAR. */
function beginsWithVcalendar(text: string): boolean {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const at = lines.findIndex((line) => line.trim() !== '' && !/^[ \t]/.test(line));
  if (at === -1) return false;
  let first = lines[at]!;
  for (const next of lines.slice(at + 1)) {
    if (/^[ \t]/.test(next)) first += next.slice(1);
    else if (next.trim() !== '') break;
  }
  return /^BEGIN:VCALENDAR\s*$/i.test(first);
}

/** What the report and the comparison rely on in a read feed. */
function checkRead(read: FeedRead): void {
  for (const w of read.warnings) {
    expect(isOneLine(w.message), JSON.stringify(w.message.slice(0, 300))).toBe(true);
    expect(w.message.length, w.message.slice(0, 200)).toBeLessThanOrEqual(1000);
    expect(typeof w.lost).toBe('boolean');
    if (w.line !== undefined) expect(Number.isInteger(w.line) && w.line > 0).toBe(true);
  }
  expect(read.items.length).toBeLessThanOrEqual(read.vevents);
  for (const item of read.items) {
    expect(typeof item.uid).toBe('string');
    expect(Number.isInteger(item.line) && item.line > 0).toBe(true);
    for (const [name, value] of [['start', item.start], ['end', item.end], ['lastEnd', item.lastEnd ?? undefined], ['occurrenceOf', item.occurrenceOf]] as const) {
      if (value !== undefined) expect(Number.isFinite(Date.parse(value)), `${name} ${value}`).toBe(true);
    }
    if (item.rrule !== undefined) expect(isOneLine(item.rrule)).toBe(true);
  }
}

/** readFeedText on `text`: the read, or undefined after the documented NotIcsError. */
function readOrNotIcs(text: string): FeedRead | undefined {
  try {
    const read = readFeedText(text);
    checkRead(read);
    return read;
  } catch (err) {
    if (!(err instanceof NotIcsError)) {
      throw new Error(`not a NotIcsError: ${String((err as Error)?.constructor?.name)}: ${String((err as Error)?.message ?? err).slice(0, 300)}`, { cause: err });
    }
    expect(isOneLine(err.message)).toBe(true);
    expect(beginsWithVcalendar(text), 'NotIcsError for a text that begins with BEGIN:VCALENDAR').toBe(false);
    return undefined;
  }
}

/** The sync's view of a reader's item (strict.ts keeps these fields). */
function asFeedMeeting(item: FeedItem): FeedMeeting {
  const { allDay: _a, lastEnd: _l, occurrenceOf: _o, markers: _m, unreadable: _u, line: _n, ...meeting } = item;
  return meeting;
}

/** The sync's reading of `text`: its meetings, or undefined after the documented DataError. */
function syncReadOrRefusal(text: string): FeedMeeting[] | undefined {
  let meetings: FeedMeeting[];
  try {
    meetings = parseFeed(text, { owner: 'ann@example.com' });
  } catch (err) {
    checkFeedRefusal(err);
    return undefined;
  }
  // Accepted: the reader read the whole feed, and the sync sees exactly its meetings.
  const read = readOrNotIcs(text);
  expect(read, 'the sync accepted a text the reader calls not iCalendar').toBeDefined();
  expect(read!.complete).toBe(true);
  expect(read!.warnings.filter((w) => w.lost), 'the sync accepted a read that lost a VEVENT').toEqual([]);
  expect(read!.warnings.filter((w) => w.kind === 'unreadable' || w.kind === 'skipped' || w.kind === 'structure')).toEqual([]);
  expect(meetings).toEqual(read!.items.map(asFeedMeeting));
  return meetings;
}

const damagedFeed = fc
  .tuple(fc.constantFrom(...NAMES), fc.array(textMutation, { minLength: 1, maxLength: 6 }))
  .map(([name, mutations]) => {
    // Read as the platform client reads a body: UTF-8, invalid bytes replaced.
    const text = applyText(FEEDS[name]!, mutations).toString('utf8');
    return labelled({ text }, () => `${name} ${showMutations(mutations)} -> ${preview(text, 200)}`);
  });

/** A meeting every damaged feed below starts with; damage after it must not cost it. */
const SENTINEL = veventLines({ id: '5e94000000000000000000ff', number: '111-222-333', summary: 'Sentinel' });

/** The sentinel as read from a feed of its own. */
const SENTINEL_READ = readFeedText(['BEGIN:VCALENDAR', ...SENTINEL, 'END:VCALENDAR', ''].join('\r\n')).items[0]!;

/** The sentinel, a calendar property (so a continuation line cannot fold into the sentinel's END), then a damaged feed's body. */
const feedWithSentinel = fc
  .tuple(fc.constantFrom(...NAMES), fc.array(textMutation, { minLength: 1, maxLength: 6 }), fc.constantFrom('\r\n', '\n'))
  .map(([name, mutations, eol]) => {
    const body = FEEDS[name]!.replace(/^\uFEFF?BEGIN:VCALENDAR\r?\n/i, '');
    const text = ['BEGIN:VCALENDAR', ...SENTINEL, 'X-FUZZ:after the sentinel', ''].join(eol) + applyText(body, mutations).toString('utf8');
    return labelled({ text }, () => `sentinel + ${name} ${showMutations(mutations)} -> ${preview(text.slice(300), 200)}`);
  });

/**
 * The same feed folded differently and with other line endings (RFC 5545 3.1: a line may be
 * folded anywhere with CRLF + space or TAB; CRLF, LF and CR are all seen in real feeds).
 */
const refolded = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom('\r\n', '\n', '\r'), fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 10 }), fc.constantFrom(' ', '\t'))
  .map(([name, eol, widths, blank]) => {
    let n = 0;
    // The byte-order mark is no character of the first line: folded after it, the line would begin with the fold's blank.
    const bom = FEEDS[name]!.startsWith('\uFEFF') ? '\uFEFF' : '';
    const lines = FEEDS[name]!.slice(bom.length).split(/\r\n|\n|\r/).map((line) => {
      // Folded at a width picked per line, never before the first character (an empty first part would fold onto the previous line).
      const width = widths[n++ % widths.length]!;
      if (line.length <= width || line.startsWith(' ') || line.startsWith('\t')) return line;
      const parts: string[] = [];
      for (let at = 0; at < line.length; at += width) parts.push(line.slice(at, at + width));
      return parts.join(`${eol}${blank}`);
    });
    return labelled({ name, text: bom + lines.join(eol) }, () => `${name} eol ${JSON.stringify(eol)} widths ${JSON.stringify(widths)} ${JSON.stringify(blank)}`);
  });

/** A read without physical line numbers, which folding changes. */
function withoutLines(read: FeedRead) {
  return {
    ...read,
    items: read.items.map(({ line: _line, ...item }) => item),
    warnings: read.warnings.map(({ line: _line, ...w }) => w),
  };
}

const LOADED = { timeout: 120_000 };

/** Each property runs with the fixed fuzz seed and a random one, both printed (FUZZ_SEED=n replays one). */
const FUZZ_SEEDS = fuzzSeeds(import.meta.url);

/** Each seed's read as stored, computed once. */
const BASELINE = new Map(NAMES.map((name) => [name, withoutLines(readFeedText(FEEDS[name]!))]));

describe('ICS feed reader fuzz', () => {
  it('every seed reads (the fuzz starts from real feeds)', () => {
    for (const name of NAMES) expect(readOrNotIcs(FEEDS[name]!), name).toBeDefined();
  });

  it.for(FUZZ_SEEDS.list)('a damaged feed: a read with one-line warnings, or NotIcsError when it does not begin with BEGIN:VCALENDAR (seed %i)', LOADED, (seed) => {
    fc.assert(fc.property(damagedFeed, ({ text }) => void readOrNotIcs(text)), runs(300, seed));
  });

  it.for(FUZZ_SEEDS.list)('damage after a good VEVENT never costs that VEVENT (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(feedWithSentinel, ({ text }) => {
        const read = readOrNotIcs(text);
        expect(read).toBeDefined();
        const sentinel = read!.items.find((i) => i.uid === SENTINEL_READ.uid && i.line === SENTINEL_READ.line);
        expect(sentinel, JSON.stringify(read!.warnings.slice(0, 5))).toEqual(SENTINEL_READ);
      }),
      runs(200, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)("the sync's reading of a damaged feed: the reader's meetings when nothing was lost, else one DataError line (seed %i)", LOADED, (seed) => {
    fc.assert(fc.property(damagedFeed, ({ text }) => void syncReadOrRefusal(text)), runs(300, seed));
  });

  it.for(FUZZ_SEEDS.list)("the sync's reading after a good VEVENT: refused, or the sentinel as the reader reads it (seed %i)", LOADED, (seed) => {
    const sentinel = asFeedMeeting(SENTINEL_READ);
    fc.assert(
      fc.property(feedWithSentinel, ({ text }) => {
        const meetings = syncReadOrRefusal(text);
        if (meetings) expect(meetings.find((m) => m.uid === sentinel.uid)).toEqual(sentinel);
      }),
      runs(200, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)('folding and line endings change nothing but line numbers (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(refolded, ({ name, text }) => {
        const read = readOrNotIcs(text);
        expect(read).toBeDefined();
        expect(withoutLines(read!)).toEqual(BASELINE.get(name));
      }),
      runs(150, seed),
    );
  });
});
