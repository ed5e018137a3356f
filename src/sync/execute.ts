import { LeaseLostError } from '../store/leases.js';
import type { DesiredMeeting, EventOutcome, SyncAction } from '../domain/action.js';
import type { CalendarEvent, MeetingStamp } from '../domain/event.js';
import { describeError, EventGoneError, PlatformError } from '../domain/errors.js';
import { classifyFailure, PlatformHaltError } from './failure.js';
import { keptFrom } from '../domain/kept-meeting.js';
import { keyOf, type Mapping, type Organizer } from '../domain/mapping.js';
import { afterFailure, RETRY_DEFAULTS, type RetryPolicy } from '../domain/attention.js';
import { retriesAfterFailure } from './retries.js';
import type { MeetingPlatform, MeetingSpec } from '../domain/meeting.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { isReference, newMarker, referencesIn, standInMarker } from './markers.js';
import { actingOrganizer, heldForOrganizer, type OrganizerRefusals } from './organizer-refusals.js';
import type { JournalCall, JournalEntry } from '../domain/journal.js';
import type { TaggingRules } from '../domain/tagging.js';
import { callEntry, readEntry, sentFields } from './journal-entries.js';

export interface MeetingDefaults {
  type: string;
  isRecorded: boolean;
  isDialin: boolean;
}

export interface ExecuteContext {
  store: Store;
  platform: MeetingPlatform;
  source: CalendarSource;
  defaults: MeetingDefaults;
  now: () => Date;
  logger: Logger;
  /** The cycle's organizers refused by the platform; without it every 403 / -3 stops the cycle. */
  refusals?: OrganizerRefusals;
  /** How failed actions and join links are tried again. @default RETRY_DEFAULTS */
  retry?: RetryPolicy;
  /** The tagging rules, to say in the event's journal what tagged it. */
  rules?: TaggingRules;
  /** Told when a newly tagged event's join link is written in the action that made its meeting (the daemon's tag-to-link histogram). */
  onLinkWritten?: LinkWrittenListener;
}

/**
 * A join link written for a newly tagged event: `updated` is the event's last change as the
 * provider reported it when it was read (Google `updated`, Graph `lastModifiedDateTime`), `at`
 * when the write was answered.
 */
export type LinkWrittenListener = (written: { source: string; updated: string; at: Date }) => void;

/** The agenda line that finds a meeting again after a crash (see resolvePending). */
export function agendaFor(marker: string): string {
  return `Scheduled from the organizer's calendar by meetsync. Reference: ${marker}`;
}

/**
 * The meeting's fields. The agenda carries the meeting's reference; a stand-in marker (an adopted
 * meeting whose reference is unknown, markers.ts isReference) sends none, so the platform keeps
 * the agenda written at the meeting's creation: the reference is written once, never rewritten.
 */
export function specFor(desired: DesiredMeeting, marker: string, defaults: MeetingDefaults): MeetingSpec {
  return {
    topic: desired.topic,
    startTime: desired.start,
    endTime: desired.end,
    ...(isReference(marker) ? { agenda: agendaFor(marker) } : {}),
    type: defaults.type,
    isRecorded: defaults.isRecorded,
    isDialin: defaults.isDialin,
    recurrence: desired.recurrence,
    ...(desired.timeZone ? { timeZone: desired.timeZone } : {}),
  };
}

function outcomeOf(event: CalendarEvent, outcome: EventOutcome['outcome'], extra: Partial<EventOutcome> = {}): EventOutcome {
  return { source: event.source, calendarId: event.calendarId, eventId: event.eventId, title: event.title, outcome, ...extra };
}

export interface ActionResult {
  outcome: EventOutcome;
  /** True when the failure is transient and the calendar's cursor must not advance. */
  retry: boolean;
}

