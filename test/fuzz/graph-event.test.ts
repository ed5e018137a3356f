import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyWithoutBlock } from '../../src/calendars/outlook/body.js';
import { planRound } from '../../src/calendars/outlook/delta.js';
import { graphBodyOf, parseDeltaPage, parseGraphEvent, toCalendarEvent, type GraphDeltaPage, type GraphEvent } from '../../src/calendars/outlook/event.js';
import { rruleOf } from '../../src/calendars/outlook/recurrence.js';
import { ianaZoneOf } from '../../src/calendars/outlook/zones.js';
import type { CalendarEvent } from '../../src/domain/event.js';
import { applyJson, fixtureFiles, fuzzSeeds, isOneLine, jsonMutation, labelled, ODD_STRINGS, readFixture, runs, showMutations } from './mutate.js';
import { checkEvent, checkItemIsolation, readOrMalformed } from './reader-contract.js';

/**
 * The Graph event reader (outlook/event.ts with outlook/recurrence.ts, outlook/body.ts,
 * outlook/zones.ts, and the round planner of outlook/delta.ts) on damaged samples from the Graph
 * documentation (test/fixtures/graph). Contract, as outlook/source.ts and outlook/round.ts use it:
 * parseDeltaPage/parseGraphEvent and toCalendarEvent return events the engine can use or throw
 * MalformedResponseError naming the field (the adapter's CalendarError for that mailbox: the
 * round fails and is read again, nothing is deleted); the recurrence, body and zone helpers never
 * throw. Items map one by one: a bad item never changes how another one is read.
 */

const FILES = fixtureFiles('graph', '.json').map((name) => ({ name, data: JSON.parse(readFixture('graph', name)) as Record<string, unknown> }));
const PAGES = FILES.filter(({ data }) => Array.isArray(data.value));
const EVENTS = [...FILES.filter(({ data }) => !Array.isArray(data.value)).map(({ data }) => data), ...PAGES.flatMap(({ data }) => data.value as unknown[])];

const context = { source: 'corp-m365', calendarId: 'bob@example.com' };

/** One item the way outlook/source.ts maps it, with the helpers it uses around the mapping. */
function mapItem(item: GraphEvent): CalendarEvent | undefined {
  const event = readOrMalformed(() => toCalendarEvent(item, { ...context, what: `Graph GET event (event ${item.id})` }));
  if (event) {
    checkEvent(event);
    for (const line of event.recurrence ?? []) {
      expect(isOneLine(line), JSON.stringify(line)).toBe(true);
      expect(line.startsWith('RRULE:')).toBe(true);
    }
  }
  // Write-back reads the body again to take our block out; it must not throw on any body.
  expect(typeof bodyWithoutBlock(graphBodyOf(item)).content).toBe('string');
  return event;
}

function mapPage(page: GraphDeltaPage): Array<CalendarEvent | undefined> {
  const plan = planRound(page.value);
  expect(Array.isArray(plan.masters)).toBe(true);
  return page.value.map(mapItem);
}

const damagedPage = fc
  .tuple(fc.constantFrom(...PAGES), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }))
  .map(([{ name, data }, mutations]) => labelled({ data: applyJson(data, mutations) }, () => `${name} ${showMutations(mutations)}`));

const damagedItem = fc
  .tuple(fc.constantFrom(...PAGES), fc.nat(), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }))
  .map(([{ name, data }, pick, mutations]) => {
    const k = pick % (data.value as unknown[]).length;
    return labelled({ page: data, k, data: applyJson(data, mutations, ['value', k]) }, () => `${name} value[${k}] ${showMutations(mutations)}`);
  });

