import type Database from 'better-sqlite3';
import { DatabaseError } from '../domain/errors.js';
import {
  keyOf,
  type CalendarState,
  type EventKey,
  type EventNote,
  type Mapping,
  type MappingState,
  type Organizer,
} from '../domain/mapping.js';
import { asKeptMapping, type KeptMeeting } from '../domain/kept-meeting.js';
import { JOURNAL_DEFAULTS, repeatsEntry, type JournalEntry, type JournalLimits } from '../domain/journal.js';
import { scrub } from '../domain/redact.js';
import { openDatabase } from './db.js';
import type { Sql } from './sql.js';
import { SqliteSql } from './sqlite-sql.js';
import { endsByOf, mappingParams, toMapping, type MappingRow } from './mapping-rows.js';

const KEY = 'source = @source AND calendar_id = @calendarId AND event_id = @eventId';

/**
 * Every read and write of meetsync's database. Each method is one statement or one transaction,
 * so a crash leaves either the old or the new row, never half of one. Text that could carry an
 * error from a provider is scrubbed of secrets before it is stored.
 */
/** Calendar states per INSERT in saveCalendarStates: 8 parameters each, well under both databases' limits. */
const STATES_PER_INSERT = 500;

export class Store {
  /**
   * Called before every write for a calendar (its records, notes and state): with replicas on one
   * database, the calendar's lease check (leases.ts), which throws when this replica lost it.
   */
  fence: ((source: string, calendarId: string) => void) | undefined;

  /** How much of the event journal is kept (config `journal`). */
  journalLimits: JournalLimits = JOURNAL_DEFAULTS;

  constructor(readonly sql: Sql) {}

  /** The SQLite database under an SQLite store (its backups, tests); undefined on PostgreSQL. */
  get db(): Database.Database {
    if (!(this.sql instanceof SqliteSql)) throw new DatabaseError(`the database ${this.sql.target} is PostgreSQL; this needs an SQLite database`);
    return this.sql.db;
  }

  /** The database file, or undefined for an in-memory or a PostgreSQL database. */
  get file(): string | undefined {
    return this.sql instanceof SqliteSql && this.sql.target !== ':memory:' ? this.sql.target : undefined;
  }

  /** A file path (SQLite, created if missing) or a postgres:// URL; the schema brought up to date. */
  static open(target: string): Store {
    return new Store(openDatabase(target));
  }

