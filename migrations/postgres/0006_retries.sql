-- PostgreSQL form of the SQLite migration 0006_retries.sql (meetsync schema, version 6). Append-only.

-- Attempt counts: INTEGER (int4), bounded far below 2^31 by the retry schedule.
ALTER TABLE event_notes ADD COLUMN since TEXT;
ALTER TABLE event_notes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_notes ADD COLUMN next_try_at TEXT;
ALTER TABLE mappings ADD COLUMN write_back_since TEXT;
ALTER TABLE mappings ADD COLUMN write_back_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mappings ADD COLUMN write_back_next_at TEXT;
