import type { Mapping, MappingState } from '../domain/mapping.js';
import type { Recurrence } from '../domain/meeting.js';
import { scrub } from '../domain/redact.js';
import { mappingEndsBy } from '../domain/mapping-end.js';

/** A mapping as the \`mappings\` table holds it, and the conversions both ways (store.ts). */

export interface MappingRow {
  source: string;
  calendar_id: string;
  event_id: string;
  ical_uid: string | null;
  organizer_email: string;
  user_id: string;
  marker: string;
  meeting_id: string | null;
  meeting_number: string | null;
  state: MappingState;
  topic: string;
  start_at: string;
  end_at: string;
  time_zone: string | null;
  recurrence: string | null;
  write_back: 'pending' | 'done';
  last_error: string | null;
  held: string | null;
  deleting_since: string | null;
  updating_since: string | null;
  ends_by: string | null;
  write_back_since: string | null;
  write_back_attempts: number;
  write_back_next_at: string | null;
  created_at: string;
  updated_at: string;
}

export function toMapping(r: MappingRow): Mapping {
  return {
    source: r.source,
    calendarId: r.calendar_id,
    eventId: r.event_id,
    ...(r.ical_uid ? { iCalUid: r.ical_uid } : {}),
    organizerEmail: r.organizer_email,
    userId: r.user_id,
    marker: r.marker,
    ...(r.meeting_id ? { meetingId: r.meeting_id } : {}),
    ...(r.meeting_number ? { meetingNumber: r.meeting_number } : {}),
    state: r.state,
    topic: r.topic,
    start: r.start_at,
    end: r.end_at,
    ...(r.time_zone ? { timeZone: r.time_zone } : {}),
    recurrence: r.recurrence ? (JSON.parse(r.recurrence) as Recurrence) : null,
    writeBack: r.write_back,
    ...(r.last_error ? { lastError: r.last_error } : {}),
    ...(r.held ? { held: r.held } : {}),
    ...(r.deleting_since ? { deletingSince: r.deleting_since } : {}),
    ...(r.updating_since ? { updatingSince: r.updating_since } : {}),
    ...(r.write_back_since ? { writeBackTries: { since: r.write_back_since, attempts: r.write_back_attempts, nextTryAt: r.write_back_next_at ?? r.write_back_since } } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** `ends_by` of a mapping whose meeting never ends (a series without end): after every real instant. */
const NEVER_ENDS = '9999-12-31T23:59:59.999Z';

export function endsByOf(m: Mapping): string {
  return mappingEndsBy(m)?.toISOString() ?? NEVER_ENDS;
}

export function mappingParams(m: Mapping) {
  return {
    source: m.source,
    calendar_id: m.calendarId,
    event_id: m.eventId,
    ical_uid: m.iCalUid ?? null,
    organizer_email: m.organizerEmail,
    user_id: m.userId,
    marker: m.marker,
    meeting_id: m.meetingId ?? null,
    meeting_number: m.meetingNumber ?? null,
    state: m.state,
    topic: m.topic,
    start_at: m.start,
    end_at: m.end,
    time_zone: m.timeZone ?? null,
    recurrence: m.recurrence ? JSON.stringify(m.recurrence) : null,
    write_back: m.writeBack,
    last_error: m.lastError === undefined ? null : scrub(m.lastError),
    held: m.held === undefined ? null : scrub(m.held),
    deleting_since: m.deletingSince ?? null,
    updating_since: m.updatingSince ?? null,
    ends_by: endsByOf(m),
    write_back_since: m.writeBackTries?.since ?? null,
    write_back_attempts: m.writeBackTries?.attempts ?? 0,
    write_back_next_at: m.writeBackTries?.nextTryAt ?? null,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}