  close(): void {
    this.sql.close();
  }

  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn);
  }

  // --- organizers -------------------------------------------------------------------------

  upsertOrganizer(o: Organizer): void {
    this.sql.run(
        `INSERT INTO organizers (email, account_id, user_id, first_name, last_name, timezone, has_feed, refreshed_at)
         VALUES (@email, @accountId, @userId, @firstName, @lastName, @timezone, @hasFeed, @refreshedAt)
         ON CONFLICT (email) DO UPDATE SET account_id = excluded.account_id, user_id = excluded.user_id,
           first_name = excluded.first_name, last_name = excluded.last_name, timezone = excluded.timezone,
           has_feed = excluded.has_feed, refreshed_at = excluded.refreshed_at`,
      { ...o, email: o.email.toLowerCase(), timezone: o.timezone ?? null, hasFeed: o.hasFeed ? 1 : 0 });
  }

  organizer(email: string): Organizer | undefined {
    const row = this.sql.get('SELECT * FROM organizers WHERE email = ?', [email.toLowerCase()]) as
      | Record<string, string | number | null>
      | undefined;
    return row ? toOrganizer(row) : undefined;
  }

  organizers(): Organizer[] {
    return (this.sql.all('SELECT * FROM organizers ORDER BY email') as Array<Record<string, string | number | null>>).map(
      toOrganizer,
    );
  }

  // --- mappings ---------------------------------------------------------------------------

  mapping(key: EventKey): Mapping | undefined {
    const row = this.sql.get(`SELECT * FROM mappings WHERE ${KEY}`, key) as MappingRow | undefined;
    return row ? toMapping(row) : undefined;
  }

  /** Every mapping that names this meeting (a copied event's stamp can name another event's meeting). */
  mappingsByMeeting(meetingId: string): Mapping[] {
    return (this.sql.all('SELECT * FROM mappings WHERE meeting_id = ?', [meetingId]) as MappingRow[]).map(toMapping);
  }

  /** Mappings by calendar, state, or a write-back still to do ('pending': through an index, not a scan). */
  mappings(filter: { source?: string; calendarId?: string; state?: MappingState; writeBack?: 'pending' } = {}): Mapping[] {
    const where: string[] = [];
    if (filter.source !== undefined) where.push('source = @source');
    if (filter.calendarId !== undefined) where.push('calendar_id = @calendarId');
    if (filter.state !== undefined) where.push('state = @state');
    if (filter.writeBack !== undefined) where.push("write_back = 'pending'");
    const { writeBack: _w, ...params } = filter;
    const sql = `SELECT * FROM mappings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY source, calendar_id, start_at, event_id`;
    return (this.sql.all(sql, params) as MappingRow[]).map(toMapping);
  }

  /** The mappings of these events (those that have one), each found by its key: as many lookups as keys. */
  mappingsOf(keys: readonly EventKey[]): Mapping[] {
    if (keys.length === 0) return [];
    const found = new Map<string, Mapping>();
    for (const key of keys) {
      const row = this.sql.get<MappingRow>(`SELECT * FROM mappings WHERE ${KEY}`, { source: key.source, calendarId: key.calendarId, eventId: key.eventId });
      if (!row) continue;
      const m = toMapping(row);
      found.set(keyOf(m), m);
    }
    return [...found.values()];
  }

  /** How many mappings of one calendar are in `state`. */
  countMappings(filter: { source: string; calendarId: string; state: MappingState }): number {
    return Number(this.sql.value('SELECT COUNT(*) FROM mappings WHERE source = @source AND calendar_id = @calendarId AND state = @state', filter));
  }

  /** Inserts or replaces the whole mapping row. */
  saveMapping(m: Mapping): void {
    this.fence?.(m.source, m.calendarId);
    this.sql.run(
        `INSERT INTO mappings (source, calendar_id, event_id, ical_uid, organizer_email, user_id, marker, meeting_id,
           meeting_number, state, topic, start_at, end_at, time_zone, recurrence, write_back, last_error, held, deleting_since, updating_since, ends_by,
           write_back_since, write_back_attempts, write_back_next_at, created_at, updated_at)
         VALUES (@source, @calendar_id, @event_id, @ical_uid, @organizer_email, @user_id, @marker, @meeting_id,
           @meeting_number, @state, @topic, @start_at, @end_at, @time_zone, @recurrence, @write_back, @last_error, @held, @deleting_since, @updating_since, @ends_by,
           @write_back_since, @write_back_attempts, @write_back_next_at, @created_at, @updated_at)
         ON CONFLICT (source, calendar_id, event_id) DO UPDATE SET ical_uid = excluded.ical_uid,
           organizer_email = excluded.organizer_email, user_id = excluded.user_id, marker = excluded.marker,
           meeting_id = excluded.meeting_id, meeting_number = excluded.meeting_number, state = excluded.state,
           topic = excluded.topic, start_at = excluded.start_at, end_at = excluded.end_at, time_zone = excluded.time_zone,
           recurrence = excluded.recurrence, write_back = excluded.write_back, last_error = excluded.last_error,
           held = excluded.held, deleting_since = excluded.deleting_since, updating_since = excluded.updating_since, ends_by = excluded.ends_by,
           write_back_since = excluded.write_back_since, write_back_attempts = excluded.write_back_attempts, write_back_next_at = excluded.write_back_next_at,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
      mappingParams(m));
  }

  deleteMapping(key: EventKey): void {
    this.fence?.(key.source, key.calendarId);
    this.sql.run(`DELETE FROM mappings WHERE ${KEY}`, key);
  }

  // --- kept meetings ----------------------------------------------------------------------

  /**
   * Remembers a meeting kept for its organizer (onEventCancelled: keep), by its meeting id: the
   * record outlives the event's mapping, which the event tagged again gives to its new meeting.
   */
  saveKeptMeeting(k: KeptMeeting): void {
    this.fence?.(k.source, k.calendarId);
    this.sql.run(
      `INSERT INTO kept_meetings (meeting_id, meeting_number, source, calendar_id, event_id, organizer_email, user_id, marker,
         topic, start_at, end_at, time_zone, recurrence, ends_by, kept_at)
       VALUES (@meetingId, @meetingNumber, @source, @calendarId, @eventId, @organizerEmail, @userId, @marker,
         @topic, @start, @end, @timeZone, @recurrence, @endsBy, @keptAt)
       ON CONFLICT (meeting_id) DO NOTHING`,
    {
      ...k,
      meetingNumber: k.meetingNumber ?? null,
      timeZone: k.timeZone ?? null,
      recurrence: k.recurrence ? JSON.stringify(k.recurrence) : null,
      endsBy: endsByOf(asKeptMapping(k)),
    });
  }

  /** Whether `meetingId` is a meeting kept for its organizer: meetsync's, and never touched again. */
  isKeptMeeting(meetingId: string): boolean {
    return this.sql.get('SELECT 1 FROM kept_meetings WHERE meeting_id = ?', [meetingId]) !== undefined;
  }

  keptMeetings(): KeptMeeting[] {
    return (this.sql.all('SELECT * FROM kept_meetings ORDER BY source, calendar_id, start_at, meeting_id') as KeptRow[]).map(toKeptMeeting);
  }

  // --- event notes ------------------------------------------------------------------------

  saveNote(n: EventNote): void {
    this.fence?.(n.source, n.calendarId);
    this.sql.run(
        `INSERT INTO event_notes (source, calendar_id, event_id, kind, reason, title, start_at, series_id, awaiting_organizer, retry, since, attempts, next_try_at, updated_at)
         VALUES (@source, @calendarId, @eventId, @kind, @reason, @title, @start, @seriesId, @awaitingOrganizer, @retry, @since, @attempts, @nextTryAt, @updatedAt)
         ON CONFLICT (source, calendar_id, event_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason,
           title = excluded.title, start_at = excluded.start_at, series_id = excluded.series_id,
           awaiting_organizer = excluded.awaiting_organizer, retry = excluded.retry, since = excluded.since,
           attempts = excluded.attempts, next_try_at = excluded.next_try_at, updated_at = excluded.updated_at`,
      {
        source: n.source,
        calendarId: n.calendarId,
        eventId: n.eventId,
        kind: n.kind,
        reason: scrub(n.reason),
        title: n.title,
        start: n.start ?? null,
        seriesId: n.seriesId ?? null,
        awaitingOrganizer: n.awaitingOrganizer ?? null,
        retry: n.retry ? 1 : 0,
        since: n.tries?.since ?? null,
        attempts: n.tries?.attempts ?? 0,
        nextTryAt: n.tries?.nextTryAt ?? null,
        updatedAt: n.updatedAt,
      });
  }

  clearNote(key: EventKey): void {
    this.fence?.(key.source, key.calendarId);
    this.sql.run(`DELETE FROM event_notes WHERE ${KEY}`, key);
  }

  /** Notes about single occurrences of a series (kind 'exception'), e.g. once the series is gone. */
  clearOccurrenceNotes(series: EventKey): void {
    this.fence?.(series.source, series.calendarId);
    this.sql.run("DELETE FROM event_notes WHERE source = @source AND calendar_id = @calendarId AND series_id = @eventId AND kind = 'exception'", series);
  }

  // --- event journal ----------------------------------------------------------------------

  /**
   * Adds entries to their events' journals (domain/journal.ts), in one transaction: the caller's,
   * when it writes the record the entries explain. An entry that repeats the event's last one
   * counts it up instead; a call's answer settles the same call written 'sent' just before it.
   * Each event keeps its newest `journalLimits.perEvent` entries. Details are scrubbed of secrets.
   */
  journal(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    this.transaction(() => {
      for (const e of entries) {
        this.fence?.(e.source, e.calendarId);
        const key = { source: e.source, calendarId: e.calendarId, eventId: e.eventId };
        const lastRow = this.sql.get<JournalRow>(`SELECT * FROM event_journal WHERE ${KEY} ORDER BY id DESC LIMIT 1`, key);
        const last = lastRow ? toJournalEntry(lastRow) : undefined;
        const fields = journalParams(e);
        if (lastRow && last?.kind === 'call' && last.outcome === 'sent' && e.kind === 'call' && e.outcome !== 'sent' && last.what === e.what) {
          // The answer to the call written before it was sent: that entry, settled, keeps the time it was sent.
          this.sql.run(
            `UPDATE event_journal SET outcome = @outcome, detail = @detail, meeting_id = COALESCE(@meetingId, meeting_id),
               meeting_number = COALESCE(@meetingNumber, meeting_number), last_at = @at WHERE id = @id`,
            { ...fields, id: lastRow.id },
          );
          continue;
        }
        if (lastRow && repeatsEntry(last, e)) {
          this.sql.run('UPDATE event_journal SET repeats = repeats + 1, last_at = @at WHERE id = @id', { at: e.at, id: lastRow.id });
          continue;
        }
        this.sql.run(
          `INSERT INTO event_journal (source, calendar_id, event_id, at, kind, what, outcome, detail, title, start_at, end_at, organizer, tag, meeting_id, meeting_number)
           VALUES (@source, @calendarId, @eventId, @at, @kind, @what, @outcome, @detail, @title, @start, @end, @organizer, @tag, @meetingId, @meetingNumber)`,
          fields,
        );
        // The newest entries stay: whatever lies beyond the limit goes, through the event's index.
        this.sql.run(
          `DELETE FROM event_journal WHERE ${KEY} AND id <= (SELECT id FROM event_journal WHERE ${KEY} ORDER BY id DESC LIMIT 1 OFFSET @keep)`,
          { ...key, keep: this.journalLimits.perEvent },
        );
      }
    });
  }

  /** One event's journal, oldest first. */
  journalOf(key: EventKey): JournalEntry[] {
    return this.sql.all<JournalRow>(`SELECT * FROM event_journal WHERE ${KEY} ORDER BY id`, { source: key.source, calendarId: key.calendarId, eventId: key.eventId }).map(toJournalEntry);
  }

  /** Forgets journal entries older than `journalLimits.maxAgeDays` before `now`; returns how many. */
  pruneJournal(now: Date): number {
    const cutoff = new Date(now.getTime() - this.journalLimits.maxAgeDays * 86_400_000).toISOString();
    return this.sql.run('DELETE FROM event_journal WHERE at < ?', [cutoff]);
  }

  /** How many journal entries there are, and the most any one event has (the fault campaign's measure). */
  journalSize(): { entries: number; events: number; mostForOneEvent: number } {
    const row = this.sql.get<{ entries: number | string; events: number | string; most: number | string | null }>(
      `SELECT (SELECT COUNT(*) FROM event_journal) AS entries,
         (SELECT COUNT(*) FROM (SELECT 1 FROM event_journal GROUP BY source, calendar_id, event_id) AS e) AS events,
         (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM event_journal GROUP BY source, calendar_id, event_id) AS c) AS most`,
    );
    return { entries: Number(row?.entries ?? 0), events: Number(row?.events ?? 0), mostForOneEvent: Number(row?.most ?? 0) };
  }

  /**
   * The events a meeting number or meeting id names: in the records, the kept meetings and the
   * journal (an event whose meeting was deleted since is still found by its old number).
   */
  eventsByMeeting(meeting: string): EventKey[] {
    return distinctKeys(this.sql.all<KeyRow>(
      `SELECT source, calendar_id, event_id FROM mappings WHERE meeting_number = @m OR meeting_id = @m
       UNION SELECT source, calendar_id, event_id FROM kept_meetings WHERE meeting_number = @m OR meeting_id = @m
       UNION SELECT source, calendar_id, event_id FROM event_journal WHERE meeting_number = @m OR meeting_id = @m`,
      { m: meeting },
    ));
  }

  /** The events with this id, in any calendar. */
  eventsById(eventId: string): EventKey[] {
    return distinctKeys(this.sql.all<KeyRow>(
      `SELECT source, calendar_id, event_id FROM mappings WHERE event_id = @e
       UNION SELECT source, calendar_id, event_id FROM event_notes WHERE event_id = @e
       UNION SELECT source, calendar_id, event_id FROM event_journal WHERE event_id = @e`,
      { e: eventId },
    ));
  }

  /** The events whose title or meeting topic holds every one of `words` (any case), up to `limit`. */
  eventsByTitle(words: readonly string[], limit: number): EventKey[] {
    if (words.length === 0) return [];
    const params: Record<string, string> = {};
    const holds = (column: string) => words.map((w, i) => {
      params[`w${i}`] = `%${w.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return `lower(${column}) LIKE @w${i} ESCAPE '\\'`;
    }).join(' AND ');
    return distinctKeys(this.sql.all<KeyRow>(
      `SELECT source, calendar_id, event_id FROM mappings WHERE ${holds('topic')}
       UNION SELECT source, calendar_id, event_id FROM event_notes WHERE ${holds('title')}
       UNION SELECT source, calendar_id, event_id FROM event_journal WHERE kind = 'read' AND ${holds('title')}
       ORDER BY source, calendar_id, event_id LIMIT ${Math.max(1, Math.floor(limit))}`,
      params,
    ));
  }

  // --- retirement -------------------------------------------------------------------------

  /**
   * Forgets mappings of events that ended before `cutoff` (the start of the sync window) and
   * notes about them: nothing is synced for them any more, and a full re-read must not confirm
   * each one with the provider. A mapping is over by its `ends_by` (domain/mapping-end.ts: the end
   * of a single meeting, or of a series' last occurrence; never for a series without end), read
   * through an index: only the mappings due are read. Mappings still 'creating' are never
   * retired. Records of kept meetings over by then go too. Returns how many mappings.
   */
  retire(cutoff: Date): number {
    const iso = cutoff.toISOString();
    // Rows written before migration 0003 have no ends_by yet: computed once, here.
    const unknown = (this.sql.all('SELECT * FROM mappings WHERE ends_by IS NULL') as MappingRow[]).map(toMapping);
    if (unknown.length > 0) {
      this.transaction(() =>
        unknown.forEach((m) => this.sql.run(`UPDATE mappings SET ends_by = @endsBy WHERE ${KEY}`, { source: m.source, calendarId: m.calendarId, eventId: m.eventId, endsBy: endsByOf(m) })),
      );
    }
    const candidates = (this.sql.all("SELECT * FROM mappings WHERE ends_by < ? AND state <> 'creating'", [iso]) as MappingRow[]).map(toMapping);
    // Kept meetings are over like their mappings were; rows backfilled by migration 0007 from
    // mappings written before 0003 have no ends_by yet: computed once, here.
    const keptUnknown = (this.sql.all('SELECT * FROM kept_meetings WHERE ends_by IS NULL') as KeptRow[]).map(toKeptMeeting);
    if (keptUnknown.length > 0) {
      this.transaction(() => keptUnknown.forEach((k) => this.sql.run('UPDATE kept_meetings SET ends_by = ? WHERE meeting_id = ?', [endsByOf(asKeptMapping(k)), k.meetingId])));
    }
    this.transaction(() => {
      for (const m of candidates) {
        const key = { source: m.source, calendarId: m.calendarId, eventId: m.eventId };
        this.sql.run(`DELETE FROM mappings WHERE ${KEY}`, key);
        this.sql.run(`DELETE FROM event_notes WHERE (${KEY}) OR (source = @source AND calendar_id = @calendarId AND series_id = @eventId)`, key);
      }
      this.sql.run('DELETE FROM kept_meetings WHERE ends_by < ?', [iso]);
      // Notes of events that are over and hold no meeting (skipped, occurrences) go too.
      this.sql.run(
          `DELETE FROM event_notes WHERE start_at < ? AND NOT EXISTS (SELECT 1 FROM mappings m
             WHERE m.source = event_notes.source AND m.calendar_id = event_notes.calendar_id
               AND m.event_id = COALESCE(event_notes.series_id, event_notes.event_id))`,
        [iso]);
    });
    return candidates.length;
  }

  // --- engine state -----------------------------------------------------------------------

  engineState(name: string): string | undefined {
    const v = this.sql.value('SELECT value FROM engine_state WHERE name = ?', [name]);
    return v === undefined || v === null ? undefined : String(v);
  }

  setEngineState(name: string, value: string): void {
    this.sql.run('INSERT INTO engine_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  clearEngineState(name: string): void {
    this.sql.run('DELETE FROM engine_state WHERE name = ?', [name]);
  }

  /** The names of the engine states that begin with `prefix`, in order. */
  engineStatesNamed(prefix: string): string[] {
    return this.sql.all<{ name: string }>('SELECT name FROM engine_state WHERE substr(name, 1, ?) = ? ORDER BY name', [prefix.length, prefix]).map((r) => r.name);
  }

  note(key: EventKey): EventNote | undefined {
    return this.notes(key)[0];
  }

  notes(filter: { source?: string; calendarId?: string; eventId?: string } = {}): EventNote[] {
    const where: string[] = [];
    if (filter.source !== undefined) where.push('source = @source');
    if (filter.calendarId !== undefined) where.push('calendar_id = @calendarId');
    if (filter.eventId !== undefined) where.push('event_id = @eventId');
    return this.readNotes(where.length ? `WHERE ${where.join(' AND ')}` : '', filter);
  }

  private readNotes(where: string, params: Record<string, string>): EventNote[] {
    const rows = this.sql.all(`SELECT * FROM event_notes ${where} ORDER BY source, calendar_id, start_at`, params) as Array<Record<string, string | null> & { retry: number; attempts: number }>;
    return rows.map((r) => ({
      source: r.source!,
      calendarId: r.calendar_id!,
      eventId: r.event_id!,
      kind: r.kind as EventNote['kind'],
      reason: r.reason!,
      title: r.title ?? '',
      ...(r.start_at ? { start: r.start_at } : {}),
      ...(r.series_id ? { seriesId: r.series_id } : {}),
      ...(r.awaiting_organizer ? { awaitingOrganizer: r.awaiting_organizer } : {}),
      ...(r.retry === 1 ? { retry: true } : {}),
      ...(r.since ? { tries: { since: r.since, attempts: Number(r.attempts), nextTryAt: r.next_try_at ?? r.since } } : {}),
      updatedAt: r.updated_at!,
    }));
  }

  /** Notes looked at again every cycle: events waiting for an organizer, and transient failures (through an index). */
  notesToRecheck(): EventNote[] {
    return this.readNotes('WHERE awaiting_organizer IS NOT NULL OR retry = 1', {});
  }

  // --- calendar state ---------------------------------------------------------------------

  calendarState(source: string, calendarId: string): CalendarState {
    const r = this.sql.get('SELECT * FROM calendar_state WHERE source = ? AND calendar_id = ?', [source, calendarId]) as
      | Record<string, string | number | null>
      | undefined;
    return r ? toCalendarState(r) : { source, calendarId, consecutiveFailures: 0 };
  }

  calendarStates(): CalendarState[] {
    return (this.sql.all('SELECT * FROM calendar_state ORDER BY source, calendar_id') as Array<
      Record<string, string | number | null>
    >).map(toCalendarState);
  }

  /** Saves several calendars' states in one transaction (one commit to disk, not one each). */
  /**
   * Many calendars' states in one transaction, STATES_PER_INSERT to a statement (a quiet cycle
   * saves one per calendar it served: on PostgreSQL one round trip each made it the cycle's largest
   * database cost). The latest state of a calendar named twice wins, as one by one.
   */
  saveCalendarStates(states: readonly CalendarState[]): void {
    if (states.length === 0) return;
    const latest = [...new Map(states.map((s) => [`${s.source}\u0000${s.calendarId}`, s])).values()];
    this.transaction(() => {
      for (const s of latest) this.fence?.(s.source, s.calendarId);
      for (let at = 0; at < latest.length; at += STATES_PER_INSERT) {
        const chunk = latest.slice(at, at + STATES_PER_INSERT);
        this.sql.run(
          `INSERT INTO calendar_state (source, calendar_id, cursor, last_attempt_at, last_success_at, last_error, last_error_at, consecutive_failures)
           VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
           ON CONFLICT (source, calendar_id) DO UPDATE SET cursor = excluded.cursor, last_attempt_at = excluded.last_attempt_at,
             last_success_at = excluded.last_success_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at,
             consecutive_failures = excluded.consecutive_failures`,
          chunk.flatMap((s) => [s.source, s.calendarId, s.cursor ?? null, s.lastAttemptAt ?? null, s.lastSuccessAt ?? null, s.lastError === undefined ? null : scrub(s.lastError), s.lastErrorAt ?? null, s.consecutiveFailures]),
        );
      }
    });
  }

  saveCalendarState(s: CalendarState): void {
    this.fence?.(s.source, s.calendarId);
    this.sql.run(
        `INSERT INTO calendar_state (source, calendar_id, cursor, last_attempt_at, last_success_at, last_error, last_error_at, consecutive_failures)
         VALUES (@source, @calendarId, @cursor, @lastAttemptAt, @lastSuccessAt, @lastError, @lastErrorAt, @consecutiveFailures)
         ON CONFLICT (source, calendar_id) DO UPDATE SET cursor = excluded.cursor, last_attempt_at = excluded.last_attempt_at,
           last_success_at = excluded.last_success_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at,
           consecutive_failures = excluded.consecutive_failures`,
      {
        source: s.source,
        calendarId: s.calendarId,
        cursor: s.cursor ?? null,
        lastAttemptAt: s.lastAttemptAt ?? null,
        lastSuccessAt: s.lastSuccessAt ?? null,
        lastError: s.lastError === undefined ? null : scrub(s.lastError),
        lastErrorAt: s.lastErrorAt ?? null,
        consecutiveFailures: s.consecutiveFailures,
      });
  }

  // --- run log ----------------------------------------------------------------------------

  startRun(kind: string, at: Date): number {
    return Number(this.sql.value('INSERT INTO runs (kind, started_at) VALUES (?, ?) RETURNING id', [kind, at.toISOString()]));
  }

  finishRun(id: number, at: Date, ok: boolean, summary: unknown, error?: string): void {
    this.sql.run('UPDATE runs SET finished_at = ?, ok = ?, summary = ?, error = ? WHERE id = ?', [at.toISOString(), ok ? 1 : 0, JSON.stringify(summary), error === undefined ? null : scrub(error), id]);
  }

  lastRuns(limit = 10): Array<{ id: number; kind: string; startedAt: string; finishedAt?: string; ok?: boolean; summary?: unknown; error?: string }> {
    const rows = this.sql.all('SELECT * FROM runs ORDER BY id DESC LIMIT ?', [limit]) as Array<Record<string, string | number | null>>;
    return rows.map((r) => ({
      id: Number(r.id),
      kind: String(r.kind),
      startedAt: String(r.started_at),
      ...(r.finished_at ? { finishedAt: String(r.finished_at) } : {}),
      ...(r.ok !== null ? { ok: r.ok === 1 } : {}),
      ...(r.summary ? { summary: JSON.parse(String(r.summary)) as unknown } : {}),
      ...(r.error ? { error: String(r.error) } : {}),
    }));
  }
}

