import { randomUUID } from 'node:crypto';
import type { DesiredMeeting, EventOutcome, SyncAction } from '../domain/action.js';
import type { CalendarEvent } from '../domain/event.js';
import { describeError, PlatformError } from '../domain/errors.js';
import type { Mapping, Organizer } from '../domain/mapping.js';
import type { MeetingPlatform, MeetingSpec } from '../domain/meeting.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

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
}

/** The agenda line that finds a meeting again after a crash (see resolvePending). */
export function agendaFor(marker: string): string {
  return `Scheduled from the organizer's calendar by meetsync. Reference: ${marker}`;
}

export function specFor(desired: DesiredMeeting, marker: string, defaults: MeetingDefaults): MeetingSpec {
  return {
    topic: desired.topic,
    startTime: desired.start,
    endTime: desired.end,
    agenda: agendaFor(marker),
    type: defaults.type,
    isRecorded: defaults.isRecorded,
    isDialin: defaults.isDialin,
    recurrence: desired.recurrence,
    ...(desired.timeZone ? { timeZone: desired.timeZone } : {}),
  };
}

/**
 * A failure that will not go away by trying again (the platform refused the data, or said
 * no): the cycle records it and moves on. Anything else (network, timeout, 429, 5xx) is
 * transient: the calendar's cursor is not advanced, so the change is read and tried again.
 */
export function isDefinitive(err: unknown): boolean {
  if (!(err instanceof PlatformError)) return false;
  if (err.status !== undefined && (err.status === 429 || err.status >= 500)) return false;
  return true;
}

function outcomeOf(event: CalendarEvent, outcome: EventOutcome['outcome'], extra: Partial<EventOutcome> = {}): EventOutcome {
  return { source: event.source, calendarId: event.calendarId, eventId: event.eventId, title: event.title, outcome, ...extra };
}

