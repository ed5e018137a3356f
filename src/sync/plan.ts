import type { DesiredMeeting, SyncAction } from '../domain/action.js';
import type { CalendarEvent } from '../domain/event.js';
import { keyOf, type EventKey, type Mapping, type Organizer } from '../domain/mapping.js';
import { isTagged, topicOf, type TaggingRules } from '../domain/tagging.js';
import { desiredMeeting, isOver, wantedMeeting } from '../domain/wants.js';
import { describeError } from '../domain/errors.js';

export interface PlanInput {
  /** Events read from one calendar (changed since the cursor, or all on a full read). */
  events: readonly CalendarEvent[];
  /** Mappings of that calendar, any state. */
  mappings: readonly Mapping[];
  /** Known platform users by lower-cased email. */
  organizers: ReadonlyMap<string, Organizer>;
  rules: TaggingRules;
  now: Date;
  onEventCancelled: 'delete' | 'keep';
  /** The accounts searched for organizers, named in the reason when one is missing. */
  accountIds: readonly string[];
  provisioning: boolean;
  /** The mappings, of any calendar, that hold a meeting: a stamp copied with its event names another event's meeting. */
  meetingHolders?: (meetingId: string) => readonly EventKey[];
  /** Whether a meeting was kept for its organizer (onEventCancelled: keep): a stamp naming it is never adopted. */
  isKept?: (meetingId: string) => boolean;
  /** When provisioning an organizer was answered "account already exists" (cycle-organizers.ts), if it was. */
  accountExists?: (email: string) => string | undefined;
}

/** The fields that differ between what the platform holds and what the event wants. */
export function changesBetween(mapping: Mapping, desired: DesiredMeeting): string[] {
  const changes: string[] = [];
  if (mapping.topic !== desired.topic) changes.push('topic');
  if (Date.parse(mapping.start) !== Date.parse(desired.start)) changes.push('start');
  if (Date.parse(mapping.end) !== Date.parse(desired.end)) changes.push('end');
  if (JSON.stringify(mapping.recurrence) !== JSON.stringify(desired.recurrence)) changes.push('recurrence');
  // A series is expanded in its zone (DST): moving it to another zone is a change even at the same first instant.
  if (desired.recurrence && (mapping.timeZone ?? null) !== (desired.timeZone ?? null)) changes.push('timeZone');
  return changes;
}

/**
 * What an organizer not found is told to do. The admin endpoint may list only an account's first
 * organizer (the tutorial's "retrieve the User ID of the first Meeting Organizer"; assumptions.ts
 * the admin list), so a user added to a listed account can stay unseen: the reason names both ways out.
 */
function unknownOrganizerReason(event: CalendarEvent, input: PlanInput): string {
  const who = event.organizerEmail ?? 'the organizer';
  const email = event.organizerEmail ?? '<email>';
  const where = input.accountIds.length ? `accounts ${input.accountIds.join(', ')}` : 'any configured account (webMeeting.accountIds is empty)';
  // Provisioning was refused: the platform has an account for this email that meetsync does not know.
  const existsSince = event.organizerEmail ? input.accountExists?.(event.organizerEmail.toLowerCase()) : undefined;
  if (existsSince) {
    return (
      `organizer ${who} has no platform user in ${where}, and provisioning was answered "account already exists" (${existsSince}): the platform has an account for ${email} ` +
      `that meetsync does not know. Add that account's id to webMeeting.accountIds (the platform's administration shows it); the event gets its meeting within 15 minutes`
    );
  }
  if (input.provisioning) {
    return `organizer ${who} has no platform user in ${where} yet; provisioning creates one (if it cannot, the last run in 'meetsync status' says why)`;
  }
  return (
    `organizer ${who} has no platform user in ${where}: create one with 'meetsync accounts create --email ${email} --first <first name> --last <last name>' ` +
    `and add the account id it prints to webMeeting.accountIds (or enable webMeeting.provisioning); if ${who} already has a platform user, add the id of their account to webMeeting.accountIds ` +
    `(the platform may list only the first organizer of each account: one added to a listed account later is not seen, and needs an account of their own)`
  );
}

/** A mapping whose meeting is being created or is held: the event's stamp then decides nothing. */
export function isLive(mapping: Mapping | undefined): boolean {
  return mapping?.state === 'active' || mapping?.state === 'creating';
}

/**
 * Decides, for each event read from one calendar, what to do. Pure: no I/O, no clock but
 * `input.now`. Deletion needs positive proof: only an event the provider reports as cancelled,
 * or no longer tagged, cancels its meeting. Absence from a read never does.
 */
export function plan(input: PlanInput): SyncAction[] {
  const byKey = new Map(input.mappings.map((m) => [keyOf(m), m]));
  const actions: SyncAction[] = [];
  for (const event of input.events) {
    // One event's problem stays that event's (issue 15): whatever planning it throws (a date
    // past JavaScript's range, a rule no check foresaw) skips it with the reason, shown in
    // `status` and tried again when the event changes; the other events are planned as ever.
    try {
      const action = planEvent(event, input, byKey);
      if (action) actions.push(action);
    } catch (err) {
      actions.push({ kind: 'skip', event, reason: `meetsync could not work out this event's meeting (${describeError(err)}): check its start, end and repeat rule in the calendar` });
    }
  }
  return actions;
}