/** What the person reading `status` is told about a failed action, and whether it is tried every cycle. */
function failureNote(kind: SyncAction['kind'], err: unknown): { reason: string; retry: boolean } {
  const why = describeError(err);
  if (classifyFailure(err) === 'refused') {
    return { reason: `${kind} refused by the platform: ${why}; tried again when the event changes`, retry: false };
  }
  return { reason: `${kind} failed: ${why} (will retry)`, retry: true };
}

/**
 * Performs one planned action. Creation is exactly-once: the intent (with a unique marker that
 * also goes into the meeting's agenda) is committed before POST /meeting; the mapping is committed
 * when the platform answers; write-back happens only after that, and is retried until done.
 */
export async function execute(action: SyncAction, ctx: ExecuteContext): Promise<ActionResult> {
  const { store, logger } = ctx;
  const event = action.event;
  const at = () => ctx.now().toISOString();
  const acting = actingOrganizer(action);
  // The event's journal: what was read and decided goes in with the first record written for it,
  // then each call made, settled by its answer in the transaction that records the answer.
  const read = readEntry(action, at(), ctx.rules);
  let readSaid = false;
  const story = (...calls: JournalEntry[]): JournalEntry[] => {
    const entries = readSaid ? calls : [read, ...calls];
    readSaid = true;
    return entries;
  };
  // The call sent and not answered yet: a failure is that call's.
  let inFlight: JournalCall | undefined;
  // Refused earlier this cycle: not asked again (one refusal an organizer a cycle is enough).
  const refused = ctx.refusals?.reasonFor(acting?.userId);
  if (refused) return heldForOrganizer(action, refused, ctx, [readEntry(action, read.at, ctx.rules, refused)]);
  try {
    switch (action.kind) {
      case 'create': {
        const intent = newMapping(event, action.organizer, action.desired, at(), {
          marker: newMarker(event),
          state: 'creating',
          writeBack: 'pending',
        });
        // The event's note (why it waits) stays until the meeting is confirmed (createFromIntent
        // clears it): a POST the platform refuses as a whole (PlatformHaltError) removes the intent,
        // and the note is then what brings the event back, not the calendar's cursor.
        store.transaction(() => {
          store.saveMapping(intent);
          store.journal(story(callEntry(event, 'POST /meeting', 'sent', at(), { detail: `sends ${sentFields(intent)}` })));
        });
        // createFromIntent journals the POST's answer, whatever it is.
        const mapping = await createFromIntent(intent, ctx);
        await writeBack(mapping, ctx);
        if (mapping.writeBack === 'done' && event.updated) ctx.onLinkWritten?.({ source: event.source, updated: event.updated, at: ctx.now() });
        return { outcome: outcomeOf(event, 'created', { meetingId: mapping.meetingId!, meetingNumber: mapping.meetingNumber! }), retry: false };
      }
      case 'update': {
        const spec = specFor(action.desired, action.mapping.marker, ctx.defaults);
        // Recorded first, like a creation's intent: if the answer is lost (or meetsync dies), the
        // meeting may hold this PUT's fields, and the next cycle sends what the event wants again.
        const meetingRef = { meetingId: action.mapping.meetingId, meetingNumber: action.mapping.meetingNumber };
        store.transaction(() => {
          if (!action.mapping.updatingSince) store.saveMapping({ ...action.mapping, updatingSince: at() });
          store.journal(story(callEntry(event, 'PUT /meeting', 'sent', at(), { detail: `${action.changes.join(', ')} changed: sends ${sentFields(action.desired)}`, ...meetingRef })));
        });
        inFlight = 'PUT /meeting';
        let meeting;
        try {
          meeting = await ctx.platform.updateMeeting(action.mapping.userId, action.mapping.meetingId!, spec);
        } catch (err) {
          if (classifyFailure(err) !== 'gone') throw err;
          logger.warn({ event: event.eventId, meetingId: action.mapping.meetingId }, 'the meeting was deleted on the platform; creating it again');
          store.journal([callEntry(event, 'PUT /meeting', 'gone', at(), { detail: `meeting ${action.mapping.meetingNumber ?? action.mapping.meetingId} was deleted on the platform (${describeError(err)}); a new one is created`, ...meetingRef })]);
          inFlight = undefined;
          const mapping = await recreate(action.mapping, action.desired, ctx);
          return {
            outcome: outcomeOf(event, 'created', {
              meetingId: mapping.meetingId!,
              meetingNumber: mapping.meetingNumber!,
              reason: `its meeting ${action.mapping.meetingNumber ?? action.mapping.meetingId} was deleted on the platform; a new one was created and its link written into the event`,
            }),
            retry: false,
          };
        }
        const updated: Mapping = {
          ...action.mapping,
          topic: action.desired.topic,
          start: action.desired.start,
          end: action.desired.end,
          ...(action.desired.timeZone ? { timeZone: action.desired.timeZone } : {}),
          recurrence: action.desired.recurrence,
          updatedAt: at(),
        };
        delete updated.lastError;
        delete updated.deletingSince;
        delete updated.updatingSince;
        inFlight = undefined;
        store.transaction(() => {
          store.saveMapping(updated);
          store.clearNote(event);
          store.journal(story(callEntry(event, 'PUT /meeting', 'ok', at(), { detail: `meeting ${updated.meetingNumber ?? updated.meetingId} now ${sentFields(updated)}`, ...meetingRef })));
        });
        if (updated.writeBack === 'pending') await writeBack(updated, ctx);
        // The platform may confirm an update without giving the meeting back (assumptions.ts): the record names it then.
        const meetingId = meeting?.id ?? updated.meetingId!;
        const meetingNumber = meeting?.meetingNumber ?? updated.meetingNumber;
        logger.info({ event: event.eventId, meetingId, changes: action.changes }, 'meeting updated');
        return { outcome: outcomeOf(event, 'updated', { meetingId, ...(meetingNumber ? { meetingNumber } : {}), changes: action.changes }), retry: false };
      }
      case 'cancel': {
        const meetingRef = { meetingId: action.mapping.meetingId, meetingNumber: action.mapping.meetingNumber };
        const deleting = action.mode === 'delete' && action.mapping.meetingId !== undefined;
        if (deleting) {
          // Recorded first: if the answer is lost (or meetsync dies), the meeting may be gone.
          store.transaction(() => {
            if (!action.mapping.deletingSince) store.saveMapping({ ...action.mapping, deletingSince: at() });
            store.journal(story(callEntry(event, 'DELETE /meeting', 'sent', at(), meetingRef)));
          });
          inFlight = 'DELETE /meeting';
          await ctx.platform.deleteMeeting(action.mapping.userId, action.mapping.meetingId!);
          inFlight = undefined;
        }
        const state = action.mode === 'delete' ? 'cancelled' : 'kept';
        // The event lives on untagged (or all-day): a join link to a deleted meeting would only
        // mislead. Its removal is owed until done ('pending' on the cancelled record), and tried
        // again on the retry schedule if it fails.
        const clearing = action.mode === 'delete' && event.status !== 'cancelled' && event.isOrganizerCopy;
        const done: Mapping = { ...action.mapping, state, updatedAt: at(), ...(clearing ? { writeBack: 'pending' as const } : {}) };
        delete done.deletingSince;
        delete done.updatingSince;
        store.transaction(() => {
          store.saveMapping(done);
          // Remembered apart from the mapping, which the event tagged again gives to its new meeting.
          const kept = state === 'kept' ? keptFrom(done, at()) : undefined;
          if (kept) store.saveKeptMeeting(kept);
          if (action.note) store.saveNote({ ...keyFields(event), kind: 'skipped', reason: action.note, title: event.title, ...(event.start ? { start: event.start } : {}), updatedAt: at() });
          else store.clearNote(event);
          store.clearOccurrenceNotes(event);
          store.journal(story(...(deleting ? [callEntry(event, 'DELETE /meeting', 'ok', at(), { detail: `meeting ${action.mapping.meetingNumber ?? action.mapping.meetingId} deleted`, ...meetingRef })] : [])));
        });
        logger.info({ event: event.eventId, meetingId: action.mapping.meetingId, mode: action.mode }, `meeting ${state}: ${action.reason}`);
        if (clearing) await clearJoinDetails(done, ctx);
        return {
          // A deleted event comes back without its title (Google's tombstones): name it by its meeting's topic.
          outcome: outcomeOf(event.title ? event : { ...event, title: action.mapping.topic }, 'cancelled', {
            reason: action.mode === 'keep' ? `${action.reason}; meeting kept (onEventCancelled: keep)` : action.reason,
            ...(action.mapping.meetingId ? { meetingId: action.mapping.meetingId } : {}),
          }),
          retry: false,
        };
      }
      case 'adopt': {
        // The meeting keeps the reference written at its creation (issue 15): the crash key and
        // reconcile's proof of origin. Known from a record here; unknown, the PUT sends no agenda (the platform keeps it) and the answer tells it.
        const reference = knownReference(action, store);
        const mapping = newMapping(event, action.organizer, action.desired, at(), {
          // A stand-in, unique like every marker, while the reference is unknown; never written into an agenda.
          marker: reference ?? standInMarker(action.stamp.meetingId),
          meetingId: action.stamp.meetingId,
          ...(action.stamp.meetingNumber ? { meetingNumber: action.stamp.meetingNumber } : {}),
          state: 'active',
          writeBack: 'done',
        });
        // What the meeting holds now is unknown here: the event may have moved or been renamed while
        // no database here knew its meeting (a lost database, one restored from an older backup),
        // and the API documents no read of one meeting (spec: no GET /meeting). One PUT brings it in
        // step; the mapping is saved only after it, so a failed PUT is tried again from the event.
        // The calendar is not written: the stamp and link are there.
        const stamped = { meetingId: action.stamp.meetingId, meetingNumber: action.stamp.meetingNumber };
        try {
          inFlight = 'adoption';
          const answer = await ctx.platform.updateMeeting(mapping.userId, action.stamp.meetingId, specFor(action.desired, mapping.marker, ctx.defaults));
          inFlight = undefined;
          // An answer without the meeting (assumptions.ts) tells no reference: the stand-in stays.
          const told = reference || !answer ? undefined : referencesIn(answer.agenda).find((r) => !markerTaken(r, event, store));
          if (told) mapping.marker = told;
        } catch (err) {
          if (classifyFailure(err) !== 'gone') throw err;
          inFlight = undefined;
          store.journal(story(callEntry(event, 'adoption', 'gone', at(), { detail: `PUT of the stamped meeting: deleted on the platform (${describeError(err)})${action.ifGone === 'leave' ? '' : '; a new one is created'}`, ...stamped })));
          if (action.ifGone === 'leave') return { outcome: outcomeOf(event, 'skipped', { reason: "the event's stamp names a meeting deleted on the platform" }), retry: false };
          logger.warn({ event: event.eventId, meetingId: action.stamp.meetingId }, "the event's stamp names a meeting deleted on the platform; creating a new one");
          return await execute({ kind: 'create', event, organizer: action.organizer, desired: action.desired }, ctx);
        }
        store.transaction(() => {
          store.saveMapping(mapping);
          store.clearNote(event);
          store.journal(story(callEntry(event, 'adoption', 'ok', at(), { detail: `PUT brought meeting ${action.stamp.meetingNumber ?? action.stamp.meetingId} in step: ${sentFields(action.desired)}; nothing created`, ...stamped })));
        });
        return { outcome: outcomeOf(event, 'adopted', { meetingId: action.stamp.meetingId, reason: 'the event already carries a meeting made by meetsync; mapping rebuilt, nothing created' }), retry: false };
      }
      case 'remember-kept': {
        const mapping = newMapping(event, organizerOfStamp(event, action.stamp, store), action.desired, at(), {
          marker: standInMarker(action.stamp.meetingId),
          meetingId: action.stamp.meetingId,
          ...(action.stamp.meetingNumber ? { meetingNumber: action.stamp.meetingNumber } : {}),
          state: 'kept',
          writeBack: 'done',
        });
        store.transaction(() => {
          store.saveKeptMeeting(keptFrom(mapping, at())!);
          store.journal(story());
        });
        const reason = "its stamp names a meeting kept for its organizer (onEventCancelled: keep) that this database did not know; remembered as kept, so that the event tagged again gets a new meeting";
        logger.info({ event: event.eventId, meetingId: action.stamp.meetingId }, reason);
        return { outcome: outcomeOf(event, 'recorded', { meetingId: action.stamp.meetingId, reason }), retry: false };
      }
      case 'skip':
        // An attendee's copy is no problem to act on: counted in the cycle, not kept as a note.
        if (!event.isOrganizerCopy) {
          store.transaction(() => {
            store.clearNote(event);
            store.journal(story());
          });
          return { outcome: outcomeOf(event, 'skipped', { reason: action.reason }), retry: false };
        }
        store.transaction(() => {
          store.saveNote({
            ...keyFields(event),
            kind: 'skipped',
            reason: action.reason,
            title: event.title,
            ...(event.start ? { start: event.start } : {}),
            ...(action.awaitingOrganizer ? { awaitingOrganizer: action.awaitingOrganizer } : {}),
            updatedAt: at(),
          });
          store.journal(story());
        });
        return { outcome: outcomeOf(event, 'skipped', { reason: action.reason }), retry: false };
      case 'exception':
        store.transaction(() => {
          store.saveNote({
            ...keyFields(event),
            kind: 'exception',
            reason: action.reason,
            title: event.title,
            ...(event.start ? { start: event.start } : event.originalStart ? { start: event.originalStart } : {}),
            seriesId: action.seriesId,
            updatedAt: at(),
          });
          store.journal(story());
        });
        return { outcome: outcomeOf(event, 'recorded', { reason: action.reason }), retry: false };
      case 'unchanged':
        // In step: whatever was noted about it before (a failure since recovered) is over.
        store.clearNote(event);
        if (action.mapping.writeBack === 'pending') await writeBack(action.mapping, ctx);
        return { outcome: outcomeOf(event, 'unchanged', action.mapping.meetingId ? { meetingId: action.mapping.meetingId } : {}), retry: false };
      case 'pending':
        // Not retried through the cursor: the unconfirmed creation is retried from the mappings
        // table every cycle, and compared with the event as it is then (engine catchUp).
        return { outcome: outcomeOf(event, 'failed', { reason: action.mapping.held ?? 'an earlier creation of its meeting is not confirmed yet; looked at again next cycle' }), retry: false };
    }
  } catch (err) {
    // The platform refuses meetsync itself: nothing for this event to note, the whole cycle stops;
    // unless the refusal is the organizer's alone (organizer-refusals.ts): then their events wait.
    if (err instanceof PlatformError && classifyFailure(err) === 'platform') {
      if (!acting || !ctx.refusals) {
        if (inFlight) store.journal(story(callEntry(event, inFlight, 'refused', at(), { detail: describeError(err) })));
        throw new PlatformHaltError(err);
      }
      const why = await ctx.refusals.judge(err, acting);
      return heldForOrganizer(action, why, ctx, story(...(inFlight ? [callEntry(event, inFlight, 'refused', at(), { detail: why })] : [])));
    }
    if (err instanceof PlatformHaltError || err instanceof LeaseLostError) throw err;
    const note = failureNote(action.kind, err);
    // A creation left unconfirmed is driven by resolvePending from its intent, not from this note.
    const unconfirmed = action.kind === 'create' && store.mapping(event)?.state === 'creating';
    const reason = unconfirmed ? `create failed: ${describeError(err)}; whether the meeting was made is confirmed from the organizer's feed` : note.reason;
    const retry = unconfirmed ? false : note.retry;
    logger.warn({ event: event.eventId, action: action.kind, retry }, reason);
    const title = event.title || ('mapping' in action ? action.mapping.topic : '');
    // A PUT or DELETE without an answer may have taken effect: its record's mark says so until it is sent again.
    const answer = classifyFailure(err) === 'refused' ? 'refused' : err instanceof PlatformError ? 'failed' : 'unconfirmed';
    store.transaction(() => {
      store.saveNote({
        ...keyFields(event),
        kind: 'failed',
        reason,
        title,
        ...(event.start ? { start: event.start } : {}),
        retry,
        ...(retry ? { tries: retriesAfterFailure(event, ctx) } : {}),
        updatedAt: at(),
      });
      store.journal(story(...(inFlight ? [callEntry(event, inFlight, answer, at(), { detail: describeError(err) })] : [])));
    });
    return { outcome: outcomeOf({ ...event, title }, 'failed', { reason }), retry };
  }
}

