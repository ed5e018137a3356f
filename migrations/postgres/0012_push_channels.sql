-- PostgreSQL form of the SQLite migration 0012_push_channels.sql (meetsync schema, version 12). Append-only.

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
CREATE INDEX push_channels_calendar ON push_channels (source, calendar_id);

-- With replicas on PostgreSQL, a notification for a calendar whose lease another replica holds is
-- recorded here by the replica that received it; the holder takes it within a second and reads
-- the calendar (src/daemon/push/pokes.ts). One row per calendar: more pokes fold into it.
CREATE TABLE push_pokes (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  poked_at    TEXT NOT NULL,
  PRIMARY KEY (source, calendar_id)
);
