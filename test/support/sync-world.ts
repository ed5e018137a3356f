import { expect } from 'vitest';
import { NetworkError } from '../../src/domain/errors.js';
import { calendarIdentity } from '../../src/domain/calendar-identity.js';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import type { Store } from '../../src/store/store.js';
import type { EngineSettings } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { ALICE, NOW, startEngineHarness, type EngineHarness } from './engine-harness.js';
import { followStatus, isQuiet, loseDatabase } from './lost-database.js';
import { msToNextTry } from './next-try.js';
import { buildStatus } from '../../src/status.js';

/**
 * The world of the sync state machine (test/integration/sync-machine.test.ts), in the spirit of
 * vdirsyncer's `SyncMachine`: the real engine, store, client and Web Meeting simulator over HTTP,
 * driven by generated user edits, faults and cycles. Next to them it keeps its own model of the
 * calendars (what the user did), from which the invariants are judged. The model never asks
 * meetsync's code what an event should become: topics, times and tags are known here by
 * construction.
 */

export const BOB = 'bob@example.com';
/** A team calendar whose events Alice organizes (a delegate's calendar): a second calendar of one organizer. */
export const TEAM = 'team@example.com';
/** Organizer of attendee copies in a one-organizer world: not a platform user, never asked for. */
const CAROL = 'carol@example.com';
const SOURCE = 'mem';
const DAY_MS = 86_400_000;
const QUARTER_MS = 15 * 60_000;
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

export interface Tag {
  text: '#webmeeting' | '#WebMeeting';
  at: 'prefix' | 'suffix';
}

/** Where an event sits: `day` after NOW (within the sync window), on a quarter hour, `quarters` long. */
export interface Slot {
  day: number;
  quarter: number;
  quarters: number;
}

export type PlatformFault =
  | { kind: 'status'; status: 500 | 503; count: number; method: 'POST' | 'PUT' | 'DELETE' }
  | { kind: 'drop'; method: 'POST' }
  | { kind: 'lose-answer'; method: 'POST' | 'PUT' | 'DELETE' };

/**
 * A fault of the platform, or a calendar call that fails once (a failed read or write-back).
 * `credential`: the platform refuses the API key for the whole cycle (a key rotated under
 * meetsync, then restored). `feed-lag`: the organizers' feeds leave out meetings created since
 * the previous cycle began.
 */
export type Fault =
  | PlatformFault
  | { kind: 'credential' }
  /** IT removes an organizer's platform user for the cycle (issue 15: an organizer removed and restored). */
  | { kind: 'organizer-removed'; who: number }
  | { kind: 'feed-lag' }
  | { kind: 'calendar'; method: CalendarFaultMethod };

/**
 * Alice alone; Alice and Bob in the configured account; or Bob made by provisioning, in an account
 * of his own that a lost database can find only through his events' stamps (issue 15, finding 6).
 */
export type Organizers = 1 | 2 | 'bob-provisioned';

/**
 * How the organizers' feeds name meetings (assumption 8): by id, or by dashed number only; or by
 * id in a feed that leaves the agenda out (`id-no-agenda`: the tutorial says nothing about the
 * feed's content, so meetsync's reference may never show there, and its absence proves nothing).
 */
export type FeedNames = 'id' | 'number' | 'id-no-agenda';

/**
 * How the engine reads: calendars of the source read at once, a team calendar of Alice's next
 * to the organizers' own (two calendars sharing an organizer), and event-loop turns each read
 * waits (taken in turn), so that concurrent reads finish in another order than they started.
 */
export interface Reading {
  concurrency: number;
  team: boolean;
  turns: readonly number[];
}

const SERIAL: Reading = { concurrency: 1, team: false, turns: [0] };

/** One step. `cal` and `pick` are taken modulo what exists when the step runs, so any sequence is valid. */
export type Op =
  | { kind: 'create'; cal: number; base: string; tag: Tag; slot: Slot }
  | { kind: 'invite'; cal: number; base: string; tag: Tag; slot: Slot }
  | { kind: 'move'; pick: number; slot: Slot }
  /** The organizer undoes the event's last move (issue 15: an edit reverted after a failed or unconfirmed PUT). */
  | { kind: 'undo'; pick: number }
  /** The event becomes all-day, or gets its times back (issue 15: an event that can no longer have a meeting). */
  | { kind: 'all-day'; pick: number }
  | { kind: 'rename'; pick: number; base: string; keepTag: boolean }
  | { kind: 'untag'; pick: number }
  | { kind: 'retag'; pick: number; tag: Tag }
  | { kind: 'delete'; pick: number }
  | { kind: 'cursor-expires' }
  | { kind: 'crash' }
  /** A restart with the source renamed in the config (issue 15, finding 2); a second one renames it back. */
  | { kind: 'rename-source' }
  /** After a last cycle, from a quiet state only (lost-database.ts), meetsync starts on an empty database. */
  | { kind: 'database-lost' }
  /** A cycle, with faults that apply to it only. */
  | { kind: 'cycle'; faults: readonly Fault[] };