interface JournalRow {
  id: number | string;
  source: string;
  calendar_id: string;
  event_id: string;
  at: string;
  kind: string;
  what: string;
  outcome: string;
  detail: string | null;
  title: string | null;
  start_at: string | null;
  end_at: string | null;
  organizer: string | null;
  tag: string | null;
  meeting_id: string | null;
  meeting_number: string | null;
  repeats: number | string;
  last_at: string | null;
}

function journalParams(e: JournalEntry) {
  return {
    source: e.source, calendarId: e.calendarId, eventId: e.eventId, at: e.at, kind: e.kind, what: e.what, outcome: e.outcome,
    detail: e.detail === undefined ? null : scrub(e.detail), title: e.title ?? null, start: e.start ?? null, end: e.end ?? null,
    organizer: e.organizer ?? null, tag: e.tag ?? null, meetingId: e.meetingId ?? null, meetingNumber: e.meetingNumber ?? null,
  };
}

function toJournalEntry(r: JournalRow): JournalEntry {
  const opt = <K extends string>(k: K, v: string | null) => (v === null ? {} : ({ [k]: v } as Record<K, string>));
  const repeats = Number(r.repeats);
  return {
    source: r.source, calendarId: r.calendar_id, eventId: r.event_id, at: r.at, kind: r.kind as JournalEntry['kind'], what: r.what, outcome: r.outcome,
    ...opt('detail', r.detail), ...opt('title', r.title), ...opt('start', r.start_at), ...opt('end', r.end_at), ...opt('organizer', r.organizer),
    ...opt('tag', r.tag), ...opt('meetingId', r.meeting_id), ...opt('meetingNumber', r.meeting_number),
    ...(repeats > 1 ? { repeats } : {}), ...opt('lastAt', r.last_at),
  };
}

