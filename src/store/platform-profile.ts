import type { Sql } from './sql.js';
import { scrub } from '../domain/redact.js';

/**
 * The platform profile: what `meetsync doctor --probe-platform` learned of the Web Meeting
 * platform, one row per assumption (migrations/0008_platform_profile.sql), and the probe's canary
 * meetings until they are deleted. Every text is scrubbed of secrets before it is stored.
 */

export type ProbeResult = 'confirmed' | 'contradicted' | 'unknown';

export interface ProfileEntry {
  /** A key of doctor/probe-report.ts ASSUMPTIONS, e.g. `feed-carries-agenda`. */
  assumption: string;
  result: ProbeResult;
  detail: string;
}

export interface PlatformProfile {
  /** The origin of webMeeting.baseUrl when it was probed. */
  platform: string;
  organizerEmail: string;
  probedAt: string;
  entries: ProfileEntry[];
}

export interface Canary {
  reference: string;
  organizerEmail: string;
  userId: string;
  topic: string;
  startAt: string;
  /** Known once the POST answered with an id. */
  meetingId?: string;
  createdAt: string;
}

/** Replaces the profile as a whole: a probe's results belong together. */
export function saveProfile(sql: Sql, profile: PlatformProfile): void {
  sql.transaction(() => {
    sql.run('DELETE FROM platform_profile');
    for (const e of profile.entries) {
      sql.run(
        `INSERT INTO platform_profile (assumption, result, detail, platform, organizer_email, probed_at)
         VALUES (@assumption, @result, @detail, @platform, @organizerEmail, @probedAt)`,
        { ...e, detail: scrub(e.detail), platform: profile.platform, organizerEmail: profile.organizerEmail.toLowerCase(), probedAt: profile.probedAt },
      );
    }
  });
}

/** The last probe's profile, or undefined when the platform was never probed. */
export function readProfile(sql: Sql): PlatformProfile | undefined {
  // In the order the probe wrote them: SQLite's rowid; PostgreSQL's physical order (ctid), which
  // for a table rewritten whole in one transaction is the order of its inserts.
  const rows = sql.all<Record<string, string>>(`SELECT * FROM platform_profile ORDER BY ${sql.dialect === 'sqlite' ? 'rowid' : 'ctid'}`);
  const first = rows[0];
  if (!first) return undefined;
  return {
    platform: first.platform!,
    organizerEmail: first.organizer_email!,
    probedAt: first.probed_at!,
    entries: rows.map((r) => ({ assumption: r.assumption!, result: r.result as ProbeResult, detail: r.detail! })),
  };
}

/** The result the last probe found for `assumption`, or undefined (never probed, or not that one). */
export function profileResult(sql: Sql, assumption: string): { result: ProbeResult; probedAt: string } | undefined {
  const row = sql.get<{ result: ProbeResult; probed_at: string }>('SELECT result, probed_at FROM platform_profile WHERE assumption = ?', [assumption]);
  return row ? { result: row.result, probedAt: row.probed_at } : undefined;
}

/** Recorded BEFORE the canary's POST is sent, so that a probe killed at any point leaves a trace. */
export function recordCanary(sql: Sql, canary: Omit<Canary, 'meetingId'>): void {
  sql.run(
    `INSERT INTO platform_probe_canaries (reference, organizer_email, user_id, topic, start_at, meeting_id, created_at)
     VALUES (@reference, @organizerEmail, @userId, @topic, @startAt, NULL, @createdAt)`,
    { ...canary, organizerEmail: canary.organizerEmail.toLowerCase() },
  );
}

export function canaryCreated(sql: Sql, reference: string, meetingId: string): void {
  sql.run('UPDATE platform_probe_canaries SET meeting_id = ? WHERE reference = ?', [meetingId, reference]);
}

export function forgetCanary(sql: Sql, reference: string): void {
  sql.run('DELETE FROM platform_probe_canaries WHERE reference = ?', [reference]);
}

export function leftCanaries(sql: Sql): Canary[] {
  const rows = sql.all<Record<string, string | null>>('SELECT * FROM platform_probe_canaries ORDER BY created_at');
  return rows.map((r) => ({
    reference: r.reference!,
    organizerEmail: r.organizer_email!,
    userId: r.user_id!,
    topic: r.topic!,
    startAt: r.start_at!,
    ...(r.meeting_id ? { meetingId: r.meeting_id } : {}),
    createdAt: r.created_at!,
  }));
}
