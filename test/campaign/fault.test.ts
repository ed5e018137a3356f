import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_NAMES, type DrawnFault } from '../../src/simulators/kit/faults.js';
import { rateLimitBody } from '../../src/simulators/google/errors.js';
import { renderStatus, statusNeedsAttention } from '../../src/status.js';
import { BACKUP_CYCLES, FaultWorld, MAILBOXES, seededExtras, seededOffline, seededSteps, type CycleResult, type Offline, type WorldState } from '../support/fault-world.js';
import { testSeeds } from '../support/seed.js';

/**
 * The fault campaign (issue 11, item 4): 20 sync cycles in which 10% of the calls to every
 * simulator (the Web Meeting platform, Google Calendar, Microsoft Graph, token endpoints
 * included) fail in each of the ways faults.ts names, while organizers create, move, rename and
 * cancel events between cycles. After a few fault-free cycles the system must be where a
 * fault-free run of the same script is: the same meetings by event, with the same titles and
 * times, join links written, no duplicate, nothing orphaned. While faults last, `status` names
 * what fails and why.
 *
 * Issue 15: between cycles, with meetsync stopped, a source is renamed or a Google calendar id
 * written in another case, and the database is deleted or replaced by an older copy
 * (seededOffline); each start after moves the calendars' rows to the new names, and a lost
 * database is rebuilt from the stamps in the events. A loss waits for a moment when everything
 * meetsync did is confirmed and in the calendars (what a database is rebuilt from), as long as
 * faults make it wait (the fault-free settling comes first if it never comes), and the first start
 * after it runs before organizers edit again, without faults: an event deleted while no mapping
 * knows it leaves no stamp to rebuild from, and its meeting would stay (README, "A lost database
 * is rebuilt from the calendars").
 *
 * Issue 17: the campaign runs on the store the engine's tests run on (MEETSYNC_TEST_STORE=postgres:
 * the vitest project engine-on-postgres), with the same seeds, cycles and steps on both: on
 * PostgreSQL a copy is copyStore into a new database, a loss a new empty database, a restore a
 * copy copied into another new one (test/support/campaign-database.ts). The one engine of the
 * world serves every calendar without leases, as in the engine's other tests.
 *
 * A run takes one of the seeds below that once failed in CI (a different one each day) and a
 * random one, both printed; FAULT_SEED=<n> replays a run (the script and the faults).
 */

const SEEDS = testSeeds('fault', import.meta.url, { fixed: [1552088179, 1070131348, 958626449, 968708717], perRun: 1 });
const CYCLES = 20;
const RATE = 0.1;
/** Organizers' actions between two cycles. */
const STEPS_PER_CYCLE = 3;
const INITIAL_EVENTS = 8;

const initial = Array.from({ length: INITIAL_EVENTS }, (_, i) => ({ kind: 'create' as const, calendar: i, day: 2 + i, hour: 9, tagged: i !== 5 }));

interface Run {
  state: WorldState;
  expected: ReturnType<FaultWorld['expected']>;
  settledIn: number | undefined;
  finalStatus: string;
  needsAttention: boolean;
  drawn?: Record<string, DrawnFault[]>;
  /** Requests each simulator received during the faulty cycles. */
  calls?: Record<string, number>;
  /** Faulty cycles that left something undone (status named each thing, with why). */
  undone: number;
  /** Status after each of SURE_CYCLES. */
  named: string[];
  /** Issue 15's steps between runs, with the cycle after which each was taken. */
  offline: string[];
  /** Issue 20: the event journal's size, at its largest after any cycle and at the end. */
  journal: { peakEntries: number; peakForOneEvent: number; end: ReturnType<FaultWorld['store']['journalSize']> };
}

/** Cycles with a fault that is there whatever the seed, so every run has something for status to name. */
const SURE_CYCLES = [1, 5];

/**
 * Besides the random faults: in cycle 1 the answer to the first POST /meeting is lost (the
 * platform made the meeting; meetsync must adopt it, never post it again), in cycle 5 Google
 * refuses every read of Alice's calendar with 403 rateLimitExceeded (and nothing else fails at Google).
 */
