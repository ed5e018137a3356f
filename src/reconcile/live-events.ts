import type { CalendarSource, SyncWindow } from '../calendars/source.js';
import { isTagged, type TaggingRules } from '../domain/tagging.js';
import type { CalendarEvent } from '../domain/event.js';
import { describeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { markerPrefixOf } from '../sync/markers.js';
import { isLive } from '../sync/plan.js';

/**
 * The calendars' word before `reconcile --repair --delete-orphans` deletes a meeting (issue 15,
 * finding 7). The database may be older than the calendars (restored from a backup, another
 * instance's): a meeting it knows nothing of, or believes cancelled, can belong to a live event.
 * So every configured calendar is read once, in full, changing nothing (no cursor is stored),
 * and a meeting is kept when
 * - a live event's stamp names it (the event holds it, whatever the database says), or
 * - its reference names a live, tagged organizer event (markers.ts: the reference starts with a
 *   digest of the event's identity) that meetsync holds no other meeting for.
 * A calendar that cannot be read proves nothing: then nothing is deleted.
 */

export interface CalendarEvidence {
  /** Why `meetingId` is still wanted by an event, or undefined when no event wants it. */
  wantedBecause(meetingId: string, markers: readonly string[]): Promise<string | undefined>;
}

interface Read {
  events: CalendarEvent[];
  /** Why the calendars could not all be read; then no deletion has its proof. */
  failed?: string;
}

const PREFIX_LENGTH = markerPrefixOf({ source: '', calendarId: '', eventId: '' }).length;

export function calendarEvidence(sources: Iterable<CalendarSource>, window: SyncWindow, store: Store, rules: TaggingRules): CalendarEvidence {
  let read: Promise<Read> | undefined;
  const readAll = async (): Promise<Read> => {
    const events: CalendarEvent[] = [];
    for (const source of sources) {
      for (const calendarId of source.calendars) {
        try {
          events.push(...(await source.readChanges(calendarId, null, window)).events);
        } catch (err) {
          return { events, failed: `calendar ${calendarId} (${source.name}) could not be read (${describeError(err)}), and only every calendar read proves that no event wants it` };
        }
      }
    }
    return { events };
  };
  return {
    async wantedBecause(meetingId, markers) {
      read ??= readAll();
      const { events, failed } = await read;
      if (failed) return failed;
      const live = events.filter((e) => e.status !== 'cancelled');
      const where = (e: CalendarEvent) => `event ${e.eventId} ("${e.title}", ${e.source}/${e.calendarId})`;
      const stamped = live.find((e) => e.stamp?.meetingId === meetingId);
      if (stamped) return `${where(stamped)} is live and its stamp names this meeting; the sync adopts it when it reads the event again`;
      const prefixes = new Set(markers.map((m) => m.slice(0, PREFIX_LENGTH)));
      for (const e of live) {
        if (e.kind === 'occurrence' || !e.isOrganizerCopy || !prefixes.has(markerPrefixOf(e)) || !isTagged(e, rules)) continue;
        const mapping = store.mapping(e);
        // The event's own meeting is another one meetsync holds: this one is a surplus copy.
        if (isLive(mapping) && mapping?.meetingId !== undefined && mapping.meetingId !== meetingId) continue;
        return `${where(e)} is live and tagged, this meeting carries its reference, and meetsync holds no other meeting for it`;
      }
      return undefined;
    },
  };
}

/** The configured read window, stretched to cover the meetings in question (an event far ahead is still read). */
export function evidenceWindow(now: Date, window: { pastDays: number; futureDays: number }, times: ReadonlyArray<string | undefined>): SyncWindow {
  const day = 86_400_000;
  const instants = times.filter((t): t is string => t !== undefined).map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  const from = Math.min(now.getTime() - window.pastDays * day, ...instants.map((t) => t - day));
  const to = Math.max(now.getTime() + window.futureDays * day, ...instants.map((t) => t + day));
  return { from: new Date(from), to: new Date(to) };
}
