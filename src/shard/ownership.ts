import type { Config, SourceConfig } from '../config/schema.js';
import { ownerOf } from './hash.js';

/** A configured calendar, and when sharded the shard that owns it. */
export interface ConfiguredCalendar {
  source: string;
  kind: SourceConfig['kind'];
  calendarId: string;
  /** Set when this instance is one of several and another shard owns the calendar. */
  elsewhere?: { shard: number; count: number };
}

export function calendarsOf(source: SourceConfig): readonly string[] {
  return source.kind === 'google' ? source.calendars : source.mailboxes;
}

/** True when this instance owns the calendar: always without `shard`, else when the hash names its index. */
export function ownsCalendar(config: Pick<Config, 'shard'>, source: Pick<SourceConfig, 'kind' | 'name'>, calendarId: string): boolean {
  if (!config.shard) return true;
  return ownerOf({ kind: source.kind, source: source.name, calendarId }, config.shard.count) === config.shard.index;
}

/** Every calendar of the config, in config order, with the other shard that owns it where it is not this one. */
export function configuredCalendars(config: Pick<Config, 'shard' | 'sources'>): ConfiguredCalendar[] {
  const { shard } = config;
  return config.sources.flatMap((s) =>
    calendarsOf(s).map((calendarId) => {
      const owner = shard ? ownerOf({ kind: s.kind, source: s.name, calendarId }, shard.count) : undefined;
      return { source: s.name, kind: s.kind, calendarId, ...(shard && owner !== shard.index ? { elsewhere: { shard: owner!, count: shard.count } } : {}) };
    }),
  );
}

/**
 * The sources as this instance reads them: each with only the calendars it owns, with its
 * position in the config (for messages naming `sources[i]`). A source left with none is dropped,
 * so its adapter is not even loaded. Filtering here, before any adapter or the engine sees the
 * lists, means nothing downstream can read or write a calendar another shard owns.
 */
export function ownedSources(config: Pick<Config, 'shard' | 'sources'>): Array<{ source: SourceConfig; index: number }> {
  return config.sources.flatMap((s, index) => {
    const mine = calendarsOf(s).filter((id) => ownsCalendar(config, s, id));
    if (mine.length === 0) return [];
    const source: SourceConfig = s.kind === 'google' ? { ...s, calendars: mine } : { ...s, mailboxes: mine };
    return [{ source, index }];
  });
}
