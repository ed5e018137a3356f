-- PostgreSQL form of the SQLite migration 0010_lease_wants.sql (meetsync schema, version 10). Append-only.

ALTER TABLE calendar_leases ADD COLUMN wanted_by TEXT;
ALTER TABLE calendar_leases ADD COLUMN wanted_until TEXT;
