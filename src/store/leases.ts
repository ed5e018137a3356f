import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MeetsyncError } from '../domain/errors.js';
import type { Store } from './store.js';

/** A calendar as the leases name it. */
export interface LeasedCalendar {
  source: string;
  calendarId: string;
}

/**
 * This replica's lease of a calendar lapsed (it was paused or cut off from the database longer
 * than the lease lasts) and another may hold it now: nothing more is written for that calendar.
 * Ends the cycle like a platform halt; the next cycle claims leases afresh.
 */
export class LeaseLostError extends MeetsyncError {}

export interface LeaseOptions {
  /** This replica's name in the database: unique among the replicas (host, pid and a random part). */
  replicaId: string;
  /** How long a lease lasts without being renewed; a dead replica's calendars wait this long at most. */
  ttlMs: number;
}

/** A process's name among the replicas and lease holders: host, process id and a random part (a restarted pod reuses its host name and pid 1). */
export function processName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Leases taken by one INSERT: 5 values each, well under either database's limit on parameters. */
const LEASES_PER_INSERT = 500;

/** A calendar's key in the set `claim` returns. */
export const leaseKey = (c: LeasedCalendar): string => `${c.source}\u0000${c.calendarId}`;
const keyText = leaseKey;

/**
 * Calendars shared among replicas on one database (issue 17). At the start of each cycle a
 * replica claims its fair share, one exclusive transaction at a time across replicas: it
 * renews what it holds, gives back what exceeds its share (calendars / live replicas, the first
 * replicas by id one more, so that the shares add up; a replica that joins gets its share within
 * a cycle of each other replica), and takes calendars whose lease is
 * free or expired (a replica that died loses its calendars within `ttlMs`). Times are the
 * database's clock, so replicas' clocks need not agree.
 *
 * Fencing: every write the store makes for a calendar first checks that this replica still holds
 * its lease, with the fence it claimed it with (`guard`): a replica whose lease lapsed (paused by
 * the OS or a VM, cut off from the database) cannot commit for that calendar, and its next write
 * fails with LeaseLostError. The check renews the lease; it goes to the database once half the
 * lease's time has passed since the last confirmation (measured on this process's monotonic clock,
 * which a pause advances too), so a cycle's many writes cost one renewal.
 */
export class CalendarLeases {
  private readonly held = new Map<string, { fence: number; confirmedAt: number }>();

  constructor(
    private readonly store: Store,
    readonly options: LeaseOptions,
  ) {}

