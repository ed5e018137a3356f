-- index event_journal_at
CREATE INDEX event_journal_at ON event_journal (at);

-- index event_journal_event
CREATE INDEX event_journal_event ON event_journal (source, calendar_id, event_id, id);

-- index event_journal_meeting_number
CREATE INDEX event_journal_meeting_number ON event_journal (meeting_number);

-- index event_notes_by_start
CREATE INDEX event_notes_by_start ON event_notes (start_at);

-- index event_notes_to_recheck
CREATE INDEX event_notes_to_recheck ON event_notes (source, calendar_id) WHERE awaiting_organizer IS NOT NULL OR retry = 1;

-- index kept_meetings_by_calendar
CREATE INDEX kept_meetings_by_calendar ON kept_meetings (source, calendar_id);

-- index kept_meetings_by_ends_by
CREATE INDEX kept_meetings_by_ends_by ON kept_meetings (ends_by);

-- index mappings_by_ends_by
CREATE INDEX mappings_by_ends_by ON mappings (ends_by);

-- index mappings_by_meeting
CREATE INDEX mappings_by_meeting ON mappings (meeting_id);

-- index mappings_by_state
CREATE INDEX mappings_by_state ON mappings (state);

-- index mappings_write_back_pending
CREATE INDEX mappings_write_back_pending ON mappings (write_back) WHERE write_back = 'pending';

-- index push_channels_calendar
CREATE INDEX push_channels_calendar ON push_channels (source, calendar_id);

-- table calendar_identities
CREATE TABLE calendar_identities (
  identity    TEXT PRIMARY KEY,
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- table calendar_leases
CREATE TABLE calendar_leases (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  holder      TEXT NOT NULL,
  fence       INTEGER NOT NULL,
  expires_at  TEXT NOT NULL, wanted_by TEXT, wanted_until TEXT,
  PRIMARY KEY (source, calendar_id)
);

-- table calendar_state
CREATE TABLE calendar_state (
  source               TEXT NOT NULL,
  calendar_id          TEXT NOT NULL,
  cursor               TEXT,
  last_attempt_at      TEXT,
  last_success_at      TEXT,
  last_error           TEXT,
  last_error_at        TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, calendar_id)
);

-- table engine_state
CREATE TABLE engine_state (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- table event_journal
CREATE TABLE event_journal (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  source         TEXT NOT NULL,
  calendar_id    TEXT NOT NULL,
  event_id       TEXT NOT NULL,
  at             TEXT NOT NULL,
  kind           TEXT NOT NULL,       -- read | call
  what           TEXT NOT NULL,       -- read: the decision; call: which call
  outcome        TEXT NOT NULL,       -- read: the action planned; call: sent | ok | failed | refused | unconfirmed | found | ...
  detail         TEXT,
  title          TEXT,
  start_at       TEXT,
  end_at         TEXT,
  organizer      TEXT,
  tag            TEXT,
  meeting_id     TEXT,
  meeting_number TEXT,
  repeats        INTEGER NOT NULL DEFAULT 1,
  last_at        TEXT
);

-- table event_notes
CREATE TABLE event_notes (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('skipped', 'failed', 'exception')),
  reason      TEXT NOT NULL,
  title       TEXT NOT NULL DEFAULT '',
  start_at    TEXT,
  series_id   TEXT,
  -- Set when the event waits for this organizer to get a platform user: it is looked at again
  -- once they have one, without waiting for the event itself to change.
  awaiting_organizer TEXT,
  -- 1 when the failure was transient (network, 5xx, 429): the event is looked at again every
  -- cycle until it succeeds, whether or not the calendar reports it again.
  retry       INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL, since TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_try_at TEXT,
  PRIMARY KEY (source, calendar_id, event_id)
);

-- table kept_meetings
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

-- table mappings
CREATE TABLE mappings (
  source          TEXT NOT NULL,
  calendar_id     TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  ical_uid        TEXT,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  -- Written into the meeting's agenda before POST /meeting, so that a meeting whose creation
  -- was interrupted can be found in the organizer's feed and adopted instead of created twice.
  marker          TEXT NOT NULL UNIQUE,
  meeting_id      TEXT,
  meeting_number  TEXT,
  state           TEXT NOT NULL CHECK (state IN ('creating', 'active', 'cancelled', 'kept')),
  topic           TEXT NOT NULL,
  start_at        TEXT NOT NULL,             -- UTC ISO instants as last synced to the platform
  end_at          TEXT NOT NULL,
  time_zone       TEXT,
  recurrence      TEXT,                      -- JSON of the platform recurrence last synced, or NULL
  write_back      TEXT NOT NULL DEFAULT 'pending' CHECK (write_back IN ('pending', 'done')),
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL, held TEXT, deleting_since TEXT, ends_by TEXT, updating_since TEXT, write_back_since TEXT, write_back_attempts INTEGER NOT NULL DEFAULT 0, write_back_next_at TEXT,
  PRIMARY KEY (source, calendar_id, event_id)
);

-- table organizers
CREATE TABLE organizers (
  email        TEXT PRIMARY KEY,            -- lower-cased
  account_id   TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  first_name   TEXT NOT NULL DEFAULT '',
  last_name    TEXT NOT NULL DEFAULT '',
  timezone     TEXT,
  has_feed     INTEGER NOT NULL DEFAULT 0,  -- 1 when the platform reported an icsPath
  refreshed_at TEXT NOT NULL
);

-- table platform_probe_canaries
CREATE TABLE platform_probe_canaries (
  reference       TEXT PRIMARY KEY,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  topic           TEXT NOT NULL,
  start_at        TEXT NOT NULL,
  meeting_id      TEXT,
  created_at      TEXT NOT NULL
);

-- table platform_profile
CREATE TABLE platform_profile (
  assumption      TEXT PRIMARY KEY,
  result          TEXT NOT NULL CHECK (result IN ('confirmed', 'contradicted', 'unknown')),
  detail          TEXT NOT NULL,
  -- The platform probed (the origin of webMeeting.baseUrl) and the organizer whose name it used.
  platform        TEXT NOT NULL,
  organizer_email TEXT NOT NULL,
  probed_at       TEXT NOT NULL
);

-- table push_channels
CREATE TABLE push_channels (
  channel_id  TEXT PRIMARY KEY,
  provider    TEXT NOT NULL,
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  token_hash  TEXT NOT NULL,
  resource_id TEXT,
  expires_at  TEXT,
  created_at  TEXT NOT NULL
);

-- table push_pokes
CREATE TABLE push_pokes (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  poked_at    TEXT NOT NULL,
  PRIMARY KEY (source, calendar_id)
);

-- table replicas
CREATE TABLE replicas (
  id      TEXT PRIMARY KEY,
  seen_at TEXT NOT NULL
);

-- table runs
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,                 -- sync | dry-run | accounts-create | organizers-refresh
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  ok          INTEGER,
  summary     TEXT,                          -- JSON counts
  error       TEXT
);

-- table schema_migrations
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
