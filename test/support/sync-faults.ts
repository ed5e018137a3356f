import { NetworkError } from '../../src/domain/errors.js';
import { ALICE, NOW, type EngineHarness } from './engine-harness.js';
import type { CalendarFaultMethod, Fault } from './sync-model.js';

/**
 * The faults of the sync state machine's world (sync-model.ts, Fault): injected for one cycle,
 * and cleared after it, calendar failures still queued included.
 */
export class WorldFaults {
  /** Calendar failures queued with failNext and not yet consumed (MemorySource cannot clear them). */
  private readonly queued: Record<CalendarFaultMethod, number> = { readChanges: 0, getEvent: 0, writeJoinDetails: 0 };
  /** When the previous cycle began (wall clock, as the simulator stamps meetings), and on the engine's clock. */
  private lastCycleAt = new Date(0);
  private lastCycleEngineAt: number | undefined;
  private lagNext = false;
  /** Platform users removed for the current cycle ('organizer-removed'), restored when its faults clear. */
  private readonly removed: string[] = [];

  /** `feedGraceMs`: how long meetsync waits for a feed to show a meeting (README, assumption 8). */
  constructor(
    private readonly h: EngineHarness,
    private readonly feedGraceMs: number,
  ) {}

  /** Injects `fault` for the next cycle; `organizers` are the emails 'organizer-removed' picks from. */
  inject(fault: Fault, organizers: readonly string[]): void {
    if (fault.kind === 'credential') {
      this.h.sim.server.inject({
        kind: 'status',
        status: 401,
        body: { responseCode: -1, responseMessage: 'API key not valid', data: null },
        count: 1_000,
        pathIncludes: '/api/v6/',
      });
    } else if (fault.kind === 'organizer-removed') {
      const email = organizers[fault.who % organizers.length]!;
      const user = this.h.store.organizer(email);
      if (user && !this.removed.includes(user.userId)) {
        this.h.sim.removeUser(user.userId);
        this.removed.push(user.userId);
      }
    } else if (fault.kind === 'feed-lag') {
      this.lagNext = true;
    } else if (fault.kind === 'feed-broken') {
      const live = this.h.sim.meetings().map((m) => m.id);
      this.h.sim.breakFeedEntries(fault.pick === 'all' ? live : live.slice(fault.pick % Math.max(1, live.length)).slice(0, 1));
    } else if (fault.kind === 'calendar') {
      this.queued[fault.method] += 1;
      this.h.source.failNext(fault.method, new NetworkError(`injected: ${fault.method} connection reset`));
    } else {
      this.h.sim.server.inject({ ...fault, pathIncludes: '/api/v6/meeting' });
    }
  }

  /**
   * The cycle begins: a feed told to lag leaves out what was created since the previous one began,
   * as long as that is less than the feed grace ago on the engine's clock. A feed later than that
   * is outside what meetsync assumes (the engine then takes an absence as proof); IT acting on
   * status between two cycles (followStatus) moves the clock on (seed 1143512828).
   */
  beforeCycle(): void {
    if (this.lagNext && (this.lastCycleEngineAt === undefined || this.h.now.getTime() - this.lastCycleEngineAt < this.feedGraceMs)) this.h.sim.lagFeed(this.lastCycleAt);
    this.lastCycleAt = new Date();
    this.lastCycleEngineAt = this.h.now.getTime();
  }

  /** The cycle made these calls; each took one queued failure, if any was left. */
  consumed(reads: number, writeBacks: number, gets: number): void {
    this.queued.readChanges = Math.max(0, this.queued.readChanges - reads);
    this.queued.writeJoinDetails = Math.max(0, this.queued.writeJoinDetails - writeBacks);
    this.queued.getEvent = Math.max(0, this.queued.getEvent - gets);
  }

  /** Clears the simulator's faults and consumes calendar failures still queued. */
  async clear(): Promise<void> {
    const { h } = this;
    h.sim.server.clearFaults();
    for (const id of this.removed.splice(0)) h.sim.restoreUser(id);
    h.sim.lagFeed(undefined);
    h.sim.breakFeedEntries([]);
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
