import { attentionItems, RETRY_DEFAULTS, type AttentionItem, type RetryPolicy } from '../domain/attention.js';
import type { JournalEntry } from '../domain/journal.js';
import type { EventKey, EventNote, Mapping, MappingState, Organizer } from '../domain/mapping.js';
import type { Store } from '../store/store.js';
import { organizersNextCheck } from '../sync/organizer-checks.js';
import { scheduleOf } from '../status.js';
import { joinUrlFrom } from '../webmeeting/assumptions.js';

/**
 * `meetsync explain <event>` (issue 20): one event's story from the database alone (no call to
 * the platform or a calendar): the event as last read, whether it wants a meeting and why, its
 * organizer and how they were found, its meeting and whether it is in step, its journal, and
 * what happens next. Pure reading; the text and HTML renderings are elsewhere.
 */

export interface ExplainSettings {
  /** `webMeeting.accountIds`: an organizer found among their admins is said so. */
  accountIds: readonly string[];
  /** The join link's template (webMeeting.joinUrlTemplate, else the default). */
  joinUrlTemplate: string;
  /** `schedule`: when the next cycle reads the calendar. */
  schedule: string;
  retry?: Partial<RetryPolicy>;
  now?: Date;
}

export interface EventStory extends EventKey {
  /** The event as meetsync last read it (its last 'read' journal entry), else as its record has it. */
  /**
   * `readAt`: when the event was last read changed (a read that returned it); `calendarReadAt`: the
   * calendar's last good read, when later. Incremental reads return only what changed, so an event
   * absent from the reads between the two is as it was read.
   */
  event: { title: string; start?: string; end?: string; organizer?: string; tag?: string; readAt?: string; calendarReadAt?: string };
  /** Whether it wants a meeting, and the rule that said so (the last decision). */
  decision: { wantsMeeting: boolean | undefined; what: string; why: string; at?: string };
  organizer: { email?: string; found: boolean; userId?: string; accountId?: string; how: string };
  meeting?: {
    state: MappingState;
    meetingId?: string;
    meetingNumber?: string;
    joinUrl?: string;
    topic: string;
    start: string;
    end: string;
    inStep: boolean;
    how: string;
  };
  /** What meetsync noted about the event (`status` lists it). */
  note?: Pick<EventNote, 'kind' | 'reason' | 'updatedAt'>;
  /** Oldest first, newest last. */
  journal: JournalEntry[];
  /** What happens next: the next cycle, the next retry, or what IT must do. */
  next: string[];
  attention: AttentionItem[];
}

/** One event found for a query, as the short list of several matches shows it. */
export interface EventMatch extends EventKey {
  title: string;
  start?: string;
  meetingNumber?: string;
}

const MEETING_NUMBER = /^\d{4}-?\d{4}-?\d{4}-?\d{4}$/;
const MEETING_ID = /^[0-9a-f]{24}$/i;

/** The events `query` names: a meeting number, a meeting id, an event id, else words of the title. */
export function findEvents(store: Store, query: string, limit = 10): EventKey[] {
  const q = query.trim();
  if (MEETING_NUMBER.test(q)) {
    const digits = q.replace(/-/g, '');
    const dashed = digits.match(/\d{4}/g)!.join('-');
    const found = store.eventsByMeeting(dashed);
    if (found.length > 0) return found.slice(0, limit);
  }
  if (MEETING_ID.test(q)) {
    const found = store.eventsByMeeting(q.toLowerCase());
    if (found.length > 0) return found.slice(0, limit);
  }
  const byId = store.eventsById(q);
  if (byId.length > 0) return byId.slice(0, limit);
  return store.eventsByTitle(q.split(/\s+/).filter(Boolean), limit);
}