function injectSure(world: FaultWorld, cycle: number): void {
  if (cycle === SURE_CYCLES[0]) world.wm.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
  // Every read of Alice's calendar in that cycle, the first calendar's (whatever reads come first), and no more.
  // Google's random faults are held for that cycle: a random one on the token endpoint would be
  // the last error status shows instead (CI seeds 1552088179, 958626449).
  if (cycle === SURE_CYCLES[1]) {
    world.google.server.pauseCampaign(true);
    world.google.server.inject({ kind: 'status', status: 403, body: rateLimitBody(403), method: 'GET', pathIncludes: 'alice', count: 1_000 });
  }
  if (cycle === SURE_CYCLES[1]! + 1) {
    world.google.server.clearFaults();
    world.google.server.pauseCampaign(false);
  }
  // Issue 15: IT removes an Outlook organizer's platform user for one cycle, then restores it.
  // Their changes wait (held, named in status); everyone else's go on; nothing is lost.
  if (cycle === REMOVED_CYCLE) {
    removedUser = world.wm.users().find((u) => u.email === MAILBOXES[0])?.id;
    if (removedUser) world.wm.removeUser(removedUser);
  }
  if (cycle === REMOVED_CYCLE + 1 && removedUser) world.wm.restoreUser(removedUser);
}

/** The platform user removed in REMOVED_CYCLE of the current faulty run. */
let removedUser: string | undefined;

/** The cycle in which an organizer's platform user is removed (restored before the next). */
const REMOVED_CYCLE = 9;

/**
 * What a cycle left undone, and that `status` names each part with its reason: a calendar
 * whose read failed, an event whose action failed, a creation not confirmed, a join link not
 * written. Returns how many things were left undone.
 */
function checkStatusNames(world: FaultWorld, { report, status }: CycleResult, cycle: number, replay: string): number {
  const text = renderStatus(status);
  const where = `cycle ${cycle} (${replay}); status was:\n${text}`;
  let undone = 0;
  for (const c of status.calendars.filter((x) => x.consecutiveFailures > 0)) {
    undone += 1;
    expect(text, `status names failing calendar ${c.calendarId}, ${where}`).toContain(`${c.source} / ${c.calendarId}: FAILING`);
    expect(c.lastError, `status says why ${c.calendarId} fails, ${where}`).toBeTruthy();
    expect(text, `status says why ${c.calendarId} fails, ${where}`).toContain(c.lastError!);
  }
  const failed = report.outcomes.filter((o) => o.outcome === 'failed');
  const creating = world.store.mappings({ state: 'creating' });
  const writeBacks = world.store.mappings({ state: 'active' }).filter((m) => m.writeBack === 'pending');
  for (const thing of [...failed, ...creating, ...writeBacks]) {
    undone += 1;
    const problem = status.problems.find((p) => p.source === thing.source && p.calendarId === thing.calendarId && p.eventId === thing.eventId);
    expect(problem, `status names event ${thing.eventId} in ${thing.calendarId}, left undone, ${where}`).toBeDefined();
    expect(problem!.reason.length, `status says why ${thing.eventId} is left undone, ${where}`).toBeGreaterThan(10);
    expect(text, `status shows event ${thing.eventId}'s reason, ${where}`).toContain(`in ${thing.calendarId}: ${problem!.reason}`);
  }
  return undone;
}

/** The engine's clock at the start of both runs (on the hour; the script's times hang on it). */
const START = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);

