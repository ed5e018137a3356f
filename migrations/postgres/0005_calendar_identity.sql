-- PostgreSQL form of the SQLite migration 0005_calendar_identity.sql (meetsync schema, version 5). Append-only.

CREATE TABLE calendar_identities (
  identity    TEXT PRIMARY KEY,
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
