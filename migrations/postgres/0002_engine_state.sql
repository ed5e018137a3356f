-- PostgreSQL form of the SQLite migration 0002_engine_state.sql (meetsync schema, version 2). Append-only.

CREATE TABLE engine_state (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

ALTER TABLE mappings ADD COLUMN held TEXT;

ALTER TABLE mappings ADD COLUMN deleting_since TEXT;

-- Notes about attendees' copies were no problem to act on, and were never cleared.
DELETE FROM event_notes WHERE kind = 'skipped' AND reason LIKE 'attendee''s copy%';