/** What to do with one event of `input`; undefined when nothing. */
function planEvent(event: CalendarEvent, input: PlanInput, byKey: ReadonlyMap<string, Mapping>): SyncAction | undefined {
  const live = (m: Mapping | undefined) => (isLive(m) ? m : undefined);
  const mapping = live(byKey.get(keyOf(event)));

  if (event.kind === 'occurrence') {
    const series = event.seriesId ? live(byKey.get(keyOf({ ...event, eventId: event.seriesId }))) : undefined;
    // A series read with its occurrence decides whether it has a meeting, since that meeting is
    // made or cancelled in this very cycle: the mapping as it was before it would miss the
    // occurrences of a series getting its meeting now (made with a date already cancelled: status
    // never said), and note those of a series losing it (deleted with its exceptions, untagged,
    // which retitles them) after the series' cancellation cleared its occurrences' notes.
    const master = seriesInRead(event, input);
    if (event.seriesId && (master ? seriesKeepsOrGetsMeeting(master, series, input) : series)) {
      const reason =
        event.status === 'cancelled'
          ? `occurrence of ${event.originalStart ?? 'the series'} was cancelled in the calendar; the recurring meeting still has it`
          : `occurrence of ${event.originalStart ?? 'the series'} was moved or edited in the calendar; the recurring meeting keeps the series pattern`;
      return { kind: 'exception', event, seriesId: event.seriesId, reason };
    }
    if (event.status !== 'cancelled' && event.isOrganizerCopy && isTagged(event, input.rules) && !seriesTaggedHere(event, input)) {
      return { kind: 'skip', event, reason: 'only one occurrence of a series is tagged: tag the whole series to get a recurring web meeting' };
    }
    return undefined;
  }

  if (mapping?.state === 'creating') {
    return { kind: 'pending', event, mapping };
  }

  // Does the event want a meeting, and which (domain/wants.ts, the rule reconcile's repair uses
  // too)? One that does not loses its meeting, on purpose: cancelled, untagged, or (a note says
  // why) no longer expressible, as an all-day event; an attendee's copy never acts on it.
  const want = wantedMeeting(event, input.rules);
  if (!want.wants) {
    if (want.why === 'attendee') return mapping ? undefined : { kind: 'skip', event, reason: want.reason };
    if (!mapping && want.why === 'untagged') return rememberKept(event, input, byKey);
    if (!mapping) return want.why === 'unexpressible' ? { kind: 'skip', event, reason: want.reason } : undefined;
    return { kind: 'cancel', event, mapping, mode: input.onEventCancelled, reason: want.reason, ...(want.why === 'unexpressible' ? { note: want.reason } : {}) };
  }
  const wanted = { desired: want.desired };

  if (mapping) {
    const newer = newerStamp(event, mapping, input);
    if (newer) return newer;
    const changes = changesBetween(mapping, wanted.desired);
    // A DELETE was sent and not confirmed: the meeting may be gone. A PUT finds out (404: created again).
    if (mapping.deletingSince && changes.length === 0) changes.push('meeting may have been deleted');
    // A PUT was sent and not confirmed: the meeting may hold that PUT's fields, not the mapping's.
    else if (mapping.updatingSince && changes.length === 0) changes.push('an earlier update was not confirmed');
    if (changes.length === 0 || isOver(event, input.now)) return { kind: 'unchanged', event, mapping };
    return { kind: 'update', event, mapping, desired: wanted.desired, changes };
  }

  if (isOver(event, input.now)) {
    return { kind: 'skip', event, reason: 'the event is already over' };
  }
  const organizer = event.organizerEmail ? input.organizers.get(event.organizerEmail.toLowerCase()) : undefined;
  if (!organizer) {
    return {
      kind: 'skip',
      event,
      reason: unknownOrganizerReason(event, input),
      ...(event.organizerEmail ? { awaitingOrganizer: event.organizerEmail.toLowerCase() } : {}),
    };
  }
  // A stamp whose meeting this mapping already cancelled (the event was untagged, then tagged
  // again) names a meeting that is gone or kept apart: the event gets a new one. So does a stamp
  // naming a meeting kept for its organizer whose record outlived the event's (kept_meetings).
  // A stamp whose meeting another event holds was copied with the event (an import, an API copy,
  // a move between synced calendars): the copy gets a meeting of its own, never the original's.
  const prior = byKey.get(keyOf(event));
  const heldElsewhere = event.stamp ? (input.meetingHolders?.(event.stamp.meetingId) ?? []).some((k) => keyOf(k) !== keyOf(event)) : false;
  const kept = event.stamp ? (input.isKept?.(event.stamp.meetingId) ?? false) : false;
  if (event.stamp && !heldElsewhere && !kept && !(prior && prior.meetingId === event.stamp.meetingId)) {
    return { kind: 'adopt', event, organizer, stamp: event.stamp, desired: wanted.desired };
  }
  return { kind: 'create', event, organizer, desired: wanted.desired };
}

