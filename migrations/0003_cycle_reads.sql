-- meetsync schema, version 3. Append-only.

-- A sync cycle that finds no change must do database work in proportion to the changes, not to
-- the number of mappings (issue 11). Each index below lets one per-cycle read go straight to the
-- rows it wants instead of reading every mapping or note.

-- When a mapping's meeting is over for good (domain/mapping-end.ts): the end of a single meeting
-- or of a series' last occurrence; '9999-12-31T23:59:59.999Z' for a series without end. Retiring
-- reads only the mappings it is due for. NULL on rows written before this migration: computed
-- once by the next retirement.
ALTER TABLE mappings ADD COLUMN ends_by TEXT;
CREATE INDEX mappings_by_ends_by ON mappings (ends_by);

-- Write-backs that failed, retried every cycle.
CREATE INDEX mappings_write_back_pending ON mappings (write_back) WHERE write_back = 'pending';

-- Notes looked at again every cycle: events waiting for their organizer, transient failures.
CREATE INDEX event_notes_to_recheck ON event_notes (source, calendar_id) WHERE awaiting_organizer IS NOT NULL OR retry = 1;

-- Notes of events that are over, dropped by retirement.
CREATE INDEX event_notes_by_start ON event_notes (start_at);
