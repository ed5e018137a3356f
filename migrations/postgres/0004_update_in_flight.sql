-- PostgreSQL form of the SQLite migration 0004_update_in_flight.sql (meetsync schema, version 4). Append-only.

ALTER TABLE mappings ADD COLUMN updating_since TEXT;