/** The reference of the meeting an adoption takes, when known and not another event's record's (markers are unique). */
function knownReference(action: Extract<SyncAction, { kind: 'adopt' }>, store: Store): string | undefined {
  const candidates = store.mappingsByMeeting(action.stamp.meetingId).map((m) => m.marker);
  return candidates.find((r) => isReference(r) && !markerTaken(r, action.event, store));
}

function markerTaken(marker: string, event: CalendarEvent, store: Store): boolean {
  return store.mappings().some((m) => m.marker === marker && keyOf(m) !== keyOf(event));
}

/** A mapping of `event` to the meeting `desired` describes, as first recorded. */
function newMapping(
  event: CalendarEvent,
  organizer: Organizer,
  desired: DesiredMeeting,
  at: string,
  fields: Pick<Mapping, 'marker' | 'state' | 'writeBack'> & Partial<Pick<Mapping, 'meetingId' | 'meetingNumber'>>,
): Mapping {
  return {
    source: event.source,
    calendarId: event.calendarId,
    eventId: event.eventId,
    ...(event.iCalUid ? { iCalUid: event.iCalUid } : {}),
    organizerEmail: organizer.email,
    userId: organizer.userId,
    topic: desired.topic,
    start: desired.start,
    end: desired.end,
    ...(desired.timeZone ? { timeZone: desired.timeZone } : {}),
    recurrence: desired.recurrence,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

/** The organizer of a kept meeting known only from its event's stamp: the stamped user, else the one known by email. */
function organizerOfStamp(event: CalendarEvent, stamp: MeetingStamp, store: Store): Organizer {
  const email = event.organizerEmail?.toLowerCase() ?? '';
  const known = email ? store.organizer(email) : undefined;
  const userId = stamp.userId ?? known?.userId ?? '';
  return { email, accountId: stamp.accountId ?? known?.accountId ?? '', userId, firstName: '', lastName: '', hasFeed: false, refreshedAt: '' };
}

function keyFields(e: CalendarEvent) {
  return { source: e.source, calendarId: e.calendarId, eventId: e.eventId };
}

/**
 * POSTs the meeting of a recorded intent and commits the mapping. A definitive refusal removes
 * the intent (no meeting exists); anything else leaves it 'creating' for resolvePending.
 */
export async function createFromIntent(intent: Mapping, ctx: ExecuteContext): Promise<Mapping> {
  const desired: DesiredMeeting = {
    topic: intent.topic,
    start: intent.start,
    end: intent.end,
    ...(intent.timeZone ? { timeZone: intent.timeZone } : {}),
    recurrence: intent.recurrence,
  };
  let meeting;
  try {
    meeting = await ctx.platform.createMeeting(intent.userId, specFor(desired, intent.marker, ctx.defaults));
  } catch (err) {
    // The platform answered and said no: no meeting exists. Any other failure (no answer, 5xx)
    // leaves the intent 'creating' for resolvePending, which looks for the marker first.
    const at = ctx.now().toISOString();
    if (err instanceof PlatformError && classifyFailure(err) !== 'transient') {
      ctx.store.transaction(() => {
        ctx.store.deleteMapping(intent);
        ctx.store.journal([callEntry(intent, 'POST /meeting', 'refused', at, { detail: `${describeError(err)}; no meeting was made` })]);
      });
    } else {
      ctx.store.journal([callEntry(intent, 'POST /meeting', 'unconfirmed', at, { detail: `no answer (${describeError(err)}); whether the meeting was made is confirmed from the organizer's meeting feed` })]);
    }
    throw err;
  }
  const created: Mapping = { ...intent, meetingId: meeting.id, meetingNumber: meeting.meetingNumber, state: 'active', updatedAt: ctx.now().toISOString() };
  ctx.store.transaction(() => {
    ctx.store.saveMapping(created);
    // Whatever was noted about the event (a creation that failed before) is over.
    ctx.store.clearNote(intent);
    ctx.store.journal([callEntry(intent, 'POST /meeting', 'ok', created.updatedAt, { detail: `meeting ${meeting.meetingNumber} made`, meetingId: meeting.id, meetingNumber: meeting.meetingNumber })]);
  });
  ctx.logger.info({ event: intent.eventId, meetingId: meeting.id, meetingNumber: meeting.meetingNumber }, 'meeting created');
  return created;
}

/**
 * The meeting of `mapping` was deleted on the platform (by hand): a new one is created through a
 * new intent, exactly once like any creation, and its join details replace the dead ones.
 */
async function recreate(mapping: Mapping, desired: DesiredMeeting, ctx: ExecuteContext): Promise<Mapping> {
  const at = ctx.now().toISOString();
  const intent: Mapping = {
    ...mapping,
    marker: newMarker(mapping),
    state: 'creating',
    writeBack: 'pending',
    topic: desired.topic,
    start: desired.start,
    end: desired.end,
    recurrence: desired.recurrence,
    createdAt: at,
    updatedAt: at,
  };
  delete intent.meetingId;
  delete intent.meetingNumber;
  delete intent.lastError;
  delete intent.deletingSince;
  delete intent.updatingSince;
  delete intent.timeZone;
  if (desired.timeZone) intent.timeZone = desired.timeZone;
  ctx.store.transaction(() => {
    ctx.store.saveMapping(intent);
    ctx.store.journal([callEntry(intent, 'POST /meeting', 'sent', at, { detail: `sends ${sentFields(intent)}` })]);
  });
  const created = await createFromIntent(intent, ctx);
  await writeBack(created, ctx);
  return created;
}

/**
 * Removes the join details of a deleted meeting from its event (untagged, all-day), which owes it
 * while its cancelled record says 'pending'. A failure is noted on the record and tried again on
 * the schedule of domain/attention.ts (engine finishUnfinishedWork); an event gone meanwhile
 * has nothing left to remove.
 */
export async function clearJoinDetails(mapping: Mapping, ctx: ExecuteContext): Promise<void> {
  let detail = 'the join link, the location link and the stamp of the deleted meeting taken off the event';
  try {
    await ctx.source.clearJoinDetails(mapping.calendarId, mapping.eventId);
  } catch (err) {
    if (!(err instanceof EventGoneError)) {
      linkOwed(mapping, `removing the join link of its deleted meeting from the event failed (will retry): ${describeError(err)}`, ctx, 'link removal');
      return;
    }
    detail = 'the event is gone: nothing left to remove';
  }
  const cleared: Mapping = { ...mapping, writeBack: 'done', updatedAt: ctx.now().toISOString() };
  delete cleared.writeBackTries;
  delete cleared.lastError;
  ctx.store.transaction(() => {
    ctx.store.saveMapping(cleared);
    ctx.store.journal([callEntry(mapping, 'link removal', 'ok', cleared.updatedAt, { detail, meetingId: mapping.meetingId, meetingNumber: mapping.meetingNumber })]);
  });
}

/** Writes the join details into the event; on failure the mapping stays 'pending' and is tried again on the schedule of domain/attention.ts. */
export async function writeBack(mapping: Mapping, ctx: ExecuteContext): Promise<void> {
  if (!mapping.meetingId || !mapping.meetingNumber) return;
  // The stamp names the organizer acting for the meeting, so that a lost database finds them
  // again from the calendar alone (sync/stamped-organizers.ts).
  const accountId = ctx.store.organizer(mapping.organizerEmail)?.accountId;
  const joinUrl = ctx.platform.joinUrl(mapping.meetingNumber, mapping.meetingId);
  try {
    await ctx.source.writeJoinDetails(mapping.calendarId, mapping.eventId, {
      meetingId: mapping.meetingId,
      meetingNumber: mapping.meetingNumber,
      joinUrl,
      userId: mapping.userId,
      ...(accountId ? { accountId } : {}),
    });
    if (mapping.writeBack !== 'done') {
      const done: Mapping = { ...mapping, writeBack: 'done', updatedAt: ctx.now().toISOString() };
      delete done.writeBackTries;
      ctx.store.transaction(() => {
        ctx.store.saveMapping(done);
        ctx.store.journal([callEntry(mapping, 'write-back', 'ok', done.updatedAt, { detail: `join link ${joinUrl} and meeting number ${mapping.meetingNumber} written into the event`, meetingId: mapping.meetingId, meetingNumber: mapping.meetingNumber })]);
      });
      mapping.writeBack = 'done';
      delete mapping.writeBackTries;
    }
  } catch (err) {
    if (err instanceof EventGoneError) {
      // Cancelled or deleted before its link was written, a change the calendar's cursor may
      // already have passed (read while the creation was unconfirmed): the event is looked at
      // again, as it is now, until its meeting is cancelled (engine recheckNotes).
      const reason = `the event was cancelled or deleted before its join link was written (${describeError(err)}); its meeting is cancelled`;
      noteToRecheck(mapping, reason, ctx, [callEntry(mapping, 'write-back', 'gone', ctx.now().toISOString(), { detail: reason, meetingId: mapping.meetingId, meetingNumber: mapping.meetingNumber })]);
      return;
    }
    linkOwed(mapping, `writing the join link into the event failed (will retry): ${describeError(err)}`, ctx, 'write-back');
  }
}

/** A join link still owed (to write, or to remove): the record says why, with its next try (domain/attention.ts). */
function linkOwed(mapping: Mapping, reason: string, ctx: ExecuteContext, call: 'write-back' | 'link removal'): void {
  ctx.logger.warn({ event: mapping.eventId, meetingId: mapping.meetingId }, reason);
  const writeBackTries = afterFailure(mapping.writeBackTries, ctx.now(), ctx.retry ?? RETRY_DEFAULTS);
  const at = ctx.now().toISOString();
  ctx.store.transaction(() => {
    ctx.store.saveMapping({ ...mapping, writeBack: 'pending', lastError: reason, writeBackTries, updatedAt: at });
    ctx.store.journal([callEntry(mapping, call, 'failed', at, { detail: reason, meetingId: mapping.meetingId, meetingNumber: mapping.meetingNumber })]);
  });
}

/**
 * Keeps a mapping's event on the list of events looked at again, as they are now, every cycle
 * until its action succeeds (a 'failed' note with retry): for a change the calendar will not
 * report again because its cursor has moved past it.
 */
export function noteToRecheck(mapping: Mapping, reason: string, ctx: Pick<ExecuteContext, 'store' | 'logger' | 'now' | 'retry'>, journal: readonly JournalEntry[] = []): void {
  ctx.logger.warn({ event: mapping.eventId, meetingId: mapping.meetingId }, reason);
  ctx.store.transaction(() => {
    ctx.store.saveNote({
      source: mapping.source,
      calendarId: mapping.calendarId,
      eventId: mapping.eventId,
      kind: 'failed',
      reason,
      title: mapping.topic,
      start: mapping.start,
      retry: true,
      tries: retriesAfterFailure(mapping, ctx),
      updatedAt: ctx.now().toISOString(),
    });
    ctx.store.journal(journal);
  });
}
