-- meetsync schema, version 4. Append-only.

-- Set (to when) before PUT /meeting is sent, like the intent before a POST and deleting_since
-- before a DELETE: until the update is confirmed, what the meeting holds is unknown (the PUT may
-- have been applied and its answer lost, or meetsync died before recording it). While it is set,
-- the next cycle sends what the event wants again (PUT is idempotent) even when the event looks
-- unchanged against the mapping: an organizer who undoes the edit meanwhile is followed. NULL
-- otherwise.
ALTER TABLE mappings ADD COLUMN updating_since TEXT;