export interface ActionResult {
  outcome: EventOutcome;
  /** True when the failure is transient and the calendar's cursor must not advance. */
  retry: boolean;
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
  try {
    switch (action.kind) {
      case 'create': {
        const intent = newMapping(event, action.organizer, action.desired, at(), {
          marker: `meetsync:${randomUUID()}`,
          state: 'creating',
          writeBack: 'pending',
        });
        store.transaction(() => {
          store.saveMapping(intent);
          store.clearNote(event);
        });
        const mapping = await createFromIntent(intent, ctx);
        await writeBack(mapping, ctx);
        return { outcome: outcomeOf(event, 'created', { meetingId: mapping.meetingId!, meetingNumber: mapping.meetingNumber! }), retry: false };
      }
      case 'update': {
        const spec = specFor(action.desired, action.mapping.marker, ctx.defaults);
        const meeting = await ctx.platform.updateMeeting(action.mapping.userId, action.mapping.meetingId!, spec);
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
        store.transaction(() => {
          store.saveMapping(updated);
          store.clearNote(event);
        });
        if (updated.writeBack === 'pending') await writeBack(updated, ctx);
        logger.info({ event: event.eventId, meetingId: meeting.id, changes: action.changes }, 'meeting updated');
        return { outcome: outcomeOf(event, 'updated', { meetingId: meeting.id, meetingNumber: meeting.meetingNumber, changes: action.changes }), retry: false };
      }
      case 'cancel': {
        if (action.mode === 'delete' && action.mapping.meetingId) {
          await ctx.platform.deleteMeeting(action.mapping.userId, action.mapping.meetingId);
        }
        const state = action.mode === 'delete' ? 'cancelled' : 'kept';
        store.transaction(() => {
          store.saveMapping({ ...action.mapping, state, updatedAt: at() });
          store.clearNote(event);
        });
        logger.info({ event: event.eventId, meetingId: action.mapping.meetingId, mode: action.mode }, `meeting ${state}: ${action.reason}`);
        // The event lives on untagged: a join link to a deleted meeting would only mislead.
        if (action.mode === 'delete' && event.status !== 'cancelled' && event.isOrganizerCopy) await clearJoinDetails(action.mapping, ctx);
        return {
          outcome: outcomeOf(event, 'cancelled', {
            reason: action.mode === 'keep' ? `${action.reason}; meeting kept (onEventCancelled: keep)` : action.reason,
            ...(action.mapping.meetingId ? { meetingId: action.mapping.meetingId } : {}),
          }),
          retry: false,
        };
      }
      case 'adopt': {
        const mapping = newMapping(event, action.organizer, action.desired, at(), {
          marker: `meetsync:adopted:${action.stamp.meetingId}`,
          meetingId: action.stamp.meetingId,
          ...(action.stamp.meetingNumber ? { meetingNumber: action.stamp.meetingNumber } : {}),
          state: 'active',
          writeBack: 'done',
        });
        store.transaction(() => {
          store.saveMapping(mapping);
          store.clearNote(event);
        });
        return { outcome: outcomeOf(event, 'adopted', { meetingId: action.stamp.meetingId, reason: 'the event already carries a meeting made by meetsync; mapping rebuilt, nothing created' }), retry: false };
      }
      case 'skip':
        store.saveNote({
          ...keyFields(event),
          kind: 'skipped',
          reason: action.reason,
          title: event.title,
          ...(event.start ? { start: event.start } : {}),
          ...(action.awaitingOrganizer ? { awaitingOrganizer: action.awaitingOrganizer } : {}),
          updatedAt: at(),
        });
        return { outcome: outcomeOf(event, 'skipped', { reason: action.reason }), retry: false };
      case 'exception':
        store.saveNote({
          ...keyFields(event),
          kind: 'exception',
          reason: action.reason,
          title: event.title,
          ...(event.start ? { start: event.start } : event.originalStart ? { start: event.originalStart } : {}),
          seriesId: action.seriesMapping.eventId,
          updatedAt: at(),
        });
        return { outcome: outcomeOf(event, 'recorded', { reason: action.reason }), retry: false };
      case 'unchanged':
        if (action.mapping.writeBack === 'pending') await writeBack(action.mapping, ctx);
        return { outcome: outcomeOf(event, 'unchanged', action.mapping.meetingId ? { meetingId: action.mapping.meetingId } : {}), retry: false };
      case 'pending':
        // Not retried through the cursor: the unconfirmed creation is retried from the mappings
        // table every cycle, and compared with the event as it is then (engine catchUp).
        return { outcome: outcomeOf(event, 'failed', { reason: 'an earlier creation of its meeting is not confirmed yet (the organizer feed could not be read); retried next cycle' }), retry: false };
    }
  } catch (err) {
    const reason = describeError(err);
    const retry = !isDefinitive(err);
    logger.warn({ event: event.eventId, action: action.kind, retry }, `action failed: ${reason}`);
    store.saveNote({
      ...keyFields(event),
      kind: 'failed',
      reason: `${action.kind} failed: ${reason}${retry ? ' (will retry)' : ''}`,
      title: event.title,
      ...(event.start ? { start: event.start } : {}),
      retry,
      updatedAt: at(),
    });
    return { outcome: outcomeOf(event, 'failed', { reason }), retry };
  }
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
    if (isDefinitive(err)) ctx.store.deleteMapping(intent);
    throw err;
  }
  const created: Mapping = { ...intent, meetingId: meeting.id, meetingNumber: meeting.meetingNumber, state: 'active', updatedAt: ctx.now().toISOString() };
  ctx.store.saveMapping(created);
  ctx.logger.info({ event: intent.eventId, meetingId: meeting.id, meetingNumber: meeting.meetingNumber }, 'meeting created');
  return created;
}

/** Removes the join details of a deleted meeting from its (untagged) event. Cosmetic: a failure is logged, not retried. */
async function clearJoinDetails(mapping: Mapping, ctx: ExecuteContext): Promise<void> {
  try {
    await ctx.source.clearJoinDetails(mapping.calendarId, mapping.eventId);
  } catch (err) {
    ctx.logger.warn({ event: mapping.eventId, meetingId: mapping.meetingId }, `could not remove the old join link from the event: ${describeError(err)}`);
  }
}

/** Writes the join details into the event; on failure the mapping stays 'pending' and is retried next cycle. */
export async function writeBack(mapping: Mapping, ctx: ExecuteContext): Promise<void> {
  if (!mapping.meetingId || !mapping.meetingNumber) return;
  try {
    await ctx.source.writeJoinDetails(mapping.calendarId, mapping.eventId, {
      meetingId: mapping.meetingId,
      meetingNumber: mapping.meetingNumber,
      joinUrl: ctx.platform.joinUrl(mapping.meetingNumber, mapping.meetingId),
    });
    if (mapping.writeBack !== 'done') {
      ctx.store.saveMapping({ ...mapping, writeBack: 'done', updatedAt: ctx.now().toISOString() });
      mapping.writeBack = 'done';
    }
  } catch (err) {
    const reason = `writing the join link into the event failed (will retry): ${describeError(err)}`;
    ctx.logger.warn({ event: mapping.eventId, meetingId: mapping.meetingId }, reason);
    ctx.store.saveMapping({ ...mapping, writeBack: 'pending', lastError: reason, updatedAt: ctx.now().toISOString() });
  }
}