/** The short list's line of each event: its title, start and meeting number. */
export function matchOf(store: Store, key: EventKey): EventMatch {
  const mapping = store.mapping(key);
  const lastRead = [...store.journalOf(key)].reverse().find((e) => e.kind === 'read');
  const note = store.note(key);
  const title = lastRead?.title ?? note?.title ?? mapping?.topic ?? '';
  const start = lastRead?.start ?? note?.start ?? mapping?.start;
  return { ...keyFields(key), title, ...(start ? { start } : {}), ...(mapping?.meetingNumber ? { meetingNumber: mapping.meetingNumber } : {}) };
}

export function tellStory(store: Store, key: EventKey, settings: ExplainSettings): EventStory {
  const now = settings.now ?? new Date();
  const mapping = store.mapping(key);
  const note = store.note(key);
  const journal = store.journalOf(key);
  const lastRead = [...journal].reverse().find((e) => e.kind === 'read');
  const email = mapping?.organizerEmail || lastRead?.organizer;
  const nextCheck = organizersNextCheck(store);
  const attention = attentionItems({
    notes: note ? [note] : [],
    mappings: mapping ? [mapping] : [],
    now,
    policy: { ...RETRY_DEFAULTS, ...settings.retry },
    ...(nextCheck ? { organizersNextCheck: nextCheck } : {}),
  });
  const meeting = mapping ? meetingOf(mapping, note, settings) : undefined;
  const readAt = lastRead ? (lastRead.lastAt ?? lastRead.at) : undefined;
  const calendarReadAt = store.calendarState(key.source, key.calendarId).lastSuccessAt;
  const readSince = calendarReadAt && (!readAt || Date.parse(calendarReadAt) > Date.parse(readAt)) ? { calendarReadAt } : {};
  return {
    ...keyFields(key),
    event: {
      title: lastRead?.title ?? note?.title ?? mapping?.topic ?? '',
      // As last read: a deleted event was read without times (its tombstone); without a read, as the records have it.
      ...pick(lastRead
        ? { start: lastRead.start, end: lastRead.end, organizer: email, tag: lastRead.tag, readAt }
        : { start: note?.start ?? mapping?.start, end: mapping?.end, organizer: email }),
      ...readSince,
    },
    decision: decisionOf(lastRead, mapping, note),
    organizer: organizerOf(email, email ? store.organizer(email) : undefined, mapping, settings),
    ...(meeting ? { meeting } : {}),
    ...(note ? { note: { kind: note.kind, reason: note.reason, updatedAt: note.updatedAt } } : {}),
    journal,
    next: nextOf(attention, mapping, note, settings),
    attention,
  };
}

function decisionOf(lastRead: JournalEntry | undefined, mapping: Mapping | undefined, note: EventNote | undefined): EventStory['decision'] {
  if (lastRead) {
    const wants = lastRead.what === 'wants a meeting' ? true : lastRead.what === 'no meeting' ? false : undefined;
    return { wantsMeeting: wants, what: lastRead.what, why: lastRead.detail ?? '', at: lastRead.lastAt ?? lastRead.at };
  }
  // Written before the journal was (schema 11), or pruned: what the records still say.
  if (note?.kind === 'skipped') return { wantsMeeting: false, what: 'no meeting', why: note.reason };
  if (note?.kind === 'exception') return { wantsMeeting: undefined, what: 'occurrence', why: note.reason };
  if (mapping?.state === 'active' || mapping?.state === 'creating') return { wantsMeeting: true, what: 'wants a meeting', why: 'it has a meeting record (read before the journal kept its story)' };
  if (mapping) return { wantsMeeting: false, what: 'no meeting', why: `its meeting was ${mapping.state} (read before the journal kept its story)` };
  return { wantsMeeting: undefined, what: 'unknown', why: 'nothing recorded about what it wants' };
}

