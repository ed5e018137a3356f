import type { Store } from './store.js';

/** A calendar of the config: the key its rows are stored under, and what calendar it is. */
export interface KeyedCalendar {
  source: string;
  calendarId: string;
  /** domain/calendar-identity.ts */
  identity: string;
}

interface CalendarKey {
  source: string;
  calendarId: string;
}

export interface CalendarKeysReport {
  /** Calendars whose rows moved to the key the config gives them now (a source renamed, an id's case changed). */
  moved: Array<{ identity: string; from: CalendarKey; to: CalendarKey }>;
  /**
   * Rows of a calendar no longer configured that sat on a key a configured calendar takes now
   * (a source name reused for another calendar): moved aside to `to`, still dormant, never lost.
   */
  parked: Array<{ from: CalendarKey; to: CalendarKey }>;
}

/** Tables whose rows belong to one calendar by (source, calendar_id). */
const TABLES = ['mappings', 'event_notes', 'calendar_state', 'kept_meetings', 'event_journal'] as const;

const keyText = (k: CalendarKey) => `${k.source}\u0000${k.calendarId}`;

/**
 * Brings the stored rows in line with the config's names for its calendars, once per start,
 * in one transaction; a second call with the same config changes nothing.
 *
 * Each configured calendar is looked up by its identity. Known under another key (its source was
 * renamed, its Google id written in another case): its mappings, notes, cursor and kept meetings
 * move to the key the config uses now, so the engine, which keys everything by source name and
 * calendar id, finds its meetings where it looks. Moves go through a temporary key, so two
 * sources that swap names swap rows. Not known yet: it claims the rows under its key (the first
 * start after the upgrade to schema 5, or a new calendar, which has none).
 *
 * Rows of calendars the config no longer lists stay where they are, dormant: the engine reads
 * only configured calendars, and never counts them as holding a meeting (sync/holders.ts). Only
 * when a configured calendar takes their key are they moved aside, to `<source> (dormant)`.
 */
export function settleCalendarKeys(store: Store, calendars: readonly KeyedCalendar[], now: Date): CalendarKeysReport {
  const report: CalendarKeysReport = { moved: [], parked: [] };
  const { sql } = store;
  const at = now.toISOString();
  store.transaction(() => {
    const records = sql.all<CalendarKey & { identity: string; updatedAt: string }>(
      'SELECT identity, source, calendar_id AS "calendarId", updated_at AS "updatedAt" FROM calendar_identities',
    );
    const byIdentity = new Map<string, CalendarKey>(records.map((r) => [r.identity, { source: r.source, calendarId: r.calendarId }]));
    // And the other way, kept with it: looking each configured calendar's key up in a list of them
    // all took 7-8 s of every start at 10,000 calendars (bench:sync, a quiet process's CPU profile).
    const ownerOf = new Map<string, string>();
    for (const [identity, k] of byIdentity) if (!ownerOf.has(keyText(k))) ownerOf.set(keyText(k), identity);
    const rekey = (identity: string, to: CalendarKey) => {
      const was = byIdentity.get(identity);
      if (was && ownerOf.get(keyText(was)) === identity) ownerOf.delete(keyText(was));
      byIdentity.set(identity, to);
      if (!ownerOf.has(keyText(to))) ownerOf.set(keyText(to), identity);
    };
    const before = new Map(records.map((r) => [r.identity, r]));
    const configured = new Map<string, KeyedCalendar>();
    // The first of two entries naming one calendar wins; config validation refuses such a config.
    for (const c of calendars) if (!configured.has(c.identity)) configured.set(c.identity, c);
    const targets = new Set([...configured.values()].map(keyText));

    const hasRows = (k: CalendarKey) =>
      TABLES.some((t) => sql.get(`SELECT 1 FROM ${t} WHERE source = ? AND calendar_id = ? LIMIT 1`, [k.source, k.calendarId]) !== undefined);
    const move = (from: CalendarKey, to: CalendarKey) => {
      for (const t of TABLES) sql.run(`UPDATE ${t} SET source = ?, calendar_id = ? WHERE source = ? AND calendar_id = ?`, [to.source, to.calendarId, from.source, from.calendarId]);
    };
    const taken = (k: CalendarKey) => targets.has(keyText(k)) || hasRows(k) || ownerOf.has(keyText(k));
    const park = (from: CalendarKey, identity: string | undefined) => {
      let to: CalendarKey = { source: `${from.source} (dormant)`, calendarId: from.calendarId };
      for (let n = 2; taken(to); n += 1) to = { source: `${from.source} (dormant ${n})`, calendarId: from.calendarId };
      if (hasRows(from)) report.parked.push({ from, to });
      move(from, to);
      if (identity !== undefined) rekey(identity, to);
    };

    // 1. A key a configured calendar takes that holds another, unconfigured calendar's rows.
    for (const c of configured.values()) {
      const owner = ownerOf.get(keyText(c));
      if (owner === c.identity || (owner !== undefined && configured.has(owner))) continue;
      const known = byIdentity.get(c.identity);
      // Not claimed by anyone: rows from before schema 5 are this calendar's, unless it has its own to bring.
      if (owner !== undefined || (known !== undefined && hasRows(c))) park({ source: c.source, calendarId: c.calendarId }, owner);
    }
    // 2. Configured calendars known under another key move, through a temporary key each.
    const moving = [...configured.values()].filter((c) => {
      const k = byIdentity.get(c.identity);
      return k !== undefined && keyText(k) !== keyText(c);
    });
    const temp = (c: KeyedCalendar): CalendarKey => ({ source: `\u0001moving\u0001${c.identity}`, calendarId: c.calendarId });
    for (const c of moving) move(byIdentity.get(c.identity)!, temp(c));
    for (const c of moving) {
      const to = { source: c.source, calendarId: c.calendarId };
      move(temp(c), to);
      report.moved.push({ identity: c.identity, from: byIdentity.get(c.identity)!, to });
    }
    for (const c of configured.values()) byIdentity.set(c.identity, { source: c.source, calendarId: c.calendarId });

    // Only what changed is written: a start with the same config writes nothing here (a quiet
    // cycle's database work stays in proportion to the changes, bench:sync's rows target).
    const upsert =
      'INSERT INTO calendar_identities (identity, source, calendar_id, updated_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (identity) DO UPDATE SET source = excluded.source, calendar_id = excluded.calendar_id, updated_at = excluded.updated_at';
    for (const [identity, k] of byIdentity) {
      const was = before.get(identity);
      // When the calendar got this key: kept while the key stays.
      if (!was || keyText(was) !== keyText(k)) sql.run(upsert, [identity, k.source, k.calendarId, at]);
    }
  });
  return report;
}
