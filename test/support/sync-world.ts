import { expect } from 'vitest';
import { calendarIdentity } from '../../src/domain/calendar-identity.js';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import type { EngineSettings } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { ALICE, NOW, startEngineHarness, type EngineHarness } from './engine-harness.js';
import { msToNextTry } from './next-try.js';
import { buildStatus } from '../../src/status.js';
import { DatabaseBackup, followStatus, isQuiet, loseDatabase } from './lost-database.js';
import { WorldFaults } from './sync-faults.js';
import { checkInvariants } from './sync-invariants.js';
import { BOB, CAROL, TEAM, timesOf, titleOf, type FeedNames, type ModelEvent, type Op, type Organizers, type Reading } from './sync-model.js';
import { deleteOccurrences, editOccurrence, judgeOccurrences, recurrenceOf, retitleOccurrences, type ModelOccurrence } from './sync-series.js';

/**
 * The world of the sync state machine (test/integration/sync-machine.test.ts), in the spirit of
 * vdirsyncer's `SyncMachine`: the real engine, store, client and Web Meeting simulator over HTTP,
 * driven by generated user edits, faults and cycles. Next to them it keeps its own model of the
 * calendars (what the user did, sync-model.ts), from which the invariants are judged
 * (sync-invariants.ts).
 */

const SOURCE = 'mem';
/** The engine's clock moves this much a cycle (the default schedule, every 5 minutes). */
const CYCLE_MS = 5 * 60_000;
/** An unconfirmed creation waits this long for the feed before it is posted again. */
const FEED_GRACE_MS = 10 * 60_000;
/**
 * Catching up once faults stop takes at most: wait out the feed's grace (2 cycles), resolve
 * pending work, act, read the write-back, be quiet.
 */
const SETTLE_CYCLES = 7;
/** Enough for "3–6 events" per run; a further create is a no-op. */
const MAX_EVENTS = 6;
const SERIAL: Reading = { concurrency: 1, team: false, turns: [0] };

export class SyncWorld {
  private readonly events: ModelEvent[] = [];
  /** Occurrences of the series among `events` that the organizer moved or cancelled. */
  private readonly occurrences: ModelOccurrence[] = [];
  /** Events created or edited since the last cycle began: the next read has them, with what is edited after. */
  private readonly touched = new Set<string>();
  /** The next cycle reads the calendars fully (a cursor expired, a database lost). */
  private fullNext = false;
  private readonly faults: WorldFaults;
  /** The source's name in the config now ('rename-source' switches it). */
  private sourceName = SOURCE;
  private readonly backup = new DatabaseBackup();

  private constructor(
    readonly h: EngineHarness,
    private readonly calendars: readonly string[],
    private readonly engineSettings: (source: string) => Partial<EngineSettings>,
  ) {
    this.faults = new WorldFaults(h, FEED_GRACE_MS);
    this.settleKeys();
  }

  /** What meetsync's start does (app.ts): the calendars' records follow them to the config's name. */
  private settleKeys(): void {
    const calendars = this.calendars.map((calendarId) => ({ source: this.sourceName, calendarId, identity: calendarIdentity({ kind: 'google', name: this.sourceName }, calendarId) }));
    settleCalendarKeys(this.h.store, calendars, this.h.now);
  }

