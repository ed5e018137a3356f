-- meetsync schema, version 5. Append-only.

-- Which calendar each stored (source, calendar_id) key belongs to, by a name the config cannot
-- change by accident: provider, tenant, and the calendar id or mailbox lower-cased
-- (domain/calendar-identity.ts). Mappings, notes and calendar states stay keyed by the config's
-- source name and calendar id; at start, meetsync moves a calendar's rows to the key the config
-- gives it now (store/calendar-keys.ts), so renaming a source or changing the case of a calendar
-- id keeps its meetings. The SQL cannot know the config: rows of a database upgraded to this
-- version are claimed by the calendars configured at the first start.
CREATE TABLE calendar_identities (
  identity    TEXT PRIMARY KEY,
  source      TEXT NOT NULL,
  calendar_id TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