/**
 * The event carries meetsync's stamp of another meeting than its record names, although that
 * record's link was written: the calendar was written after the record was, so the record is the
 * older of the two. Found by the crash campaign (CRASH_SEED=594927435): a database restored from a
 * copy taken before the event was untagged (its meeting deleted) and tagged again (a new meeting,
 * a new stamp) names the deleted meeting; sending it the event's times met a 404, and a third
 * meeting was posted while the event's link named a live one. The stamped meeting is adopted
 * (one PUT, no POST); the record's meeting is left alone (deleted, or kept for its organizer when
 * the event was untagged; `meetsync reconcile` shows it if it is still there). A record whose link
 * is not yet written trusts itself: the stamp is then an older one, not yet replaced. A stamp
 * another record holds was copied, and a kept meeting's is never adopted, as for a new event.
 */
function newerStamp(event: CalendarEvent, mapping: Mapping, input: PlanInput): SyncAction | undefined {
  const { stamp } = event;
  if (!stamp || mapping.state !== 'active' || !mapping.meetingId || stamp.meetingId === mapping.meetingId || mapping.writeBack !== 'done') return undefined;
  if ((input.meetingHolders?.(stamp.meetingId) ?? []).some((k) => keyOf(k) !== keyOf(event)) || input.isKept?.(stamp.meetingId)) return undefined;
  if (isOver(event, input.now)) return undefined;
  const organizer = event.organizerEmail ? input.organizers.get(event.organizerEmail.toLowerCase()) : undefined;
  const want = wantedMeeting(event, input.rules);
  if (!organizer || !want.wants) return undefined;
  return { kind: 'adopt', event, organizer, stamp, desired: want.desired };
}

/**
 * An untagged organizer copy that still carries meetsync's stamp, known to no record here (no row
 * for the event, no record of the meeting): with onEventCancelled: keep, its meeting was kept when
 * the event was untagged (meetsync leaves the stamp and link of a kept meeting in the event) and
 * the database was lost since. It is remembered as kept, from the event alone, so that the event
 * tagged again gets a new meeting, as it would have with the database (README "A kept meeting
 * stays kept"). Nothing is written: an Outlook write would mail every attendee. A stamp another
 * record names (a copied event's) proves nothing about this event.
 */
function rememberKept(event: CalendarEvent, input: PlanInput, byKey: ReadonlyMap<string, Mapping>): SyncAction | undefined {
  const { stamp } = event;
  if (input.onEventCancelled !== 'keep' || !stamp || !event.isOrganizerCopy || !event.start || !event.end) return undefined;
  if (byKey.has(keyOf(event)) || input.isKept?.(stamp.meetingId) || (input.meetingHolders?.(stamp.meetingId) ?? []).length > 0) return undefined;
  if (isOver(event, input.now)) return undefined;
  const d = desiredMeeting(event, input.rules);
  const desired = d.ok ? d.desired : { topic: topicOf(event.title, input.rules), start: new Date(event.start).toISOString(), end: new Date(event.end).toISOString(), recurrence: null };
  return { kind: 'remember-kept', event, stamp, desired };
}

/** The occurrence's series master, when it is in the same read. */
function seriesInRead(occurrence: CalendarEvent, input: PlanInput): CalendarEvent | undefined {
  return occurrence.seriesId === undefined ? undefined : input.events.find((e) => e.eventId === occurrence.seriesId && e.calendarId === occurrence.calendarId && e.kind !== 'occurrence');
}

/** The occurrence's series master is in the same read and tagged: the series gets the meeting. */
function seriesTaggedHere(occurrence: CalendarEvent, input: PlanInput): boolean {
  const master = seriesInRead(occurrence, input);
  return master !== undefined && master.status !== 'cancelled' && isTagged(master, input.rules);
}

/**
 * The series read in this cycle has a meeting after it, as planEvent plans it: it wants one, and
 * holds one already or will be given one (not over, its organizer known).
 */
function seriesKeepsOrGetsMeeting(master: CalendarEvent, mapping: Mapping | undefined, input: PlanInput): boolean {
  if (!wantedMeeting(master, input.rules).wants) return false;
  if (mapping) return true;
  return !isOver(master, input.now) && master.organizerEmail !== undefined && input.organizers.has(master.organizerEmail.toLowerCase());
}

/**
 * Organizers, still unknown, of events that want a meeting now: candidates for an organizer
 * refresh or provisioning. An event that wants none (all-day, over, an attendee's copy) asks for
 * no one: an account made for it would be named by no stamp, so a database lost before the
 * organizer's first meeting could not find it again (sync state machine, seed 2096267659).
 */
export function unknownOrganizers(events: readonly CalendarEvent[], organizers: ReadonlyMap<string, Organizer>, rules: TaggingRules, now: Date): string[] {
  const emails = new Set<string>();
  for (const e of events) {
    if (e.kind === 'occurrence' || !e.organizerEmail || organizers.has(e.organizerEmail.toLowerCase())) continue;
    if (wantedMeeting(e, rules).wants && !isOver(e, now)) emails.add(e.organizerEmail.toLowerCase());
  }
  return [...emails];
}
