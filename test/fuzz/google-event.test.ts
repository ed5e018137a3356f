import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvent, parseEventsPage, toCalendarEvent, type GoogleEventsPage } from '../../src/calendars/google/event.js';
import { applyJson, fixtureFiles, fuzzSeeds, jsonMutation, labelled, readFixture, runs, showMutations } from './mutate.js';
import { checkEvent, checkItemIsolation, readOrMalformed } from './reader-contract.js';

/**
 * The Google event reader (google/event.ts) on damaged real events.list pages
 * (test/fixtures/google/compass-*.json). Contract, as google/source.ts uses it: parseEventsPage and
 * toCalendarEvent return data the engine can use or throw MalformedResponseError naming the
 * field; the adapter makes that a CalendarError of that calendar, so the read fails as a whole
 * and is retried next cycle (an incremental read cannot skip an item: the sync token moves on
 * and the item's change would be lost for good). Items are mapped one by one: a bad item never
 * changes how another item of the page is read.
 */

const PAGES = fixtureFiles('google', '.json')
  .filter((f) => f.startsWith('compass-'))
  .map((name) => ({ name, page: JSON.parse(readFixture('google', name)) as Record<string, unknown> }));
const WITH_ITEMS = PAGES.filter(({ page }) => Array.isArray(page.items) && page.items.length > 0);

const context = { source: 'corp-google', calendarId: 'test.user@gmail.com' };

function mapPage(page: GoogleEventsPage) {
  const zone = page.timeZone ?? undefined;
  return (page.items ?? []).map((item) =>
    readOrMalformed(() => toCalendarEvent(item, { ...context, ...(zone ? { calendarTimeZone: zone } : {}), what: `Google events.list (event ${item.id})` })),
  );
}

const damagedPage = fc
  .tuple(fc.constantFrom(...PAGES), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }))
  .map(([{ name, page }, mutations]) => labelled({ name, data: applyJson(page, mutations) }, () => `${name} ${showMutations(mutations)}`));

/** One item of a page damaged, the rest as served. */
const damagedItem = fc
  .tuple(fc.constantFrom(...WITH_ITEMS), fc.nat(), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }))
  .map(([{ name, page }, pick, mutations]) => {
    const k = pick % (page.items as unknown[]).length;
    return labelled({ name, page, k, data: applyJson(page, mutations, ['items', k]) }, () => `${name} items[${k}] ${showMutations(mutations)}`);
  });

const LOADED = { timeout: 120_000 };

/** Each property runs with the fixed fuzz seed and a random one, both printed (FUZZ_SEED=n replays one). */
const FUZZ_SEEDS = fuzzSeeds(import.meta.url);

describe('Google event reader fuzz', () => {
  it('the fixtures read cleanly (the fuzz starts from valid pages)', () => {
    for (const { name, page } of PAGES) {
      const events = mapPage(parseEventsPage(page));
      expect(events.every((e) => e !== undefined), name).toBe(true);
    }
  });

  it.for(FUZZ_SEEDS.list)('a damaged page: events the engine can use, or MalformedResponseError naming the field in one line (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(damagedPage, ({ data }) => {
        const page = readOrMalformed(() => parseEventsPage(data));
        if (!page) return;
        for (const event of mapPage(page)) if (event) checkEvent(event);
      }),
      runs(1000, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)('a damaged item is that item\'s failure: the error names it, and every other item reads as before (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(damagedItem, (input) => checkItemIsolation(input, 'items', (data) => parseEventsPage(data), mapPage)),
      runs(700, seed),
    );
  });

  it.for(FUZZ_SEEDS.list)('events.get bodies (one damaged item on its own): an event or MalformedResponseError (seed %i)', LOADED, (seed) => {
    const items = WITH_ITEMS.flatMap(({ page }) => page.items as unknown[]);
    fc.assert(
      fc.property(fc.constantFrom(...items), fc.array(jsonMutation, { minLength: 1, maxLength: 4 }), (item, mutations) => {
        const event = readOrMalformed(() => toCalendarEvent(parseEvent(applyJson(item, mutations)), { ...context, what: 'Google events.get' }));
        if (event) checkEvent(event);
      }),
      runs(600, seed),
    );
  });
});
