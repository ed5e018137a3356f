import type { SyncAction } from '../domain/action.js';
import type { CalendarEvent } from '../domain/event.js';
import { keyOf, type EventKey, type Mapping } from '../domain/mapping.js';
import { mappingEndsBy } from '../domain/mapping-end.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Store } from '../store/store.js';

/**
 * What a full read (a first sync, an expired cursor) says by leaving an event out. Absence alone
 * proves nothing: the event may be outside the window, or the read partial.
 */

/**
 * The active mappings whose events a full read did not list, each fetched on its own. Only the
 * provider's word that an event is gone or cancelled cancels its meeting; an event it still has
 * (moved out of the read window, untagged) comes back as `live`, for the plan to compare with its
 * mapping like any event read: its meeting follows it, or goes when it is no longer tagged.
 */
export async function confirmAbsent(
  source: CalendarSource,
  calendarId: string,
  events: readonly CalendarEvent[],
  mappings: readonly Mapping[],
  windowStart: Date,
  onEventCancelled: 'delete' | 'keep',
): Promise<{ cancels: SyncAction[]; live: CalendarEvent[] }> {
  const seen = new Set(events.map((e) => keyOf(e)));
  const cancels: SyncAction[] = [];
  const live: CalendarEvent[] = [];
  for (const m of mappings) {
    if (m.state !== 'active' || seen.has(keyOf(m))) continue;
    // Over before the window: a full read does not list it, and that proves nothing.
    const ended = mappingEndsBy(m);
    if (ended !== undefined && ended < windowStart) continue;
    const current = await source.getEvent(calendarId, m.eventId);
    if (current === null || current.status === 'cancelled') {
      const event: CalendarEvent = current ?? tombstoneOf(m);
      cancels.push({ kind: 'cancel', event, mapping: m, mode: onEventCancelled, reason: 'the event was deleted (confirmed with the provider)' });
    } else {
      live.push(current);
    }
  }
  return { cancels, live };
}

/**
 * The events of a calendar's 'skipped' notes that a full read did not list: deleted while the
 * deletion was not read (an expired cursor), or gone from the window. Such a note explains
 * nothing any more and would stay in `status` for good; dropping it changes nothing elsewhere.
 */
export function unlistedSkips(store: Store, source: string, calendarId: string, listed: readonly CalendarEvent[]): EventKey[] {
  const keys = new Set(listed.map((e) => keyOf(e)));
  return store.notes({ source, calendarId }).filter((n) => n.kind === 'skipped' && !keys.has(keyOf(n)));
}

/** The provider said the event is gone (404): a cancelled event with the mapping's identity. */
export function tombstoneOf(m: Mapping): CalendarEvent {
  return {
    source: m.source, calendarId: m.calendarId, eventId: m.eventId, isOrganizerCopy: true, status: 'cancelled', kind: 'single',
    title: m.topic, description: '', location: '', categories: [], allDay: false,
  };
}
