-- PostgreSQL form of the SQLite migration 0003_cycle_reads.sql (meetsync schema, version 3). Append-only.

ALTER TABLE mappings ADD COLUMN ends_by TEXT;
CREATE INDEX mappings_by_ends_by ON mappings (ends_by);

CREATE INDEX mappings_write_back_pending ON mappings (write_back) WHERE write_back = 'pending';

CREATE INDEX event_notes_to_recheck ON event_notes (source, calendar_id) WHERE awaiting_organizer IS NOT NULL OR retry = 1;

CREATE INDEX event_notes_by_start ON event_notes (start_at);
