import { DateTime } from 'luxon';
import type { Mapping } from './mapping.js';

const UNIT = { daily: 'days', weekly: 'weeks', monthly: 'months', yearly: 'years' } as const;

/**
 * When the meeting of a mapping is over for good: the end of a single meeting, or of a series'
 * last occurrence as far as the recurrence synced to the platform tells (UNTIL, or COUNT
 * periods, with one period to spare for an nth-weekday month). Undefined for a series that
 * never ends: it is never retired.
 */
export function mappingEndsBy(m: Mapping): Date | undefined {
  const ends = endOf(m);
  // Past the last date JavaScript holds (a COUNT no calendar date reaches): it never ends, for
  // retirement's purpose. An Invalid Date here would throw in toISOString wherever it is stored.
  return ends === undefined || Number.isNaN(ends.getTime()) ? undefined : ends;
}

function endOf(m: Mapping): Date | undefined {
  const end = new Date(m.end);
  const r = m.recurrence;
  if (!r) return end;
  const unit = UNIT[r.frequencyType];
  if (r.endsType === 'on' && r.endsOn) {
    return DateTime.fromISO(r.endsOn, { zone: 'utc' }).plus({ [unit]: 1 }).plus({ milliseconds: end.getTime() - Date.parse(m.start) }).toJSDate();
  }
  if (r.endsType === 'after' && r.endsAfter !== undefined) {
    return DateTime.fromJSDate(end, { zone: 'utc' }).plus({ [unit]: r.frequency * r.endsAfter }).toJSDate();
  }
  return undefined;
}