interface KeyRow {
  source: string;
  calendar_id: string;
  event_id: string;
}

function distinctKeys(rows: readonly KeyRow[]): EventKey[] {
  const seen = new Map<string, EventKey>();
  for (const r of rows) seen.set(`${r.source}\u0000${r.calendar_id}\u0000${r.event_id}`, { source: r.source, calendarId: r.calendar_id, eventId: r.event_id });
  return [...seen.values()];
}

interface KeptRow {
  meeting_id: string;
  meeting_number: string | null;
  source: string;
  calendar_id: string;
  event_id: string;
  organizer_email: string;
  user_id: string;
  marker: string;
  topic: string;
  start_at: string;
  end_at: string;
  time_zone: string | null;
  recurrence: string | null;
  kept_at: string;
}

function toKeptMeeting(r: KeptRow): KeptMeeting {
  return {
    meetingId: r.meeting_id,
    ...(r.meeting_number ? { meetingNumber: r.meeting_number } : {}),
    source: r.source,
    calendarId: r.calendar_id,
    eventId: r.event_id,
    organizerEmail: r.organizer_email,
    userId: r.user_id,
    marker: r.marker,
    topic: r.topic,
    start: r.start_at,
    end: r.end_at,
    ...(r.time_zone ? { timeZone: r.time_zone } : {}),
    recurrence: r.recurrence ? (JSON.parse(r.recurrence) as KeptMeeting['recurrence']) : null,
    keptAt: r.kept_at,
  };
}

