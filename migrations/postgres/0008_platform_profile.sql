-- PostgreSQL form of the SQLite migration 0008_platform_profile.sql (meetsync schema, version 8). Append-only.

CREATE TABLE platform_profile (
  assumption      TEXT PRIMARY KEY,
  result          TEXT NOT NULL CHECK (result IN ('confirmed', 'contradicted', 'unknown')),
  detail          TEXT NOT NULL,
  platform        TEXT NOT NULL,
  organizer_email TEXT NOT NULL,
  probed_at       TEXT NOT NULL
);

CREATE TABLE platform_probe_canaries (
  reference       TEXT PRIMARY KEY,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  topic           TEXT NOT NULL,
  start_at        TEXT NOT NULL,
  meeting_id      TEXT,
  created_at      TEXT NOT NULL
);
