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