function toOrganizer(r: Record<string, string | number | null>): Organizer {
  return {
    email: String(r.email),
    accountId: String(r.account_id),
    userId: String(r.user_id),
    firstName: String(r.first_name ?? ''),
    lastName: String(r.last_name ?? ''),
    ...(r.timezone ? { timezone: String(r.timezone) } : {}),
    hasFeed: r.has_feed === 1,
    refreshedAt: String(r.refreshed_at),
  };
}

function toCalendarState(r: Record<string, string | number | null>): CalendarState {
  const opt = (v: string | number | null | undefined) => (v === null || v === undefined ? undefined : String(v));
  const s: CalendarState = { source: String(r.source), calendarId: String(r.calendar_id), consecutiveFailures: Number(r.consecutive_failures ?? 0) };
  const cursor = opt(r.cursor);
  if (cursor !== undefined) s.cursor = cursor;
  const a = opt(r.last_attempt_at);
  if (a !== undefined) s.lastAttemptAt = a;
  const ok = opt(r.last_success_at);
  if (ok !== undefined) s.lastSuccessAt = ok;
  const e = opt(r.last_error);
  if (e !== undefined) s.lastError = e;
  const ea = opt(r.last_error_at);
  if (ea !== undefined) s.lastErrorAt = ea;
  return s;
}
