-- meetsync schema, version 6. Append-only.

-- One place owns retries and attention (src/sync/attention.ts). Each failed action (a note with
-- retry = 1) and each join link not written yet (write_back = 'pending') records when it first
-- failed, how many times it has been tried, and when it is tried next. Until an upper bound it is
-- tried again on a schedule that starts at every cycle and slows down; past the bound it is held
-- for IT, looked at hourly, and `status` says so. NULL next_try_at: due at the next cycle (rows
-- written before this version).
ALTER TABLE event_notes ADD COLUMN since TEXT;
ALTER TABLE event_notes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_notes ADD COLUMN next_try_at TEXT;
ALTER TABLE mappings ADD COLUMN write_back_since TEXT;
ALTER TABLE mappings ADD COLUMN write_back_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mappings ADD COLUMN write_back_next_at TEXT;