  /** The database's time now, ISO 8601 UTC. */
  private dbNow(): number {
    const { sql } = this.store;
    if (sql.dialect === 'sqlite') return Date.now();
    return Date.parse(String(sql.value(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`)));
  }

  /** Claims this replica's share of `configured` for one cycle; returns the calendars it serves. */
  claim(configured: readonly LeasedCalendar[]): Set<string> {
    const { sql } = this.store;
    const { replicaId: me, ttlMs } = this.options;
    return sql.transaction(() => {
      const now = this.dbNow();
      const iso = (ms: number) => new Date(ms).toISOString();
      sql.run('INSERT INTO replicas (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at', [me, iso(now)]);
      sql.run('DELETE FROM replicas WHERE seen_at < ?', [iso(now - 10 * ttlMs)]);
      const live = sql.all<{ id: string }>('SELECT id FROM replicas WHERE seen_at >= ? ORDER BY id', [iso(now - ttlMs)]).map((r) => r.id);
      const rows = new Map(
        sql
          .all<{ source: string; calendar_id: string; holder: string; fence: number; expires_at: string; wanted_by: string | null; wanted_until: string | null }>('SELECT * FROM calendar_leases')
          .map((r) => [keyText({ source: r.source, calendarId: r.calendar_id }), r]),
      );
      const wanted = new Map(configured.map((c) => [keyText(c), c]));
      // Shares that add up to every calendar: the first (total mod replicas) replicas by id one more.
      const rank = Math.max(0, live.indexOf(me));
      const share = Math.floor(wanted.size / Math.max(1, live.length)) + (rank < wanted.size % Math.max(1, live.length) ? 1 : 0);
      const valid = (k: string) => (rows.get(k)?.expires_at ?? '') > iso(now);
      // Asked for by a one-shot command (`reconcile --repair`, takeWanted): handed over, not taken.
      const wantedElsewhere = (k: string) => {
        const r = rows.get(k);
        return !!r?.wanted_by && r.wanted_by !== me && (r.wanted_until ?? '') > iso(now);
      };
      for (const k of [...wanted.keys()].filter((k) => rows.get(k)?.holder === me && valid(k) && wantedElsewhere(k))) {
        const c = wanted.get(k)!;
        sql.run('UPDATE calendar_leases SET expires_at = ? WHERE source = ? AND calendar_id = ? AND holder = ?', [iso(now), c.source, c.calendarId, me]);
        rows.get(k)!.expires_at = iso(now);
      }
      // Leases of calendars taken out of the config go.
      for (const [k, r] of rows) if (r.holder === me && !wanted.has(k)) sql.run('DELETE FROM calendar_leases WHERE source = ? AND calendar_id = ? AND holder = ?', [r.source, r.calendar_id, me]);
      let mine = [...wanted.keys()].filter((k) => rows.get(k)?.holder === me && valid(k));
      // The excess goes back, LEASES_PER_INSERT at a time (a replica that joins takes a share from each).
      const excess = mine.slice(share).map((k) => wanted.get(k)!);
      for (let at = 0; at < excess.length; at += LEASES_PER_INSERT) {
        const chunk = excess.slice(at, at + LEASES_PER_INSERT);
        sql.run(`DELETE FROM calendar_leases WHERE holder = ? AND (${chunk.map(() => '(source = ? AND calendar_id = ?)').join(' OR ')})`, [me, ...chunk.flatMap((c) => [c.source, c.calendarId])]);
      }
      mine = mine.slice(0, share);
      const kept = new Set(mine);
      const free = [...wanted.keys()].filter((k) => !valid(k) && !wantedElsewhere(k) && !kept.has(k)).slice(0, Math.max(0, share - mine.length));
      const expires = iso(now + ttlMs);
      this.held.clear();
      const confirmedAt = performance.now();
      // What this replica still holds now is exactly `mine` (the excess, the calendars out of the
      // config and those handed over went above): one statement renews them, and the free ones are
      // taken LEASES_PER_INSERT at a time. A statement per calendar cost seconds a cycle at 10,000
      // calendars on PostgreSQL, each one a round trip (bench --replicas).
      if (mine.length > 0) sql.run('UPDATE calendar_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?', [expires, me, iso(now)]);
      for (const k of mine) this.held.set(k, { fence: rows.get(k)!.fence, confirmedAt });
      for (let at = 0; at < free.length; at += LEASES_PER_INSERT) {
        const chunk = free.slice(at, at + LEASES_PER_INSERT);
        const params = chunk.flatMap((k) => {
          const c = wanted.get(k)!;
          const fence = (rows.get(k)?.fence ?? 0) + 1;
          this.held.set(k, { fence, confirmedAt });
          return [c.source, c.calendarId, me, fence, expires];
        });
        sql.run(
          `INSERT INTO calendar_leases (source, calendar_id, holder, fence, expires_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}
           ON CONFLICT (source, calendar_id) DO UPDATE SET holder = excluded.holder, fence = excluded.fence, expires_at = excluded.expires_at`,
          params,
        );
      }
      return new Set(this.held.keys());
    }, 'exclusive');
  }

  /**
   * For a one-shot command that writes beside the replicas (`reconcile --repair`): takes the
   * leases of `calendars` themselves, asking for those a replica holds (it hands them over at its
   * next cycle, and none takes them while the want lasts); waits for them up to `waitMs`, telling
   * `onWait` which are still held and by whom. Returns the calendars taken (their keys); the
   * caller writes for those only (guard) and calls `release` when done. Not a replica: it takes
   * no share and is not counted in anyone's.
   */
  async takeWanted(calendars: readonly LeasedCalendar[], waitMs: number, onWait: (holders: string[]) => void): Promise<Set<string>> {
    const { sql } = this.store;
    const { replicaId: me, ttlMs } = this.options;
    const deadline = performance.now() + waitMs;
    let told = 0;
    for (;;) {
      const holders = sql.transaction(() => {
        const now = this.dbNow();
        const iso = (ms: number) => new Date(ms).toISOString();
        const others: string[] = [];
        for (const c of calendars) {
          const k = keyText(c);
          const r = sql.get<{ holder: string; fence: number; expires_at: string }>('SELECT holder, fence, expires_at FROM calendar_leases WHERE source = ? AND calendar_id = ?', [c.source, c.calendarId]);
          if (r?.holder === me && r.expires_at > iso(now)) {
            sql.run('UPDATE calendar_leases SET expires_at = ? WHERE source = ? AND calendar_id = ? AND holder = ?', [iso(now + ttlMs), c.source, c.calendarId, me]);
            this.held.set(k, { fence: r.fence, confirmedAt: performance.now() });
          } else if (!r || r.expires_at <= iso(now)) {
            const fence = (r?.fence ?? 0) + 1;
            sql.run(
              `INSERT INTO calendar_leases (source, calendar_id, holder, fence, expires_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (source, calendar_id) DO UPDATE SET holder = excluded.holder, fence = excluded.fence, expires_at = excluded.expires_at, wanted_by = NULL, wanted_until = NULL`,
              [c.source, c.calendarId, me, fence, iso(now + ttlMs)],
            );
            this.held.set(k, { fence, confirmedAt: performance.now() });
          } else {
            sql.run('UPDATE calendar_leases SET wanted_by = ?, wanted_until = ? WHERE source = ? AND calendar_id = ?', [me, iso(now + ttlMs), c.source, c.calendarId]);
            others.push(`${c.calendarId} (${r.holder})`);
          }
        }
        return others;
      }, 'exclusive');
      if (holders.length === 0 || performance.now() >= deadline) return new Set(this.held.keys());
      if (performance.now() - told >= 30_000) {
        onWait(holders);
        told = performance.now();
      }
      await new Promise((r) => setTimeout(r, Math.min(1_000, ttlMs / 3)));
    }
  }

  /** Whether this replica held the calendar's lease at its last claim (push notifications: who reads it). */
  holds(source: string, calendarId: string): boolean {
    return this.held.has(keyText({ source, calendarId }));
  }

  /** Throws LeaseLostError unless this replica still holds the calendar's lease (renewing it). */
  guard(source: string, calendarId: string): void {
    const k = keyText({ source, calendarId });
    const lease = this.held.get(k);
    if (!lease) throw new LeaseLostError(`this replica does not hold the lease of calendar ${calendarId} of source ${source}; the replica holding it serves it`);
    if (performance.now() - lease.confirmedAt < this.options.ttlMs / 2) return;
    const now = this.dbNow();
    const renewed = this.store.sql.run('UPDATE calendar_leases SET expires_at = ? WHERE source = ? AND calendar_id = ? AND holder = ? AND fence = ? AND expires_at > ?', [
      new Date(now + this.options.ttlMs).toISOString(),
      source,
      calendarId,
      this.options.replicaId,
      lease.fence,
      new Date(now).toISOString(),
    ]);
    if (renewed === 0) {
      this.held.delete(k);
      throw new LeaseLostError(
        `the lease of calendar ${calendarId} of source ${source} lapsed (this replica was paused or cut off from the database for longer than ${Math.round(this.options.ttlMs / 1000)} s); nothing more is written for it here, the replica holding it now serves it`,
      );
    }
    lease.confirmedAt = performance.now();
  }

  /**
   * Renews every lease this replica still holds, dropping those it lost: a cycle longer than the
   * lease (a first sync of thousands of calendars) keeps the calendars it has not reached yet.
   */
  renew(): void {
    if (this.held.size === 0) return;
    const now = this.dbNow();
    const kept = this.store.sql.all<{ source: string; calendar_id: string; fence: number }>(
      'UPDATE calendar_leases SET expires_at = ? WHERE holder = ? AND expires_at > ? RETURNING source, calendar_id, fence',
      [new Date(now + this.options.ttlMs).toISOString(), this.options.replicaId, new Date(now).toISOString()],
    );
    const still = new Map(kept.map((r) => [keyText({ source: r.source, calendarId: r.calendar_id }), r.fence]));
    const confirmedAt = performance.now();
    for (const [k, lease] of this.held) {
      if (still.get(k) === lease.fence) lease.confirmedAt = confirmedAt;
      else this.held.delete(k);
    }
  }

  /** Renews the leases every third of their time until the returned function is called (during a cycle). */
  keepAlive(): () => void {
    const timer = setInterval(() => {
      try {
        this.renew();
      } catch {
        // The database out of reach: the next write's guard says so, for the calendar it concerns.
      }
    }, Math.max(500, Math.floor(this.options.ttlMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /** On a graceful stop: the leases and this replica's row go, so the others take its calendars at their next cycle. */
  release(): void {
    const { sql } = this.store;
    sql.transaction(() => {
      sql.run('DELETE FROM calendar_leases WHERE holder = ?', [this.options.replicaId]);
      sql.run('UPDATE calendar_leases SET wanted_by = NULL, wanted_until = NULL WHERE wanted_by = ?', [this.options.replicaId]);
      sql.run('DELETE FROM replicas WHERE id = ?', [this.options.replicaId]);
    });
    this.held.clear();
  }
}
