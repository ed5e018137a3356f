import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { configuredCalendars } from './ownership.js';

/** engine_state name marking a calendar this database gave up to another shard (value: when, ISO). */
export function releasedKey(source: string, calendarId: string): string {
  return `shard_released\u0000${source}\u0000${calendarId}`;
}

export interface HandoffReport {
  /** Calendars given up now: another shard owns them from this start on. */
  released: Array<{ source: string; calendarId: string; shard: number }>;
  /** Calendars given up before that this instance owns again. */
  reclaimed: Array<{ source: string; calendarId: string }>;
}

/**
 * Brings the database in line with which calendars this instance owns, at start (sharding,
 * docs/scaling.md).
 *
 * A calendar another shard now owns is released: its cursor is dropped and the release is noted.
 * Its mappings and notes stay as they are, dormant: nothing reads, changes or deletes their
 * meetings here (the engine acts only on the calendars its sources list), and the new owner
 * adopts the meetings from the stamps in the events.
 *
 * A released calendar that comes back (the count changed again) has missed whatever happened
 * while another shard owned it: its old cursor would replay a stale state and its old mappings
 * may name meetings since moved, renamed or deleted. Both go (the cursor went at release), so it
 * is read fully and its meetings are adopted again from the stamps, exactly as on a new shard.
 * Unconfirmed creations ('creating') stay: only their marker can prove whether their POST took
 * effect, and resolvePending looks for it once the calendar is owned again.
 */
export function handOver(store: Store, config: Pick<Config, 'shard' | 'sources'>, logger: Logger): HandoffReport {
  const report: HandoffReport = { released: [], reclaimed: [] };
  const now = new Date().toISOString();
  store.transaction(() => {
    for (const c of configuredCalendars(config)) {
      const key = releasedKey(c.source, c.calendarId);
      const released = store.engineState(key) !== undefined;
      if (c.elsewhere && !released) {
        const state = store.calendarState(c.source, c.calendarId);
        const held = store.mappings({ source: c.source, calendarId: c.calendarId });
        if (state.cursor === undefined && state.lastAttemptAt === undefined && held.length === 0) continue;
        const rest = { ...state };
        delete rest.cursor;
        // Failures of a calendar read by another shard now say nothing about this one.
        delete rest.lastError;
        delete rest.lastErrorAt;
        store.saveCalendarState({ ...rest, consecutiveFailures: 0 });
        store.setEngineState(key, now);
        report.released.push({ source: c.source, calendarId: c.calendarId, shard: c.elsewhere.shard });
      } else if (!c.elsewhere && released) {
        for (const m of store.mappings({ source: c.source, calendarId: c.calendarId })) if (m.state !== 'creating') store.deleteMapping(m);
        for (const n of store.notes({ source: c.source, calendarId: c.calendarId })) store.clearNote(n);
        const rest = { ...store.calendarState(c.source, c.calendarId) };
        delete rest.cursor;
        store.saveCalendarState(rest);
        store.clearEngineState(key);
        report.reclaimed.push({ source: c.source, calendarId: c.calendarId });
      }
    }
  });
  for (const r of report.released) {
    logger.info({ source: r.source, calendar: r.calendarId, shard: r.shard }, `calendar ${r.calendarId} now belongs to shard ${r.shard}; its meetings are left as they are for that shard to adopt`);
  }
  for (const r of report.reclaimed) {
    logger.info({ source: r.source, calendar: r.calendarId }, `calendar ${r.calendarId} belongs to this shard again; it is read fully and its meetings adopted from the events`);
  }
  return report;
}
