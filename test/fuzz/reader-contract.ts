import { expect } from 'vitest';
import type { CalendarEvent } from '../../src/domain/event.js';
import { DataError, MalformedResponseError } from '../../src/domain/errors.js';
import { isOneLine } from './mutate.js';

/**
 * The contract of the Google and Graph event readers, as their adapters rely on it
 * (google/source.ts and outlook/source.ts `parse`): a body or item that does not have the documented shape
 * throws MalformedResponseError naming the first bad field, which the adapter turns into a
 * CalendarError of that one calendar (one line in `status` and the sync report; the calendar
 * is read again next cycle and nothing is deleted). Any other exception would be a crash.
 */
export function checkMalformed(err: unknown): MalformedResponseError {
  if (!(err instanceof MalformedResponseError)) {
    throw new Error(`not a MalformedResponseError: ${String((err as Error)?.constructor?.name)}: ${String((err as Error)?.message ?? err).slice(0, 300)}`, { cause: err });
  }
  if (!isOneLine(err.message)) throw new Error(`message over more than one line: ${JSON.stringify(err.message.slice(0, 300))}`);
  if (err.message.length > 1000) throw new Error(`message of ${err.message.length} characters: ${JSON.stringify(err.message.slice(0, 200))}...`);
  if (err.field.trim() === '' || !isOneLine(err.field)) throw new Error(`no readable field named: ${JSON.stringify(err.field.slice(0, 200))}`);
  return err;
}

const STATUSES = ['confirmed', 'tentative', 'cancelled'];
const KINDS = ['single', 'series', 'occurrence'];

function instant(value: string | undefined, name: string): void {
  if (value === undefined) return;
  expect(Number.isFinite(Date.parse(value)), `${name} "${value}" is not an instant`).toBe(true);
}

/** What the engine may rely on in every event a reader returns. */
export function checkEvent(event: CalendarEvent): void {
  expect(typeof event.eventId).toBe('string');
  expect(event.eventId.length).toBeGreaterThan(0);
  expect(STATUSES).toContain(event.status);
  expect(KINDS).toContain(event.kind);
  for (const text of [event.title, event.description, event.location]) expect(typeof text).toBe('string');
  expect(Array.isArray(event.categories)).toBe(true);
  expect(typeof event.allDay).toBe('boolean');
  expect(typeof event.isOrganizerCopy).toBe('boolean');
  instant(event.start, 'start');
  instant(event.end, 'end');
  instant(event.originalStart, 'originalStart');
  instant(event.updated, 'updated');
  for (const line of event.recurrence ?? []) {
    expect(typeof line).toBe('string');
  }
}

/** Runs a read; returns its value, or undefined when it failed the documented way. */
export function readOrMalformed<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    checkMalformed(err);
    return undefined;
  }
}

/**
 * Item `k` of `damaged` was changed, nothing else: the page parse fails naming that item, or
 * every other item maps exactly as it did in `page` (a bad item never changes how another one reads).
 */
export function checkItemIsolation<P>(
  input: { page: unknown; k: number; data: unknown },
  list: string,
  parsePage: (data: unknown) => P,
  mapPage: (page: P) => Array<CalendarEvent | undefined>,
): void {
  const before = mapPage(parsePage(input.page));
  let parsed: P;
  try {
    parsed = parsePage(input.data);
  } catch (err) {
    const field = checkMalformed(err).field;
    expect(field.startsWith(`${list}[${input.k}]`), field).toBe(true);
    return;
  }
  mapPage(parsed).forEach((event, j) => {
    if (j === input.k) {
      if (event) checkEvent(event);
    } else expect(event).toEqual(before[j]);
  });
}

/**
 * The contract of the sync's reading of an ICS feed (webmeeting/feed/strict.ts parseFeed), as
 * sync/pending.ts relies on it: a feed it cannot read fully is one
 * DataError of one line, naming the feed's owner, which those callers turn into "nothing was
 * created; tried again next cycle". Any other exception would be a crash.
 */
export function checkFeedRefusal(err: unknown): DataError {
  if (!(err instanceof DataError)) {
    throw new Error(`not a DataError: ${String((err as Error)?.constructor?.name)}: ${String((err as Error)?.message ?? err).slice(0, 300)}`, { cause: err });
  }
  if (!isOneLine(err.message)) throw new Error(`message over more than one line: ${JSON.stringify(err.message.slice(0, 300))}`);
  if (err.message.length > 1000) throw new Error(`message of ${err.message.length} characters: ${JSON.stringify(err.message.slice(0, 200))}...`);
  if (!/^the ICS feed of .+ is not valid iCalendar: /.test(err.message)) throw new Error(`message names no feed: ${JSON.stringify(err.message.slice(0, 200))}`);
  return err;
}
