import type { Mapping } from '../../src/domain/mapping.js';
import { agendaFor } from '../../src/sync/execute.js';

/**
 * Builds what reconciliation tests compare: ICS feed text (as the platform's feed is assumed to
 * look: assumptions.ts 8) and mappings, with only the fields a test cares about given.
 */

export interface FeedEventSpec {
  /** 24-hex meeting id, written into the UID (unless `uid` is given). */
  id?: string;
  number?: string;
  uid?: string;
  summary?: string;
  /** Content lines for DTSTART/DTEND, e.g. `DTSTART:20300107T090000Z` or `DTSTART;TZID=Europe/Berlin:20300107T100000`. */
  dtstart?: string;
  dtend?: string;
  rrule?: string;
  recurrenceId?: string;
  /** meetsync's marker, put in the description as the agenda line. */
  marker?: string;
  status?: string;
  /** Extra raw content lines. */
  extra?: string[];
}

const ESCAPE = (text: string) => text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n');

export function veventLines(e: FeedEventSpec): string[] {
  const join = e.number ? `Join: https://meeting.example.com/meeting/${e.number}\nMeeting number: ${e.number}` : '';
  const agenda = e.marker ? agendaFor(e.marker) : '';
  const description = [agenda, join].filter(Boolean).join('\n\n');
  return [
    'BEGIN:VEVENT',
    `UID:${e.uid ?? `${e.id ?? e.number}@meeting.example.com`}`,
    'DTSTAMP:20300101T000000Z',
    e.dtstart ?? 'DTSTART:20300107T090000Z',
    e.dtend ?? 'DTEND:20300107T100000Z',
    ...(e.recurrenceId ? [e.recurrenceId] : []),
    `SUMMARY:${ESCAPE(e.summary ?? 'Planning')}`,
    ...(description ? [`DESCRIPTION:${ESCAPE(description)}`] : []),
    ...(e.number ? [`URL:https://meeting.example.com/meeting/${e.number}`] : []),
    ...(e.rrule ? [`RRULE:${e.rrule}`] : []),
    ...(e.status ? [`STATUS:${e.status}`] : []),
    ...(e.extra ?? []),
    'END:VEVENT',
  ];
}

export function feedText(events: FeedEventSpec[], options: { head?: string[]; tail?: string[] } = {}): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//reconcile//EN',
    ...(options.head ?? []),
    ...events.flatMap(veventLines),
    ...(options.tail ?? ['END:VCALENDAR']),
    '',
  ].join('\r\n');
}

let counter = 0;

/** A 24-hex id and a dashed number that belong together in a test. */
export function meetingIds(n?: number): { id: string; number: string } {
  counter += 1;
  const k = n ?? counter;
  return { id: `5e94${String(k).padStart(20, '0')}`, number: `1000-2000-3000-${String(k).padStart(4, '0')}` };
}

export function mapping(over: Partial<Mapping> = {}): Mapping {
  counter += 1;
  return {
    source: 'mem',
    calendarId: 'alice@example.com',
    eventId: `evt${counter}`,
    organizerEmail: 'alice@example.com',
    userId: 'user-alice',
    marker: `meetsync:00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    state: 'active',
    topic: 'Planning',
    start: '2030-01-07T09:00:00.000Z',
    end: '2030-01-07T10:00:00.000Z',
    recurrence: null,
    writeBack: 'done',
    createdAt: '2029-12-01T00:00:00.000Z',
    updatedAt: '2029-12-01T00:00:00.000Z',
    ...over,
  };
}
