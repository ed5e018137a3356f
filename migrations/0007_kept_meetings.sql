-- meetsync schema, version 7. Append-only.

-- Meetings kept on the platform for their organizer when their event was cancelled or untagged
-- (onEventCancelled: keep). The event's mapping says so only until the event is tagged again:
-- its new meeting's mapping takes the same key, and a database that forgot the kept meeting took
-- it for an orphan meetsync made (reconcile, exit 3). A kept meeting's record lives here, by its
-- meeting id, apart from the event's row: reconcile knows the meeting as meetsync's and kept
-- (listed, never touched), a stamp naming it is never adopted, retirement drops it once it is
-- over (ends_by, as mappings), and it moves with its calendar (store/calendar-keys.ts).
CREATE TABLE kept_meetings (
  meeting_id      TEXT PRIMARY KEY,
  meeting_number  TEXT,
  source          TEXT NOT NULL,
  calendar_id     TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  -- The reference in the meeting's agenda, or a stand-in (sync/markers.ts) when unknown.
  marker          TEXT NOT NULL,
  -- What meetsync last sent for the meeting: reconcile tells a person's copy from it.
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

-- Meetings kept before this version whose mapping still says so. Those whose event was tagged
-- again already are forgotten: nothing here can name them any more.
INSERT INTO kept_meetings (meeting_id, meeting_number, source, calendar_id, event_id, organizer_email, user_id, marker,
  topic, start_at, end_at, time_zone, recurrence, ends_by, kept_at)
SELECT meeting_id, meeting_number, source, calendar_id, event_id, organizer_email, user_id, marker,
  topic, start_at, end_at, time_zone, recurrence, ends_by, updated_at
FROM mappings WHERE state = 'kept' AND meeting_id IS NOT NULL;