interface ModelEvent {
  calendarId: string;
  eventId: string;
  organizerCopy: boolean;
  /** The title without the tag: the meeting topic meetsync must use. */
  base: string;
  tag: Tag | null;
  start: string;
  end: string;
  /** The times before the last move, for 'undo'. */
  before?: { start: string; end: string };
  allDay: boolean;
  live: boolean;
}

export function titleOf(base: string, tag: Tag | null): string {
  if (!tag) return base;
  return tag.at === 'prefix' ? `${tag.text} ${base}` : `${base} ${tag.text}`;
}

function timesOf(slot: Slot): { start: string; end: string } {
  const start = NOW.getTime() + slot.day * DAY_MS + slot.quarter * QUARTER_MS;
  return { start: new Date(start).toISOString(), end: new Date(start + slot.quarters * QUARTER_MS).toISOString() };
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Calendar calls a fault can fail: a read, the read of one event (re-checks, catch-ups), a write-back. */
export type CalendarFaultMethod = 'readChanges' | 'getEvent' | 'writeJoinDetails';

export class SyncWorld {
  private readonly events: ModelEvent[] = [];
  /** Calendar failures queued with failNext and not yet consumed (MemorySource cannot clear them). */
  private readonly queued: Record<CalendarFaultMethod, number> = { readChanges: 0, getEvent: 0, writeJoinDetails: 0 };
  /** When the previous cycle began (wall clock, as the simulator stamps meetings). */
  private lastCycleAt = new Date(0);
  private lagNext = false;
  /** Platform users removed for the current cycle ('organizer-removed'), restored when its faults clear. */
  private readonly removed: string[] = [];
  /** The source's name in the config now ('rename-source' switches it). */
  private sourceName = SOURCE;
  /** Databases that replaced the first ('database-lost'), closed with the world. */
  private readonly replaced: Store[] = [];

  private constructor(
    readonly h: EngineHarness,
    private readonly calendars: readonly string[],
    private readonly engineSettings: (source: string) => Partial<EngineSettings>,
  ) {
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
    await this.h.close();
    this.replaced.splice(0).forEach((s) => s.close());
  }

  async apply(op: Op): Promise<void> {
    const { h } = this;
    switch (op.kind) {
      case 'create':
      case 'invite': {
        if (this.events.length >= MAX_EVENTS) return;
        const calendarId = this.calendars[op.cal % this.calendars.length]!;
        const organizerCopy = op.kind === 'create';
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
        };
        this.events.push(e);
        h.source.put({
          calendarId,
          eventId: e.eventId,
          organizerEmail: organizerCopy ? owner : other,
          isOrganizerCopy: organizerCopy,
          status: 'confirmed',
          kind: 'single',
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
        return this.edit(op.pick, (e) => (e.allDay = !e.allDay), (e) => ({ allDay: e.allDay }));
      case 'rename':
        return this.edit(op.pick, (e) => Object.assign(e, { base: op.base, tag: op.keepTag ? e.tag : null }), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'untag':
        return this.edit(op.pick, (e) => (e.tag = null), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'retag':
        return this.edit(op.pick, (e) => (e.tag = op.tag), (e) => ({ title: titleOf(e.base, e.tag) }));
      case 'delete': {
        const e = this.pick(op.pick);
        if (!e) return;
        e.live = false;
        h.source.remove(e.calendarId, e.eventId);
        return;
      }
      case 'cursor-expires':
        h.source.expireCursors();
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
        this.replaced.push(await loseDatabase(h));
        // The new process's start, on the empty database: the calendars' keys, its settings.
        this.settleKeys();
        h.rebuild(this.engineSettings(this.sourceName));
        await this.cycle();
        return;
      case 'cycle':
        op.faults.forEach((f) => this.inject(f));
        await this.cycle();
        return;
    }
  }

  private inject(fault: Fault): void {
    if (fault.kind === 'credential') {
      this.h.sim.server.inject({
        kind: 'status',
        status: 401,
        body: { responseCode: -1, responseMessage: 'API key not valid', data: null },
        count: 1_000,
        pathIncludes: '/api/v6/',
      });
    } else if (fault.kind === 'organizer-removed') {
      const email = this.calendars.filter((c) => c !== TEAM)[fault.who % this.calendars.filter((c) => c !== TEAM).length]!;
      const user = this.h.store.organizer(email);
      if (user && !this.removed.includes(user.userId)) {
        this.h.sim.removeUser(user.userId);
        this.removed.push(user.userId);
      }
    } else if (fault.kind === 'feed-lag') {
      this.lagNext = true;
    } else if (fault.kind === 'calendar') {
      this.queued[fault.method] += 1;
      this.h.source.failNext(fault.method, new NetworkError(`injected: ${fault.method} connection reset`));
    } else {
      this.h.sim.server.inject({ ...fault, pathIncludes: '/api/v6/meeting' });
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
    if (this.lagNext) h.sim.lagFeed(this.lastCycleAt);
    this.lastCycleAt = new Date();
    const report = await h.engine.runCycle({ allowMassCancel: true });
    // One outcome per event per cycle, whatever path acted on it.
    const keys = report.outcomes.map((o) => `${o.calendarId}/${o.eventId}`);
    expect(keys, 'events with more than one outcome in a cycle').toEqual([...new Set(keys)]);
    const done = {
      platformWrites: nonGet() - before.writes,
      platformCalls: h.platformCalls() - before.calls,
      writeBacks: h.source.calls.writeJoinDetails - before.writeBacks,
    };
    // Every call takes one queued failure, if any is left.
    this.queued.readChanges = Math.max(0, this.queued.readChanges - (h.source.calls.readChanges - before.reads));
    this.queued.writeJoinDetails = Math.max(0, this.queued.writeJoinDetails - done.writeBacks);
    this.queued.getEvent = Math.max(0, this.queued.getEvent - (h.source.calls.getEvent - before.gets));
    await this.clearFaults();
    return done;
  }

  /**
   * No more faults, then cycles until one is quiet: no platform write and no write-back attempt
   * (a write-back that keeps failing is not quiet, even though the platform hears nothing).
   * Returns false when SETTLE_CYCLES were not enough.
   */
  async settle(): Promise<boolean> {
    await this.clearFaults();
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

  /** The invariants of a settled world; each failure names the event and what was found. */
  checkInvariants(): void {
    const { h } = this;
    this.checkModelMatchesCalendars();
    const meetings = new Map(h.sim.meetings().map((m) => [m.id, m]));
    const tagged = this.events.filter((e) => e.live && e.organizerCopy && e.tag !== null);
    // An all-day event cannot have a meeting (the platform's meetings have times): none, and a note saying why.
    const wanted = tagged.filter((e) => !e.allDay);
    // A creation held (its meeting found by number only) stays held whatever the event becomes: status names it.
    const allDay = () => tagged.filter((e) => e.allDay && !heldEvents.has(e.eventId));

    // 3. Nothing left half-created, except a held creation: one whose meeting the feed names
    // without its id (that meeting exists exactly once, carrying its marker), or one the feed
    // cannot prove absent (a feed never seen to carry references, a meeting that may be it):
    // at most one meeting carries its marker. Nothing posted any of them again.
    const held = h.store.mappings({ state: 'creating' }).filter((m) => m.held);
    expect(h.store.mappings({ state: 'creating' }).filter((m) => !m.held).map((m) => m.eventId), "mappings left in state 'creating'").toEqual([]);
    const heldMeetingIds: string[] = [];
    for (const m of held) {
      const carrying = [...meetings.values()].filter((x) => x.agenda.includes(m.marker));
      if (m.meetingNumber) expect(carrying.map((x) => x.meetingId), `meetings of held creation ${m.eventId}`).toEqual([m.meetingNumber]);
      else expect(carrying.length, `meetings of held creation ${m.eventId} (${m.held})`).toBeLessThanOrEqual(1);
      heldMeetingIds.push(...carrying.map((x) => x.id));
    }
    const heldEvents = new Set(held.map((m) => m.eventId));

    // 6. Nothing left noted but why each tagged all-day event has no meeting: failures recovered,
    // attendees' copies are not problems.
    expect(
      h.store.notes().map((n) => `${n.eventId}: ${n.reason.startsWith('all-day event') ? 'all-day' : n.reason}`).sort(),
      'notes left after settling',
    ).toEqual(allDay().map((e) => `${e.eventId}: all-day`).sort());

    // 1. Each live tagged organizer event: one active mapping, its meeting live and in step.
    const expectedMeetingIds: string[] = [...heldMeetingIds];
    for (const e of wanted) {
      if (heldEvents.has(e.eventId)) continue;
      const m = h.store.mapping({ source: this.sourceName, calendarId: e.calendarId, eventId: e.eventId });
      expect(m?.state, `mapping of tagged event ${e.eventId}`).toBe('active');
      const meeting = m?.meetingId ? meetings.get(m.meetingId) : undefined;
      expect(meeting, `live meeting ${m?.meetingId} of tagged event ${e.eventId}`).toBeDefined();
      expect(
        { topic: meeting?.topic, startTime: meeting?.startTime, endTime: meeting?.endTime },
        `meeting of ${e.eventId} in step with the event`,
      ).toEqual({ topic: e.base, startTime: e.start, endTime: e.end });
      // The mapping records what was last sent; if it drifts, a later edit back to it is missed.
      expect({ topic: m?.topic, start: m?.start, end: m?.end }, `mapping of ${e.eventId} records the meeting`).toEqual({
        topic: e.base,
        start: e.start,
        end: e.end,
      });
      expectedMeetingIds.push(m!.meetingId!);
    }

    // 1 + 2. No duplicates, no orphans: live meetings are exactly those of the wanted events,
    // and no other event (deleted, untagged, an attendee's copy) holds an active mapping.
    expect([...meetings.keys()].sort(), 'live platform meetings = meetings of live tagged organizer events').toEqual(expectedMeetingIds.sort());
    expect(
      h.store.mappings({ state: 'active' }).map((m) => m.eventId).sort(),
      'events with an active mapping = live tagged organizer events',
    ).toEqual(wanted.filter((e) => !heldEvents.has(e.eventId)).map((e) => e.eventId).sort());

    // 4. The join block once, for the meeting it maps to, and the stamp naming it.
    for (const m of h.store.mappings({ state: 'active' })) {
      const event = h.source.peek(m.calendarId, m.eventId);
      const description = event?.description ?? '';
      expect(occurrences(description, 'Meeting number:'), `join blocks in ${m.eventId}`).toBe(1);
      expect(description, `join block of ${m.eventId}`).toContain(`Meeting number: ${m.meetingNumber}`);
      expect(event?.stamp?.meetingId, `stamp of ${m.eventId}`).toBe(m.meetingId);
      expect(m.writeBack, `write-back of ${m.eventId}`).toBe('done');
    }
  }

  /** Guards the test itself: the calendars hold what the model says the user did. */
  private checkModelMatchesCalendars(): void {
    for (const e of this.events) {
      const stored = this.h.source.peek(e.calendarId, e.eventId);
      const seen = stored && { status: stored.status, title: stored.title, start: stored.start, end: stored.end, allDay: stored.status === 'cancelled' ? false : stored.allDay };
      const modelled = e.live ? { status: 'confirmed', title: titleOf(e.base, e.tag), start: e.start, end: e.end, allDay: e.allDay } : { status: 'cancelled', title: '', start: undefined, end: undefined, allDay: false };
      expect(seen, `calendar copy of ${e.eventId} as modelled`).toEqual(modelled);
    }
  }

  private pick(n: number): ModelEvent | undefined {
    const live = this.events.filter((e) => e.live);
    return live.length === 0 ? undefined : live[n % live.length];
  }

  private edit(n: number, change: (e: ModelEvent) => unknown, patch: (e: ModelEvent) => Record<string, string | boolean>): void {
    const e = this.pick(n);
    if (!e) return;
    change(e);
    this.h.source.patch(e.calendarId, e.eventId, patch(e));
  }

  /** Clears the simulator's faults and consumes calendar failures still queued. */
  private async clearFaults(): Promise<void> {
    const { h } = this;
    h.sim.server.clearFaults();
    for (const id of this.removed.splice(0)) h.sim.restoreUser(id);
    h.sim.lagFeed(undefined);
    this.lagNext = false;
    for (; this.queued.readChanges > 0; this.queued.readChanges -= 1) {
      // Each call takes one queued failure first; what it would do otherwise does not matter.
      await h.source.readChanges(ALICE, null, { from: NOW, to: NOW }).catch(() => undefined);
    }
    for (; this.queued.getEvent > 0; this.queued.getEvent -= 1) {
      await h.source.getEvent(ALICE, 'no-such-event').catch(() => undefined);
    }
    for (; this.queued.writeJoinDetails > 0; this.queued.writeJoinDetails -= 1) {
      await h.source.writeJoinDetails(ALICE, 'no-such-event', { meetingId: 'x', meetingNumber: 'x', joinUrl: 'x' }).catch(() => undefined);
    }
  }
}
