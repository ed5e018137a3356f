-- meetsync schema, version 2. Append-only.

-- Small engine facts that must outlive one process, by name. `organizers_checked_at`: when the
-- platform was last asked for organizers that events are waiting for, so that every process
-- started from cron does not ask again (at most every 15 minutes, whoever runs the cycle).
CREATE TABLE engine_state (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Set on a 'creating' mapping whose meeting was found in the organizer's feed by its marker but
-- without the meeting id needed to update or delete it: meetsync neither adopts it blindly nor
-- posts a second meeting, and says why in `status`. NULL otherwise.
ALTER TABLE mappings ADD COLUMN held TEXT;

-- Set (to when) before DELETE /meeting is sent, like the intent before a POST: until the
-- deletion is confirmed the meeting may or may not exist (a lost answer, a crash). If the event
-- is wanted again meanwhile, the meeting is checked with a PUT (404: created again), never
-- assumed to be there. NULL otherwise.
ALTER TABLE mappings ADD COLUMN deleting_since TEXT;

-- Notes about attendees' copies were no problem to act on, and were never cleared.
DELETE FROM event_notes WHERE kind = 'skipped' AND reason LIKE 'attendee''s copy%';
