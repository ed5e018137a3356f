-- meetsync schema, version 9. Append-only.

-- Replicas on one database (issue 17): each calendar is served by one replica at a time, the
-- holder of its lease. `expires_at` is on the database's clock (ISO 8601, UTC); a replica that
-- dies loses its leases when they expire. `fence` counts the lease's holders: taking a lease over
-- raises it, and a write checks the holder and fence it began with (src/store/leases.ts).
CREATE TABLE calendar_leases (
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  holder      TEXT NOT NULL,
  fence       INTEGER NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (source, calendar_id)
);

-- The replicas seen lately, for each one's fair share of the calendars: `seen_at` on the database's clock.
CREATE TABLE replicas (
  id      TEXT PRIMARY KEY,
  seen_at TEXT NOT NULL
);