  /**
   * A world with one (Alice) or two (Alice, Bob) organizers, each with a calendar and a platform
   * user (Organizers), and with `reading.team` Alice's team calendar too.
   */
  static async start(organizers: Organizers, feedNames: FeedNames = 'id', reading: Reading = SERIAL): Promise<SyncWorld> {
    const calendars = [...(organizers === 1 ? [ALICE] : [ALICE, BOB]), ...(reading.team ? [TEAM] : [])];
    let reads = 0;
    const readTurns = () => reading.turns[reads++ % reading.turns.length] ?? 0;
    // A creation found without its id is held for good here: the quiet cycle at the end must stay quiet.
    const provisioning = { enabled: true, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2027-12-31T00:00:00.000Z' };
    const engineSettings = (source: string): Partial<EngineSettings> => ({
      pending: { feedGraceMs: FEED_GRACE_MS, heldRecheckMs: Number.MAX_SAFE_INTEGER, unconfirmedLimitMs: 24 * 3_600_000 },
      readConcurrency: { [source]: reading.concurrency },
      ...(organizers === 'bob-provisioned' ? { provisioning } : {}),
    });
    const h = await startEngineHarness(engineSettings(SOURCE), calendars, feedNames === 'id-no-agenda' ? { feedNames: 'id', feedAgenda: 'left-out' } : { feedNames }, { readTurns });
    if (organizers === 2) {
      h.sim.addUser(h.accountId, { email: BOB, firstName: 'Bob', lastName: 'Example' });
      await refreshOrganizers(h.platform, h.store, [h.accountId], NOW);
    }
    return new SyncWorld(h, calendars, engineSettings);
  }

  async close(): Promise<void> {
    // The harness closes (and on PostgreSQL drops) every database that replaced the first ('database-lost', 'restore-backup').
    await this.h.close();
    await this.backup.remove();
  }

  async apply(op: Op): Promise<void> {
    const { h } = this;
    switch (op.kind) {
      case 'create':
      case 'invite':
      case 'series': {
        if (this.events.length >= MAX_EVENTS) return;
        const calendarId = this.calendars[op.cal % this.calendars.length]!;
        const organizerCopy = op.kind !== 'invite';
        const rule = op.kind === 'series' ? op.rule : null;
        const owner = calendarId === TEAM ? ALICE : calendarId;
        const other = [ALICE, BOB].find((c) => c !== owner && this.calendars.includes(c)) ?? CAROL;
        const e: ModelEvent = {
          calendarId,
          eventId: `sm${this.events.length + 1}`,
          organizerCopy,
          base: op.base,
          tag: op.tag,
          ...timesOf(op.slot),
          allDay: false,
          live: true,
          rule,
        };
        this.events.push(e);
        this.touched.add(e.eventId);
        h.source.put({
          calendarId,
          eventId: e.eventId,
          organizerEmail: organizerCopy ? owner : other,
          isOrganizerCopy: organizerCopy,
          status: 'confirmed',
          kind: rule ? 'series' : 'single',
          ...(rule ? { recurrence: recurrenceOf(rule) } : {}),
          title: titleOf(e.base, e.tag),
          description: 'Agenda: budget',
          location: '',
          categories: [],
          start: e.start,
          end: e.end,
          timeZone: 'Europe/Berlin',
          allDay: false,
        });
        return;
      }
      case 'move':
        return this.edit(op.pick, (e) => Object.assign(e, { before: { start: e.start, end: e.end } }, timesOf(op.slot)), (e) => ({ start: e.start, end: e.end }));
      case 'undo':
        return this.edit(
          op.pick,
          (e) => e.before && Object.assign(e, { before: { start: e.start, end: e.end } }, e.before),
          (e) => ({ start: e.start, end: e.end }),
        );
      case 'all-day':
        // Not a series: what becomes of its moved and cancelled occurrences then differs by provider, and is not modelled.
        if (this.pick(op.pick)?.rule) return;
        return this.edit(op.pick, (e) => (e.allDay = !e.allDay), (e) => ({ allDay: e.allDay }));
      case 'rename':
        return this.edit(op.pick, (e) => Object.assign(e, { base: op.base, tag: op.keepTag ? e.tag : null }), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'untag':
        return this.edit(op.pick, (e) => (e.tag = null), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'retag':
        return this.edit(op.pick, (e) => (e.tag = op.tag), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'untag-retag':
        if (!this.pick(op.pick)?.tag) return;
        this.edit(op.pick, (e) => (e.tag = null), (e) => ({ title: titleOf(e.base, e.tag) }));
        await this.cycle();
        return this.edit(op.pick, (e) => (e.tag = op.tag), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'delete': {
        const e = this.pick(op.pick);
        if (!e) return;
        e.live = false;
        h.source.remove(e.calendarId, e.eventId);
        if (e.rule) deleteOccurrences(h.source, e, this.occurrences);
        return;
      }
      case 'occurrence': {
        const series = this.pickSeries(op.pick);
        if (!series) return;
        editOccurrence(h.source, series, this.occurrences, op.nth, op.shift);
        return;
      }
      case 'rule': {
        const series = this.pickSeries(op.pick);
        if (!series) return;
        series.rule = op.rule;
        this.touched.add(series.eventId);
        h.source.patch(series.calendarId, series.eventId, { recurrence: recurrenceOf(op.rule) });
        return;
      }
      case 'cursor-expires':
        h.source.expireCursors();
        // The next read is a full one: every occurrence is read with its series.
        this.fullNext = true;
        return;
      case 'crash':
        // A new process: same database, same calendars, nothing remembered in memory.
        h.rebuild(this.engineSettings(this.sourceName));
        return;
      case 'rename-source':
        // A new process whose config calls the source otherwise: no meeting may be made again,
        // no event written again (the invariants and the quiet cycle after settling say so).
        this.sourceName = this.sourceName === SOURCE ? `${SOURCE}-renamed` : SOURCE;
        h.source.rename(this.sourceName);
        this.settleKeys();
        h.rebuild(this.engineSettings(this.sourceName));
        return;
      case 'database-lost':
        await this.cycle();
        if (!isQuiet(h.store)) return;
        await loseDatabase(h);
        this.fullNext = true;
        // The new process's start, on the empty database: the calendars' keys, its settings.
        this.settleKeys();
        h.rebuild(this.engineSettings(this.sourceName));
        await this.cycle();
        return;
      case 'backup':
        await this.backup.take(h.store);
        return;
      case 'restore-backup':
        if (!this.backup.exists) return;
        // Also over an event whose meeting was replaced since the copy (untagged or all-day, then
        // tagged again): the restored record names the deleted meeting, the event's stamp the new
        // one, which is adopted (plan.ts newerStamp; CRASH_SEED=594927435 posted a third).
        await this.cycle();
        if (!isQuiet(h.store)) return;
        await this.backup.restore(h);
        // The new process's start, on the restored database: the calendars' keys, its settings.
        this.settleKeys();
        h.rebuild(this.engineSettings(this.sourceName));
        await this.cycle();
        return;
      case 'cycle':
        op.faults.forEach((f) => this.faults.inject(f, this.calendars.filter((c) => c !== TEAM)));
        await this.cycle();
        // IT acts on what status asks as it appears (an account to add: the last run's error, or
        // the note of an event waiting for it, lost-database.ts followStatus).
        followStatus(h, this.engineSettings(this.sourceName));
        return;
    }
  }

  /**
   * One cycle; faults injected before it apply to it only. Counts the platform requests it made
   * (all, and those other than GET) and the write-backs it tried.
   */
  async cycle(): Promise<{ platformWrites: number; platformCalls: number; writeBacks: number }> {
    const { h } = this;
    const nonGet = () => h.sim.server.requests.filter((r) => r.method !== 'GET').length;
    const before = { writes: nonGet(), calls: h.platformCalls(), writeBacks: h.source.calls.writeJoinDetails, reads: h.source.calls.readChanges, gets: h.source.calls.getEvent };
    h.advance(CYCLE_MS);
    judgeOccurrences(this.occurrences, this.events, this.fullNext, this.touched, (series) => {
      const m = h.store.mapping({ source: this.sourceName, calendarId: series.calendarId, eventId: series.eventId });
      return m?.state === 'active' || m?.state === 'creating';
    }, (series) => h.store.organizer(series.calendarId === TEAM ? ALICE : series.calendarId) !== undefined);
    this.fullNext = false;
    this.touched.clear();
    this.faults.beforeCycle();
    const report = await h.engine.runCycle({ allowMassCancel: true });
    // One outcome per event per cycle, whatever path acted on it.
    const keys = report.outcomes.map((o) => `${o.calendarId}/${o.eventId}`);
    expect(keys, 'events with more than one outcome in a cycle').toEqual([...new Set(keys)]);
    const done = {
      platformWrites: nonGet() - before.writes,
      platformCalls: h.platformCalls() - before.calls,
      writeBacks: h.source.calls.writeJoinDetails - before.writeBacks,
    };
    this.faults.consumed(h.source.calls.readChanges - before.reads, done.writeBacks, h.source.calls.getEvent - before.gets);
    await this.faults.clear();
    return done;
  }

  /**
   * No more faults, then cycles until one is quiet: no platform write and no write-back attempt
   * (a write-back that keeps failing is not quiet, even though the platform hears nothing).
   * Returns false when SETTLE_CYCLES were not enough.
   */
  async settle(): Promise<boolean> {
    await this.faults.clear();
    followStatus(this.h, this.engineSettings(this.sourceName));
    for (let i = 0; i < SETTLE_CYCLES; i += 1) {
      const done = await this.cycle();
      // IT acts on what status asks as it appears (an account to add), not only before settling.
      if (followStatus(this.h, this.engineSettings(this.sourceName))) continue;
      // A creation waiting out the feed's grace is not settled, although nothing is written meanwhile.
      const waiting = this.h.store.mappings({ state: 'creating' }).some((m) => !m.held);
      // Nor is a retry waiting for its time (domain/attention.ts): the cycle at that time is next,
      // as cron's quiet ticks would lead to.
      const wait = msToNextTry(buildStatus(this.h.store, this.calendars.map((calendarId) => ({ source: this.sourceName, calendarId })), { now: this.h.now }), this.h.now);
      if (done.platformWrites === 0 && done.writeBacks === 0 && !waiting && wait === undefined) return true;
      if (wait !== undefined && wait > CYCLE_MS) this.h.advance(wait - CYCLE_MS);
    }
    return false;
  }

  /** The invariants of a settled world (sync-invariants.ts). */
  checkInvariants(): void {
    checkInvariants(this.h, this.events, this.occurrences, this.sourceName);
  }


  private pick(n: number): ModelEvent | undefined {
    const live = this.events.filter((e) => e.live);
    return live.length === 0 ? undefined : live[n % live.length];
  }

  private pickSeries(n: number): ModelEvent | undefined {
    const live = this.events.filter((e) => e.live && e.rule);
    return live.length === 0 ? undefined : live[n % live.length];
  }

  private edit(n: number, change: (e: ModelEvent) => unknown, patch: (e: ModelEvent) => Record<string, string | boolean>): void {
    const e = this.pick(n);
    if (!e) return;
    change(e);
    this.touched.add(e.eventId);
    const changes = patch(e);
    this.h.source.patch(e.calendarId, e.eventId, changes);
    if (e.rule && 'title' in changes) retitleOccurrences(this.h.source, e, this.occurrences);
  }
}
