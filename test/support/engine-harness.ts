import { MemorySource, type MemorySourceOptions } from '../../src/calendars/memory.js';
import type { CalendarEvent } from '../../src/domain/event.js';
import { silentLogger } from '../../src/log.js';
import { WebMeetingSimulator, type WebMeetingSimulatorOptions } from '../../src/simulators/webmeeting/server.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore, type TestStore } from './test-store.js';
import { SyncEngine, type EngineSettings } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';

export const API_KEY = 'engine-test-api-key-0123456789';
export const ALICE = 'alice@example.com';
export const CAL = 'alice@example.com';
/** The engine's clock in these tests. Events are placed after it. */
export const NOW = new Date('2026-12-01T08:00:00.000Z');

export function settings(over: Partial<EngineSettings> = {}): EngineSettings {
  return {
    rules: { keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] },
    window: { pastDays: 1, futureDays: 180 },
    onEventCancelled: 'delete',
    accountIds: [],
    provisioning: { enabled: false, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2027-12-31T00:00:00.000Z' },
    defaults: { type: 'standard', isRecorded: false, isDialin: false },
    safety: { maxCancelShare: 0.2, maxCancelMin: 5 },
    ...over,
  };
}

export interface EngineHarness {
  sim: WebMeetingSimulator;
  platform: WebMeetingClient;
  store: Store;
  source: MemorySource;
  engine: SyncEngine;
  accountId: string;
  /** Platform requests received since the harness started (simulator's count, not the client's). */
  platformCalls(): number;
  /** The engine's clock: NOW until advanced. */
  now: Date;
  /** Moves the engine's clock forward (the next cron tick, a wait for the feed). */
  advance(ms: number): void;
  rebuild(over?: Partial<EngineSettings>, store?: Store): SyncEngine;
  /**
   * Puts another database in the harness's place (a lost one, a restored one: lost-database.ts)
   * and returns its store; closed (and dropped, on PostgreSQL) with the harness. The caller
   * rebuilds the engine.
   */
  replaceStore(opened: TestStore): Store;
  /** Closes every store the harness opened or was given, and the simulator. */
  close(): Promise<void>;
}

export async function startEngineHarness(
  over: Partial<EngineSettings> = {},
  calendars = [CAL],
  simOptions: Partial<WebMeetingSimulatorOptions> = {},
  sourceOptions: Pick<MemorySourceOptions, 'readTurns'> = {},
): Promise<EngineHarness> {
  const sim = new WebMeetingSimulator({ ...simOptions, apiKey: API_KEY });
  await sim.start();
  const { account } = sim.seedAccount({ adminEmail: ALICE, adminFirstname: 'Alice', adminLastname: 'Example' });
  const platform = new WebMeetingClient({ baseUrl: sim.url, apiKey: API_KEY, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  const opened = [await openTestStore()];
  const { store } = opened[0]!;
  await refreshOrganizers(platform, store, [account.id], NOW);
  const source = new MemorySource({ ...sourceOptions, name: 'mem', calendars });
  const h: EngineHarness = {
    sim,
    platform,
    store,
    source,
    accountId: account.id,
    engine: undefined as unknown as SyncEngine,
    platformCalls: () => sim.server.requests.length,
    now: NOW,
    advance: (ms) => {
      h.now = new Date(h.now.getTime() + ms);
    },
    // The store is h.store unless given: a world that replaced it (a lost database) keeps the new one.
    rebuild: (o = over, s = h.store) => {
      h.engine = new SyncEngine({ store: s, platform, sources: [source], settings: settings({ accountIds: [account.id], ...o }), logger: silentLogger(), now: () => h.now });
      return h.engine;
    },
    replaceStore: (o) => {
      opened.push(o);
      h.store = o.store;
      return o.store;
    },
    close: async () => {
      for (const o of opened.splice(0)) await o.close();
      await sim.stop();
    },
  };
  h.rebuild(over);
  return h;
}

let counter = 0;

/** A tagged one-hour event in Alice's calendar, organized by her, starting `daysAhead` after NOW. */
export function tagged(over: Partial<CalendarEvent> = {}, daysAhead = 2): Omit<CalendarEvent, 'source'> {
  counter += 1;
  const start = new Date(NOW.getTime() + daysAhead * 86_400_000);
  return {
    calendarId: CAL,
    eventId: `evt${counter}`,
    organizerEmail: ALICE,
    isOrganizerCopy: true,
    status: 'confirmed',
    kind: 'single',
    title: `Planning ${counter} #webmeeting`,
    description: 'Agenda: budget',
    location: '',
    categories: [],
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
    timeZone: 'Europe/Berlin',
    allDay: false,
    ...over,
  };
}

/**
 * Gives Alice a meeting made and confirmed by meetsync, three days ahead, so that her feed can
 * show meetsync's reference for a meeting it knows. Only a feed seen to do so makes a lost
 * creation's absence evidence that its POST never took effect (src/sync/feed-evidence.ts);
 * before that, such a creation is held. Costs one POST.
 */
export async function giveAliceAKnownMeeting(h: EngineHarness): Promise<CalendarEvent> {
  const e = h.source.put(tagged({}, 3));
  await h.engine.runCycle();
  return e;
}
