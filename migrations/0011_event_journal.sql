-- meetsync schema, version 11. Append-only.

-- The story of each event (`meetsync explain`, issue 20): what meetsync read of it and decided
-- (kind 'read'), and every call it made for it (kind 'call': POST, PUT, DELETE, write-back,
-- adoption, feed check) with its outcome and the platform's or provider's reason. Written in the
-- same transaction as the record it explains. A call written before it is sent ('sent') is
-- settled by its answer; one still 'sent' was cut short. The same failure or read seen again
-- counts up `repeats` on its entry instead of adding one. Bounded: the newest 50 entries per
-- event and nothing older than 90 days (config `journal`), pruned as it is written. No secret:
-- details are scrubbed like every other stored text.
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
CREATE INDEX event_journal_event ON event_journal (source, calendar_id, event_id, id);
CREATE INDEX event_journal_at ON event_journal (at);
CREATE INDEX event_journal_meeting_number ON event_journal (meeting_number);