/** Both runs of a seed act out its script: initial events, then STEPS_PER_CYCLE actions before each cycle. */
async function run(seed: number, faulty: boolean): Promise<Run> {
  const script = seededSteps(seed, CYCLES * STEPS_PER_CYCLE);
  const extras = seededExtras(seed, CYCLES);
  const world = await FaultWorld.start(START);
  try {
    initial.forEach((s) => world.act(s));
    let undone = 0;
    let drawn: Record<string, DrawnFault[]> | undefined;
    const named: string[] = [];
    if (faulty) world.faults({ rate: RATE, seed, kinds: FAULT_NAMES });
    const offline: string[] = [];
    const journal = { peakEntries: 0, peakForOneEvent: 0 };
    const measureJournal = () => {
      const size = world.store.journalSize();
      journal.peakEntries = Math.max(journal.peakEntries, size.entries);
      journal.peakForOneEvent = Math.max(journal.peakForOneEvent, size.mostForOneEvent);
      return size;
    };
    const due = seededOffline(seed);
    const backups = [...BACKUP_CYCLES];
    /** Takes the steps due after `cycle` (a loss only when allConfirmed), checking each start re-keyed the renamed calendars. */
    const between = async (cycle: number) => {
      if (backups.length > 0 && cycle >= backups[0]! && world.store.mappings({ state: 'creating' }).length === 0) {
        backups.shift();
        offline.push(`after cycle ${cycle}: copy ${await world.backup()} taken`);
      }
      while (due.length > 0 && cycle >= due[0]!.cycle && (due[0]!.change.kind === 'rename' || world.allConfirmed() || cycle > CYCLES)) {
        const { change } = due.shift()!;
        const keys = await world.restart(change);
        offline.push(`after cycle ${cycle}: ${describeOffline(change)}`);
        if (change.kind === 'rename') expect(keys.moved.length, `${describeOffline(change)}: rows moved at start (${SEEDS.replay(seed)})`).toBeGreaterThan(0);
        // The first start after a loss rebuilds the mappings before organizers edit again, without
        // faults: an event deleted before its mapping is rebuilt leaves nothing to find its meeting by.
        else await world.firstStart();
      }
    };
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      if (faulty) injectSure(world, cycle);
      const result = await world.cycle();
      if (faulty && checkStatusNames(world, result, cycle, SEEDS.replay(seed)) > 0) undone += 1;
      if (faulty && SURE_CYCLES.includes(cycle)) named.push(renderStatus(result.status));
      measureJournal();
      await between(cycle);
      script.slice((cycle - 1) * STEPS_PER_CYCLE, cycle * STEPS_PER_CYCLE).forEach((s) => world.act(s));
      const extra = extras[cycle - 1];
      if (extra) world.act(extra);
    }
    const calls = world.calls();
    if (faulty) drawn = world.faults(null);
    if (due.length > 0) {
      // Faults kept something unconfirmed after every cycle since a loss was due: settle first, then lose.
      await world.settle();
      await between(CYCLES + 1);
    }
    const settledIn = await world.settle();
    const status = world.status();
    const journalEnd = measureJournal();
    return {
      state: world.state(),
      expected: world.expected(),
      settledIn,
      finalStatus: renderStatus(status),
      needsAttention: statusNeedsAttention(status),
      undone,
      named,
      offline,
      journal: { ...journal, end: journalEnd },
      ...(drawn ? { drawn, calls } : {}),
    };
  } finally {
    await world.close();
  }
}

/** Each event of a settled run holds exactly the meeting the script says, with its join link. */
function checkConverged(r: Run, label: string, replay: string): void {
  const why = `${label} run (${replay})`;
  expect(r.settledIn, `${why}: fault-free cycles settle; status:\n${r.finalStatus}`).toBeDefined();
  expect(r.needsAttention, `${why}: status is ok after settling; status:\n${r.finalStatus}`).toBe(false);
  expect(r.finalStatus, `${why}: no calendar failing`).not.toContain('FAILING');
  expect(r.state.orphans, `${why}: live meetings no live tagged event holds`).toEqual([]);
  for (const [event, want] of Object.entries(r.expected)) {
    const got = r.state.events[event]!;
    expect(got.meetings, `${why}: meetings of ${event}`).toEqual(want ? [want] : []);
    expect(got.joinLink, `${why}: join link of ${event}`).toBe(want ? 'written' : 'absent');
  }
}

function describeOffline(change: Offline): string {
  if (change.kind === 'rename') return change.what === 'case' ? "the first Google calendar id's case changed" : `the ${change.what} source renamed`;
  return change.kind === 'lose' ? 'the database lost' : `the database restored from copy ${change.copy}`;
}

