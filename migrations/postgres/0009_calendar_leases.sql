-- PostgreSQL form of the SQLite migration 0009_calendar_leases.sql (meetsync schema, version 9). Append-only.

CREATE TABLE calendar_leases (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  holder      TEXT NOT NULL,
  fence       INTEGER NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (source, calendar_id)
);

CREATE TABLE replicas (
  id      TEXT PRIMARY KEY,
  seen_at TEXT NOT NULL
);
