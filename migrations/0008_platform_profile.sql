-- meetsync schema, version 8. Append-only.

-- What `meetsync doctor --probe-platform` learned of the Web Meeting platform (issue 16): one row
-- per assumption meetsync makes beyond the tutorial, replaced as a whole by each probe. `detail`
-- is what the probe saw, in words; it never holds a secret (no API key, no feed path or token).
CREATE TABLE platform_profile (
  assumption      TEXT PRIMARY KEY,
  result          TEXT NOT NULL CHECK (result IN ('confirmed', 'contradicted', 'unknown')),
  detail          TEXT NOT NULL,
  -- The platform probed (the origin of webMeeting.baseUrl) and the organizer whose name it used.
  platform        TEXT NOT NULL,
  organizer_email TEXT NOT NULL,
  probed_at       TEXT NOT NULL
);

-- The probe's canary meetings, recorded before their POST is sent and forgotten once deleted:
-- a probe killed before it could delete its canary leaves the row, and the next probe deletes
-- the meeting (by its id, or found in the organizer's feed by its reference or topic and start).
CREATE TABLE platform_probe_canaries (
  reference       TEXT PRIMARY KEY,
  organizer_email TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  topic           TEXT NOT NULL,
  start_at        TEXT NOT NULL,
  meeting_id      TEXT,
  created_at      TEXT NOT NULL
);