function summary(drawn: Record<string, DrawnFault[]>): string {
  const bySim = Object.entries(drawn).map(([sim, faults]) => {
    const byKind = new Map<string, number>();
    faults.forEach((f) => byKind.set(f.name, (byKind.get(f.name) ?? 0) + 1));
    return `${sim}: ${faults.length} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})`;
  });
  // The faults that test exactly-once creation: the platform made the meeting, meetsync never heard.
  const unheard = (drawn.webMeeting ?? []).filter((f) => f.method === 'POST' && (f.name === 'lost-answer' || f.name === 'malformed')).length;
  return `${bySim.join('; ')}; creations answered but unheard: ${unheard}`;
}

describe.for(SEEDS.list)(`fault campaign: ${CYCLES} cycles, ${RATE * 100} in 100 calls failing (seed %i)`, (seed) => {
  const replay = SEEDS.replay(seed);
  let clean: Run;
  let faulty: Run;

  beforeAll(async () => {
    clean = await run(seed, false);
    faulty = await run(seed, true);
    console.log(`on ${process.env.MEETSYNC_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'}: calls: ${JSON.stringify(faulty.calls)}; faults drawn: ${summary(faulty.drawn!)}; faulty cycles leaving work undone: ${faulty.undone}; settled in ${faulty.settledIn} fault-free cycle(s)`);
    console.log(`event journal: fault-free run ${JSON.stringify(clean.journal)}; faulty run ${JSON.stringify(faulty.journal)}`);
    console.log(`between runs: fault-free run: ${clean.offline.join('; ')}\n  faulty run: ${faulty.offline.join('; ')}`);
  }, 240_000);

  it('draws every kind of fault, and some cycles are left with work undone that status names', () => {
    const kinds = new Set(Object.values(faulty.drawn!).flat().map((f) => f.name));
    // 10% of several hundred calls: each kind comes up in practically every seed.
    expect(kinds.size, `kinds drawn: ${[...kinds].join(', ')} (${replay})`).toBeGreaterThanOrEqual(FAULT_NAMES.length - 2);
    expect(faulty.undone, `faulty cycles that left something for status to name (${replay})`).toBeGreaterThan(0);
  });

  it("names in status the creation whose answer was lost and the calendar Google rate-limits, with why", () => {
    const [lost, limited] = faulty.named;
    expect(lost, `status after cycle ${SURE_CYCLES[0]} (${replay})`).toMatch(/\[creation\] Topic e\d+ .* in \S+@example\.com: .*(not confirmed|confirmed from the organizer's feed)/);
    expect(limited, `status after cycle ${SURE_CYCLES[1]} (${replay})`).toMatch(/corp-google \/ alice@example\.com: FAILING \(\d+ cycles?\)\n.*\n  last error: .*Rate Limit Exceeded/);
  });

  it("keeps each event's journal within its bound while faults repeat failures, retries and re-reads", () => {
    // Issue 20: at most 50 entries an event (journal.maxEntriesPerEvent's default), a retried
    // failure counted on one entry rather than one each; faults add calls, not an unbounded story.
    for (const [label, r] of [['fault-free', clean], ['faulty', faulty]] as const) {
      expect(r.journal.peakForOneEvent, `${label} run: most entries for one event (${replay})`).toBeLessThanOrEqual(50);
      expect(r.journal.end.entries, `${label} run: entries at the end (${replay})`).toBeLessThanOrEqual(50 * r.journal.end.events);
      expect(r.journal.end.entries, `${label} run: a journal was kept (${replay})`).toBeGreaterThan(0);
    }
  });

  it('the fault-free run ends where the script says', () => {
    checkConverged(clean, 'fault-free', replay);
  });

  it('the faulty run converges to the same state as the fault-free run, and status is ok', () => {
    checkConverged(faulty, 'faulty', replay);
    expect(faulty.state, `faulty run's state = fault-free run's (${replay})`).toEqual(clean.state);
  });
});
