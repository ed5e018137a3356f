-- PostgreSQL form of the SQLite migration 0007_kept_meetings.sql (meetsync schema, version 7). Append-only.

CREATE TABLE kept_meetings (
  meeting_id      TEXT PRIMARY KEY,
  meeting_number  TEXT,
  source          TEXT NOT NULL,
  calendar_id     TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  marker          TEXT NOT NULL,
  topic           TEXT NOT NULL,
  start_at        TEXT NOT NULL,
  end_at          TEXT NOT NULL,
  time_zone       TEXT,
  recurrence      TEXT,
  ends_by         TEXT,
  kept_at         TEXT NOT NULL
);
CREATE INDEX kept_meetings_by_calendar ON kept_meetings (source, calendar_id);
CREATE INDEX kept_meetings_by_ends_by ON kept_meetings (ends_by);

-- Meetings kept before this version whose mapping still says so.
INSERT INTO kept_meetings (meeting_id, meeting_number, source, calendar_id, event_id, organizer_email, user_id, marker,
  topic, start_at, end_at, time_zone, recurrence, ends_by, kept_at)
SELECT meeting_id, meeting_number, source, calendar_id, event_id, organizer_email, user_id, marker,
  topic, start_at, end_at, time_zone, recurrence, ends_by, updated_at
FROM mappings WHERE state = 'kept' AND meeting_id IS NOT NULL;
