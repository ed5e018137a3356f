import { calendarIdentity } from '../domain/calendar-identity.js';
import type { Config, SourceConfig } from './schema.js';

/** A calendar of the config: its source, the source's kind, its id there and its identity (domain/calendar-identity.ts). */
export interface ConfiguredCalendar {
  source: string;
  kind: SourceConfig['kind'];
  calendarId: string;
  identity: string;
}

/** The calendar ids a source lists: a Google source's calendars, an Outlook source's mailboxes. */
export function calendarsOf(source: SourceConfig): readonly string[] {
  return source.kind === 'google' ? source.calendars : source.mailboxes;
}

/**
 * Every calendar of the config, in config order. Every one is this process's to serve: alone on
 * SQLite, or on PostgreSQL shared out among the replicas by calendar leases (store/leases.ts).
 */
export function configuredCalendars(config: Pick<Config, 'sources'>): ConfiguredCalendar[] {
  return config.sources.flatMap((s) => calendarsOf(s).map((calendarId) => ({ source: s.name, kind: s.kind, calendarId, identity: calendarIdentity(s, calendarId) })));
}
