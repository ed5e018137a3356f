-- meetsync schema, version 12. Append-only.

-- Push notification channels (issue 18): one per calendar and provider, so that a restart reuses
-- the channels it opened instead of opening new ones. `token_hash` is the SHA-256 of the channel's
-- secret token (Google's X-Goog-Channel-Token, later Graph's clientState), hex: the token itself is
-- never stored. `resource_id` is the provider's id of the watched resource (Google's resourceId),
-- NULL until the provider answered the watch request. `expires_at` ISO 8601 UTC.
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
