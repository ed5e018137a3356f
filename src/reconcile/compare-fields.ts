import type { Mapping } from '../domain/mapping.js';
import type { Recurrence } from '../domain/meeting.js';
import type { FeedItem } from '../webmeeting/feed/read.js';

/**
 * How one meeting on the platform differs from its event as meetsync last saw it. Times are
 * compared as exact instants (never as wall-clock text: 09:00 Europe/Berlin and 08:00Z are the
 * same instant in winter and not in summer). A field the feed could not read is not compared:
 * a drift there would be a guess.
 */

export type DriftField = 'start' | 'end' | 'recurrence' | 'topic';

export interface Drift {
  fields: DriftField[];
  /** Sentences per side, for the finding's detail. */
  time?: string;
  topic?: string;
}

function sameInstant(a: string | undefined, b: string): boolean {
  return a !== undefined && Date.parse(a) === Date.parse(b);
}

export function driftOf(mapping: Mapping, item: FeedItem): Drift {
  const fields: DriftField[] = [];
  if (!item.unreadable.includes('DTSTART') && !sameInstant(item.start, mapping.start)) fields.push('start');
  if (!item.unreadable.includes('DTEND') && !item.unreadable.includes('DURATION') && !sameInstant(item.end, mapping.end)) fields.push('end');
  const rule = item.unreadable.includes('RRULE') ? undefined : recurrenceDifference(mapping.recurrence, item.rrule);
  if (rule) fields.push('recurrence');
  if (item.summary !== mapping.topic) fields.push('topic');
  const drift: Drift = { fields };
  if (fields.some((f) => f !== 'topic')) {
    const parts: string[] = [];
    if (fields.includes('start') || fields.includes('end')) {
      parts.push(`the platform has ${span(item.start, item.end, item.allDay)}, the event ${span(mapping.start, mapping.end, false)}${shift(item.start, mapping.start)}`);
    }
    if (rule) parts.push(rule);
    drift.time = parts.join('; ');
  }
  if (fields.includes('topic')) drift.topic = `the platform calls it "${item.summary}", the event "${mapping.topic}"`;
  return drift;
}

/** `2030-01-07 09:00-10:00 UTC`, or the whole day, for a person. */
export function span(start: string | undefined, end: string | undefined, allDay: boolean): string {
  if (start === undefined) return 'no readable start';
  const s = new Date(start).toISOString();
  if (allDay) return `all day ${s.slice(0, 10)}`;
  if (end === undefined) return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
  const e = new Date(end).toISOString();
  const endText = e.slice(0, 10) === s.slice(0, 10) ? e.slice(11, 16) : `${e.slice(0, 10)} ${e.slice(11, 16)}`;
  return `${s.slice(0, 10)} ${s.slice(11, 16)}-${endText} UTC`;
}

function shift(platform: string | undefined, calendar: string): string {
  if (platform === undefined) return '';
  const minutes = Math.round((Date.parse(platform) - Date.parse(calendar)) / 60_000);
  if (minutes === 0) return '';
  const abs = Math.abs(minutes);
  const amount = abs % 1440 === 0 ? `${abs / 1440} day(s)` : abs % 60 === 0 ? `${abs / 60} h` : `${abs} min`;
  return ` (the platform is ${amount} ${minutes > 0 ? 'later' : 'earlier'})`;
}

/** RRULE parts by name, upper-cased: `FREQ=WEEKLY;COUNT=3` -> {FREQ: 'WEEKLY', COUNT: '3'}. */
export function ruleParts(rrule: string): Map<string, string> {
  return new Map(
    rrule
      .replace(/^RRULE:/i, '')
      .split(';')
      .filter((p) => p.includes('='))
      .map((p) => {
        const [k, v] = p.split('=', 2);
        return [k!.trim().toUpperCase(), v!.trim().toUpperCase()];
      }),
  );
}

function describeRecurrence(r: Recurrence | null): string {
  if (!r) return 'does not repeat';
  const every = r.frequency === 1 ? r.frequencyType : `every ${r.frequency} ${{ daily: 'days', weekly: 'weeks', monthly: 'months', yearly: 'years' }[r.frequencyType]}`;
  const ends = r.endsType === 'after' ? `, ${r.endsAfter} times` : r.endsType === 'on' ? ` until ${r.endsOn?.slice(0, 10)}` : '';
  return `repeats ${every}${ends}`;
}

function describeRule(rrule: string | undefined): string {
  if (!rrule) return 'does not repeat';
  const p = ruleParts(rrule);
  const interval = Number(p.get('INTERVAL') ?? '1');
  const freq = (p.get('FREQ') ?? '?').toLowerCase();
  const every = interval === 1 ? freq : `every ${interval} ${{ daily: 'days', weekly: 'weeks', monthly: 'months', yearly: 'years' }[freq] ?? freq}`;
  const ends = p.has('COUNT') ? `, ${p.get('COUNT')} times` : p.has('UNTIL') ? ` until ${untilIso(p.get('UNTIL')!)?.slice(0, 10) ?? p.get('UNTIL')}` : '';
  return `repeats ${every}${ends}`;
}

function untilIso(until: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(until);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0))).toISOString();
}

/**
 * Whether the feed's RRULE says the same as the recurrence meetsync sent, in what the platform's
 * `recurring` object can express (assumptions.ts 3): frequency, interval and how it ends. The
 * weekday and month parts are the platform's to derive from the first start, so they are not
 * compared. An UNTIL within a day of `endsOn` is the same end (one is a day, the other an instant).
 * Returns a sentence when they differ.
 */
export function recurrenceDifference(expected: Recurrence | null, rrule: string | undefined): string | undefined {
  const differs = () => `the platform ${describeRule(rrule)}, the event ${describeRecurrence(expected)}`;
  if (!expected) return rrule ? differs() : undefined;
  if (!rrule) return differs();
  const p = ruleParts(rrule);
  if ((p.get('FREQ') ?? '') !== expected.frequencyType.toUpperCase()) return differs();
  if (Number(p.get('INTERVAL') ?? '1') !== expected.frequency) return differs();
  if (expected.endsType === 'after') return p.get('COUNT') === String(expected.endsAfter) && !p.has('UNTIL') ? undefined : differs();
  if (expected.endsType === 'on') {
    const until = p.has('UNTIL') ? untilIso(p.get('UNTIL')!) : undefined;
    const close = until !== undefined && expected.endsOn !== undefined && Math.abs(Date.parse(until) - Date.parse(expected.endsOn)) <= 86_400_000;
    return close && !p.has('COUNT') ? undefined : differs();
  }
  return p.has('COUNT') || p.has('UNTIL') ? differs() : undefined;
}