function organizerOf(email: string | undefined, known: Organizer | undefined, mapping: Mapping | undefined, settings: ExplainSettings): EventStory['organizer'] {
  if (!email) return { found: false, how: 'the event names no organizer meetsync could read' };
  if (!known) {
    const where = settings.accountIds.length ? `accounts ${settings.accountIds.join(', ')} (webMeeting.accountIds)` : 'any account (webMeeting.accountIds is empty)';
    const acting = mapping?.userId ? `; its meeting was made in the name of platform user ${mapping.userId}` : '';
    return { email, found: false, how: `not found on the platform: no admin of ${where} has the email ${email}${acting}` };
  }
  const how = settings.accountIds.includes(known.accountId)
    ? `found by email among the admins of account ${known.accountId}, listed in webMeeting.accountIds (looked up ${known.refreshedAt})`
    : `platform user of account ${known.accountId}, which webMeeting.accountIds does not list: known from 'meetsync accounts create', provisioning or the event's stamp (${known.refreshedAt})`;
  return { email, found: true, userId: known.userId, accountId: known.accountId, how };
}

function meetingOf(m: Mapping, note: EventNote | undefined, settings: ExplainSettings): NonNullable<EventStory['meeting']> {
  const joinUrl = m.meetingId && m.meetingNumber && (m.state === 'active' || m.state === 'kept') ? joinUrlFrom(settings.joinUrlTemplate, m.meetingNumber, m.meetingId) : undefined;
  const base = { state: m.state, ...pick({ meetingId: m.meetingId, meetingNumber: m.meetingNumber, joinUrl }), topic: m.topic, start: m.start, end: m.end };
  const failed = note?.kind === 'failed' ? `; a change could not be applied: ${note.reason}` : '';
  switch (m.state) {
    case 'creating':
      return { ...base, inStep: false, how: m.held ? `held for IT: ${m.held}` : `being created: the answer to its POST is not confirmed yet${failed}` };
    case 'cancelled':
      return { ...base, inStep: m.writeBack === 'done', how: `deleted on the platform when the event went away (${m.updatedAt})${m.writeBack === 'pending' ? '; its join link is still to be removed from the event' : ''}` };
    case 'kept':
      return { ...base, inStep: true, how: `kept for its organizer when the event went away (onEventCancelled: keep); meetsync leaves it alone` };
    case 'active': {
      const out: string[] = [];
      if (m.updatingSince) out.push(`an update sent ${m.updatingSince} is not confirmed; it is sent again`);
      if (m.deletingSince) out.push(`a deletion sent ${m.deletingSince} is not confirmed`);
      if (m.writeBack === 'pending') out.push(`its join link is not written into the event yet${m.lastError ? ` (${m.lastError})` : ''}`);
      if (note?.kind === 'failed') out.push(`a change could not be applied: ${note.reason}`);
      return out.length === 0
        ? { ...base, inStep: true, how: `the meeting has the event's title and times as last read, confirmed ${m.updatedAt}` }
        : { ...base, inStep: false, how: out.join('; ') };
    }
  }
}

function nextOf(attention: readonly AttentionItem[], mapping: Mapping | undefined, note: EventNote | undefined, settings: ExplainSettings): string[] {
  if (attention.length > 0) {
    return attention.map((a) => `${a.needsPerson ? 'IT must act: ' : ''}${a.reason} (${scheduleOf(a)})`);
  }
  const cycle = `the next sync cycle (schedule ${settings.schedule}) reads the event's changes`;
  if (note?.kind === 'skipped') return [`nothing until the event changes (${cycle}); what to do: ${note.reason}`];
  if (note?.kind === 'exception') return ['nothing: the recurring meeting keeps the series pattern; this occurrence stays as it is on the platform'];
  if (mapping?.state === 'cancelled' || mapping?.state === 'kept') return [`nothing more for this meeting; if the event is tagged again, it gets a new meeting: ${cycle}`];
  return [`nothing until the event changes: ${cycle}`];
}

function keyFields(k: EventKey): EventKey {
  return { source: k.source, calendarId: k.calendarId, eventId: k.eventId };
}

function pick<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as { [K in keyof T]?: string };
}
