import type Database from 'better-sqlite3';
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
export function saveProfile(db: Database.Database, profile: PlatformProfile): void {
  const insert = db.prepare(
    `INSERT INTO platform_profile (assumption, result, detail, platform, organizer_email, probed_at)
     VALUES (@assumption, @result, @detail, @platform, @organizerEmail, @probedAt)`,
  );
  db.transaction(() => {
    db.prepare('DELETE FROM platform_profile').run();
    for (const e of profile.entries) {
      insert.run({ ...e, detail: scrub(e.detail), platform: profile.platform, organizerEmail: profile.organizerEmail.toLowerCase(), probedAt: profile.probedAt });
    }
  })();
}

/** The last probe's profile, or undefined when the platform was never probed. */
export function readProfile(db: Database.Database): PlatformProfile | undefined {
  const rows = db.prepare('SELECT * FROM platform_profile ORDER BY rowid').all() as Array<Record<string, string>>;
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
export function profileResult(db: Database.Database, assumption: string): { result: ProbeResult; probedAt: string } | undefined {
  const row = db.prepare('SELECT result, probed_at FROM platform_profile WHERE assumption = ?').get(assumption) as
    | { result: ProbeResult; probed_at: string }
    | undefined;
  return row ? { result: row.result, probedAt: row.probed_at } : undefined;
}

/** Recorded BEFORE the canary's POST is sent, so that a probe killed at any point leaves a trace. */
export function recordCanary(db: Database.Database, canary: Omit<Canary, 'meetingId'>): void {
  db.prepare(
    `INSERT INTO platform_probe_canaries (reference, organizer_email, user_id, topic, start_at, meeting_id, created_at)
     VALUES (@reference, @organizerEmail, @userId, @topic, @startAt, NULL, @createdAt)`,
  ).run({ ...canary, organizerEmail: canary.organizerEmail.toLowerCase() });
}

export function canaryCreated(db: Database.Database, reference: string, meetingId: string): void {
  db.prepare('UPDATE platform_probe_canaries SET meeting_id = ? WHERE reference = ?').run(meetingId, reference);
}

export function forgetCanary(db: Database.Database, reference: string): void {
  db.prepare('DELETE FROM platform_probe_canaries WHERE reference = ?').run(reference);
}

export function leftCanaries(db: Database.Database): Canary[] {
  const rows = db.prepare('SELECT * FROM platform_probe_canaries ORDER BY created_at').all() as Array<Record<string, string | null>>;
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