/** A documented-looking recurrence with odd values in it (schema-valid: the helper's own input). */
const recurrence = fc.record({
  pattern: fc.record({
    type: fc.oneof(fc.constantFrom('daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly', 'hourly', '', 'daily;COUNT=1'), fc.constantFrom(...ODD_STRINGS)),
    interval: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
    month: fc.option(fc.oneof(fc.integer({ min: -2, max: 14 }), fc.double()), { nil: undefined }),
    dayOfMonth: fc.option(fc.oneof(fc.integer({ min: -2, max: 40 }), fc.double()), { nil: undefined }),
    daysOfWeek: fc.option(fc.array(fc.oneof(fc.constantFrom('monday', 'Sunday', 'FRIDAY', 'funday'), fc.constantFrom(...ODD_STRINGS))), { nil: undefined }),
    firstDayOfWeek: fc.option(fc.oneof(fc.constantFrom('sunday', 'monday'), fc.constantFrom(...ODD_STRINGS)), { nil: undefined }),
    index: fc.option(fc.oneof(fc.constantFrom('first', 'second', 'last', 'fifth', '1;COUNT=2'), fc.constantFrom(...ODD_STRINGS)), { nil: undefined }),
  }),
  range: fc.record({
    type: fc.oneof(fc.constantFrom('endDate', 'noEnd', 'numbered', 'EndDate', 'Numbered'), fc.constantFrom(...ODD_STRINGS)),
    startDate: fc.option(fc.constantFrom(...ODD_STRINGS, '2025-01-01'), { nil: undefined }),
    endDate: fc.option(fc.constantFrom(...ODD_STRINGS, '2025-12-31'), { nil: undefined }),
    numberOfOccurrences: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
    recurrenceTimeZone: fc.option(fc.constantFrom(...ODD_STRINGS), { nil: undefined }),
  }),
});

const LOADED = { timeout: 120_000 };

/** Each property runs with the fixed fuzz seed and a random one, both printed (FUZZ_SEED=n replays one). */
const FUZZ_SEEDS = fuzzSeeds(import.meta.url);

describe('Graph event reader fuzz', () => {
  it('the samples read cleanly (the fuzz starts from valid pages and events)', () => {
    for (const { name, data } of PAGES) expect(mapPage(parseDeltaPage(data)).every((e) => e !== undefined), name).toBe(true);
    for (const data of EVENTS) expect(mapItem(parseGraphEvent(data))).toBeDefined();
  });

  it.for(FUZZ_SEEDS.list)('a damaged delta page: events the engine can use, or MalformedResponseError naming the field in one line (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(damagedPage, ({ data }) => {
        const page = readOrMalformed(() => parseDeltaPage(data));
        if (page) mapPage(page);
      }),
      runs(800, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)("a damaged item is that item's failure: the error names it, and every other item reads as before (seed %i)", LOADED, (seed) => {
    fc.assert(
      fc.property(damagedItem, (input) => checkItemIsolation(input, 'value', (data) => parseDeltaPage(data), mapPage)),
      runs(500, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)('a damaged event GET body: an event or MalformedResponseError (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENTS), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }), (data, mutations) => {
        const event = readOrMalformed(() => parseGraphEvent(applyJson(data, mutations)));
        if (event) mapItem(event);
      }),
      runs(600, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)('recurrence patterns with odd values: one RRULE line, never an exception (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(recurrence, fc.option(fc.constantFrom(...ODD_STRINGS, 'Europe/Berlin'), { nil: undefined }), (rec, zone) => {
        const lines = rruleOf(rec, zone);
        expect(lines).toHaveLength(1);
        expect(isOneLine(lines[0]!), JSON.stringify(lines[0]!.slice(0, 200))).toBe(true);
        expect(lines[0]!.startsWith('RRULE:FREQ=')).toBe(true);
        // Graph's values fill parts; they never add one (a `;COUNT=1` in a type must not become a rule part).
        const keys = lines[0]!.slice('RRULE:'.length).split(';').map((part) => part.split('=')[0]);
        expect(new Set(keys).size, lines[0]).toBe(keys.length);
        for (const key of keys) expect(['FREQ', 'INTERVAL', 'BYDAY', 'BYSETPOS', 'BYMONTHDAY', 'BYMONTH', 'WKST', 'COUNT', 'UNTIL'], lines[0]).toContain(key);
        const iana = ianaZoneOf(zone);
        if (iana !== undefined) expect(typeof iana).toBe('string');
      }),
      runs(600, seed),
    );
  });
});
