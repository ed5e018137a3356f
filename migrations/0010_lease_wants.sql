-- meetsync schema, version 10. Append-only.

-- A one-shot command that writes for calendars the replicas serve (`meetsync reconcile --repair`)
-- asks for them: while `wanted_until` (the database's clock) lasts, the holder hands the calendar
-- over at its next cycle and no other replica takes it; the command then takes the lease itself,
-- and gives it back when done (src/store/leases.ts).
ALTER TABLE calendar_leases ADD COLUMN wanted_by TEXT;
ALTER TABLE calendar_leases ADD COLUMN wanted_until TEXT;
