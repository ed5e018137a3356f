import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { PENDING_DEFAULTS } from '../../src/sync/pending.js';
import type { Tries } from '../../src/domain/attention.js';
import { saveProfile } from '../../src/store/platform-profile.js';
import { CrashHarness, Rng, type KillPlan, type KillPoint, type Sim } from '../support/crash-harness.js';
import { testSeeds } from '../support/seed.js';

/**
 * Issue 11, item 3: a crash campaign. `meetsync sync` runs as its own process against the
 * simulators and is SIGKILLed inside its cycles, again and again, while organizers create, move,
 * rename and cancel events in a Google calendar and an Outlook mailbox. Some kills are aimed
 * (between the platform's answer and meetsync's commit, during the write-back of the join link,
 * during a calendar read), the rest land at random instants. Then, after a few clean cycles,
 * the platform, the database and the calendars must agree: one meeting per tagged event, none
 * orphaned or duplicated, none for a cancelled event, the join link in every event.
 * Issue 15: between runs, sources are renamed, and the database is deleted or replaced by an older
 * copy (see OFFLINE_ROUNDS).
 *
 * A run takes the seed CI once failed on and a random one, both printed; CRASH_SEED=<n> replays
 * a run (the organizers' edits and where the kills are aimed; a timer kill's instant is the
 * seed's, but what the process is doing then depends on the machine's speed).
 */

const SEEDS = testSeeds('crash', import.meta.url, { fixed: [559485411] });

/**
 * Issue 17: the campaign runs on the store the engine's tests run on (MEETSYNC_TEST_STORE=postgres:
 * the vitest project engine-on-postgres), its database lost, copied and restored by
 * CrashHarness (test/support/campaign-database.ts). On PostgreSQL a `sync` takes longer (its
 * statements go through a worker thread), and after each kill the next waits out the killed
 * process's leases (LEASE_SECONDS): a seed there aims two thirds of the kills (at least 2 per
 * point and per method) and takes its loss and restore earlier (OFFLINE_ROUNDS), keeping the
 * file at a few minutes on 2 cores. Every kind of step is still taken.
 */
const ON_POSTGRES = process.env.MEETSYNC_TEST_STORE === 'postgres';

/**
 * Kills wanted at each point, for each seed; the campaign runs until every count is reached. Two
 * seeds of 18 kills take about the time one of 32 took.
 */
const KILLS_WANTED: Record<KillPoint, number> = ON_POSTGRES
  ? { 'platform-answer': 6, 'write-back': 2, 'calendar-read': 2, timer: 2 }
  : { 'platform-answer': 9, 'write-back': 3, 'calendar-read': 3, timer: 3 };
/** Of the platform-answer kills, at least this many after each of POST, PUT and DELETE. */
const PER_METHOD = ON_POSTGRES ? 2 : 3;
/** A guard: the campaign gives up (and fails) after this many cycles. */
const MAX_ROUNDS = 120;
/** Enough clean cycles to finish everything once the grace periods are over. */
const MAX_CLEAN_CYCLES = 6;
/** Beyond this, new events are not created (cycles stay short). */
const MAX_LIVE = 12;
/**
 * Issue 15: between runs, with meetsync down, the operator renames a source or writes the Google
 * calendar id in another case, the database is lost, or it is restored from a copy taken
 * earlier in the campaign: a loss and a restore a seed, at these rounds in an order the seed draws,
 * each followed by a rename from the quiet world they leave; and now and then a rename between
 * two rounds of kills.
 */
const OFFLINE_ROUNDS = ON_POSTGRES ? [4, 9] : [5, 12];
type Offline = 'lose' | 'restore';
const TOPICS = ['Planning', 'Retro', 'Budget review', 'Standup', 'Design sync', 'Hiring panel', 'Roadmap'];

interface ModelEvent {
  sim: 'google' | 'graph';
  id: string;
  /** The title without the tag: the topic meetsync must give the meeting. */
  base: string;
  start: string;
  end: string;
  /** The times before the last move, for an undo (issue 15: an edit reverted after an unconfirmed PUT). */
  before?: { start: string; end: string };
  /** All-day now: no meeting, and its join link removed (issue 15: an event that can no longer have one). */
  allDay: boolean;
  live: boolean;
}

describe.for(SEEDS.list)('crash campaign: meetsync sync SIGKILLed inside its cycles (seed %i)', (seed) => {
  let h: CrashHarness;
  const rng = new Rng(seed);
  const events: ModelEvent[] = [];
  const kills = new Map<string, number>();
  const perPoint: Record<KillPoint, number> = { 'platform-answer': 0, 'write-back': 0, 'calendar-read': 0, timer: 0 };
  const perMethod: Record<'POST' | 'PUT' | 'DELETE', number> = { POST: 0, PUT: 0, DELETE: 0 };
  let uncommittedPosts = 0;
  let names = 0;
  /** The organizers' platform user ids (issue 15: IT removes one for a cycle, then restores it). */
  const organizerIds: string[] = [];
  let removals = 0;
  /** What the config calls the sources and the Google calendar now (issue 15: renamed between runs). */
  const configNames = { google: 'corp-google', graph: 'corp-m365', calendar: '' };
  /** The numbers of the copies of the database taken between runs (CrashHarness.backup), oldest first. */
  const backups: number[] = [];
  const offlineDone: string[] = [];

  beforeAll(async () => {
    h = await CrashHarness.start();
    const { account, admin } = h.w.webMeeting.seedAccount({ adminEmail: h.w.calendar, adminFirstname: 'Alice' });
    const bob = h.w.webMeeting.addUser(account.id, { email: h.w.mailbox!, firstName: 'Bob' });
    organizerIds.push(admin.id, bob.id);
    configNames.calendar = h.w.calendar;
    // The organizers come from this account (meetsync reads its users), not from `accounts create`.
    const config = readFileSync(h.w.configPath, 'utf8');
    writeFileSync(h.w.configPath, config.replace('accountIds: []', `accountIds: [${account.id}]`));
  });
  afterAll(async () => h?.close());

  const live = (sim?: Sim) => events.filter((e) => e.live && (!sim || e.sim === sim));
  const slot = () => {
    const start = Date.UTC(2030, 0, 1) + rng.int(0, 300) * 86_400_000 + rng.int(32, 68) * 15 * 60_000;
    return { start: new Date(start).toISOString(), end: new Date(start + rng.int(1, 8) * 15 * 60_000).toISOString() };
  };
  const newBase = () => `${rng.pick(TOPICS)} ${(names += 1)}`;
  // Graph takes a local time in the zone given (here UTC), without an offset.
  const graphTime = (iso: string) => ({ dateTime: iso.replace(/\.000Z$/, ''), timeZone: 'UTC' });
  const googleTime = (iso: string) => ({ dateTime: iso, timeZone: 'UTC' });

  /** What organizers do between cycles, through the simulators' user APIs. */
  const act = {
    create(sim: 'google' | 'graph'): void {
      if (live().length >= MAX_LIVE) return;
      const e = { sim, base: newBase(), ...slot(), allDay: false, live: true };
      const id =
        sim === 'google'
          ? h.w.google.userInsert(h.w.calendar, { summary: `${e.base} #webmeeting`, start: googleTime(e.start), end: googleTime(e.end) }).id!
          : h.w.graph!.userInsert(h.w.mailbox!, { subject: e.base, categories: ['Web Meeting'], start: graphTime(e.start), end: graphTime(e.end) }).id;
      events.push({ ...e, id });
    },
    /** An all-day event moved stays all-day: its new times show when it gets times back (as in fault-world.ts). */
    move(e: ModelEvent): void {
      Object.assign(e, { before: { start: e.start, end: e.end } }, slot());
      if (!e.allDay) act.times(e);
    },
    /** The organizer undoes the last move (or, never moved, moves it). */
    undo(e: ModelEvent): void {
      if (!e.before) return act.move(e);
      Object.assign(e, { before: { start: e.start, end: e.end } }, e.before);
      if (!e.allDay) act.times(e);
    },
    /** The event becomes all-day on the day it starts, or gets its times back. */
    allDay(e: ModelEvent): void {
      e.allDay = !e.allDay;
      if (!e.allDay) return act.times(e);
      const day = e.start.slice(0, 10);
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      // Google: an all-day event has start.date and end.date (exclusive); Graph: isAllDay with midnights.
      if (e.sim === 'google') h.w.google.userPatch(h.w.calendar, e.id, { start: { date: day }, end: { date: next } });
      else h.w.graph!.userPatch(h.w.mailbox!, e.id, { isAllDay: true, start: { dateTime: `${day}T00:00:00`, timeZone: 'UTC' }, end: { dateTime: `${next}T00:00:00`, timeZone: 'UTC' } });
    },
    times(e: ModelEvent): void {
      if (e.sim === 'google') h.w.google.userPatch(h.w.calendar, e.id, { start: googleTime(e.start), end: googleTime(e.end) });
      else h.w.graph!.userPatch(h.w.mailbox!, e.id, { isAllDay: false, start: graphTime(e.start), end: graphTime(e.end) });
    },
    rename(e: ModelEvent): void {
      e.base = newBase();
      if (e.sim === 'google') h.w.google.userPatch(h.w.calendar, e.id, { summary: `${e.base} #webmeeting` });
      else h.w.graph!.userPatch(h.w.mailbox!, e.id, { subject: e.base });
    },
    cancel(e: ModelEvent): void {
      e.live = false;
      if (e.sim === 'google') h.w.google.userDelete(h.w.calendar, e.id);
      else h.w.graph!.userDelete(h.w.mailbox!, e.id);
    },
  };

  const anySim = () => rng.pick(['google', 'graph'] as const);
  /** One random edit; with nothing to edit, a creation. */
  const randomEdit = (sim: 'google' | 'graph' = anySim()): void => {
    const candidates = live(sim);
    const kind = candidates.length === 0 ? 'create' : rng.pick(['create', 'move', 'rename', 'cancel', 'undo', 'allDay'] as const);
    if (kind === 'create') act.create(sim);
    else act[kind](rng.pick(candidates));
  };

  /** The point with the largest share still missing; among equals, a random one. */
  const nextPoint = (): KillPoint => {
    const missing = (Object.keys(KILLS_WANTED) as KillPoint[]).map((p) => ({ p, share: 1 - perPoint[p] / KILLS_WANTED[p] + rng.next() * 0.3 }));
    return missing.sort((a, b) => b.share - a.share)[0]!.p;
  };

  /** Makes the edits that lead the next cycle to `point`, and says how to recognize it. */
  const prepare = (point: KillPoint, timerSpanMs: number): KillPlan => {
    const sim = anySim();
    switch (point) {
      case 'platform-answer': {
        const method = (['POST', 'PUT', 'DELETE'] as const).map((m) => ({ m, n: perMethod[m] + rng.next() })).sort((a, b) => a.n - b.n)[0]!.m;
        const candidates = live(sim);
        if (method === 'POST' || candidates.length === 0) act.create(sim);
        else if (method === 'PUT') rng.pick([act.move, act.rename, act.undo])(rng.pick(candidates));
        else act.cancel(rng.pick(candidates));
        return {
          point,
          matches: (moment, at, req) => (moment === 'responded' && at === 'webmeeting' && req.method === method && req.path.startsWith('/api/v6/meeting') ? `${method} answered` : undefined),
        };
      }
      case 'write-back': {
        act.create(sim);
        const when = rng.pick(['request', 'responded'] as const);
        return {
          point,
          matches: (moment, at, req) => (moment === when && at === sim && req.method === 'PATCH' ? `PATCH ${when === 'request' ? 'received' : 'answered'} (${at})` : undefined),
        };
      }
      case 'calendar-read': {
        randomEdit();
        const isRead = (at: Sim, path: string) => (at === 'google' ? /\/calendars\/[^/]+\/events$/.test(path) : at === 'graph' && path.includes('/delta'));
        return { point, matches: (moment, at, req) => (moment === 'request' && at === sim && req.method === 'GET' && isRead(at, req.path) ? `read of ${at}` : undefined) };
      }
      case 'timer':
        randomEdit();
        if (rng.chance(0.5)) randomEdit();
        return { point, afterMs: rng.int(0, timerSpanMs) };
    }
  };

  /**
   * Stands in for the clock: unconfirmed creations become older than the feed's grace, and retries
   * waiting for their time (domain/attention.ts) come due, as cron cycles over the next hour would
   * make them.
   */
  const letGracePass = (): void => {
    const store = h.open();
    try {
      for (const m of store.mappings({ state: 'creating' })) {
        // A held creation is looked at again hourly: an hour passes for it.
        const wait = m.held ? PENDING_DEFAULTS.heldRecheckMs : PENDING_DEFAULTS.feedGraceMs;
        store.saveMapping({ ...m, updatedAt: new Date(Date.parse(m.updatedAt) - wait - 60_000).toISOString() });
      }
      // IT does what status asks of a creation held because the organizer's feed was never seen
      // carrying references (after a lost database, an organizer with no meeting meetsync knows):
      // it runs the probe, which confirms the simulator's feeds carry the agenda. Stood in for by
      // storing that result; test/e2e/probe.test.ts runs the probe itself.
      if (store.mappings({ state: 'creating' }).some((m) => m.held?.includes('--probe-platform'))) {
        const entries = ['feed-carries-agenda', 'feed-shows-soon'].map((assumption) => ({ assumption, result: 'confirmed' as const, detail: 'seen by the probe' }));
        saveProfile(store.sql, { platform: 'the simulator', organizerEmail: 'alice@example.com', probedAt: new Date().toISOString(), entries });
      }
      const due = (t: Tries): Tries => ({ ...t, nextTryAt: new Date(Math.min(Date.parse(t.nextTryAt), Date.now() - 1_000)).toISOString() });
      for (const m of store.mappings({ writeBack: 'pending' })) if (m.writeBackTries) store.saveMapping({ ...m, writeBackTries: due(m.writeBackTries) });
      for (const n of store.notes()) if (n.tries) store.saveNote({ ...n, tries: due(n.tries) });
    } finally {
      store.close();
    }
  };

  const creatingCount = (): number => {
    const store = h.open();
    try {
      return store.mappings({ state: 'creating' }).length;
    } finally {
      store.close();
    }
  };

  /** A copy of the database as it is between two runs (on SQLite a killed run's WAL included, as a file backup would have it). */
  const backup = async (): Promise<void> => {
    backups.push(await h.backup());
  };

  const editConfig = (from: string, to: string): void => {
    const config = readFileSync(h.w.configPath, 'utf8');
    if (!config.includes(from)) throw new Error(`config has no ${from}`);
    writeFileSync(h.w.configPath, config.replace(from, to));
  };

  /** The operator renames a source, or writes the Google calendar id in another case (or both). */
  const renameSomething = (): string => {
    const what = rng.pick(['google source', 'outlook source', 'calendar id case', 'both sources'] as const);
    const rename = (sim: 'google' | 'graph') => {
      const to = `${sim === 'google' ? 'gcal' : 'm365'}-${(configNames.google + configNames.graph).length}-${rng.int(0, 999)}`;
      editConfig(`name: ${configNames[sim]}\n`, `name: ${to}\n`);
      configNames[sim] = to;
    };
    if (what === 'google source' || what === 'both sources') rename('google');
    if (what === 'outlook source' || what === 'both sources') rename('graph');
    if (what === 'calendar id case') {
      let to = configNames.calendar;
      while (to === configNames.calendar) to = [...h.w.calendar].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
      editConfig(`calendars: [${configNames.calendar}]`, `calendars: [${to}]`);
      configNames.calendar = to;
    }
    return `${what} (now ${configNames.google} [${configNames.calendar}], ${configNames.graph})`;
  };

  const mappingsByEvent = (): Record<string, string> => {
    const store = h.open();
    try {
      return Object.fromEntries(
        events.map((e) => {
          const m = store.mapping({ source: configNames[e.sim], calendarId: e.sim === 'google' ? configNames.calendar : h.w.mailbox!, eventId: e.id });
          return [e.id, m ? `${m.state} ${m.meetingId ?? '-'} ${m.writeBack}` : 'none'];
        }),
      );
    } finally {
      store.close();
    }
  };

  /** Requests that change something: meetings on the platform, events in the calendars (token calls aside). */
  const writes = () => ({
    posts: h.w.webMeeting.server.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v6/meeting')).length,
    platform: h.w.webMeeting.server.requests.filter((r) => r.method !== 'GET').length,
    events:
      h.w.google.server.requests.filter((r) => r.method !== 'GET' && r.path.includes('/events')).length +
      h.w.graph!.server.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/v1.0/')).length,
  });

  /** What the POSTs after the first `from` were for (topic and start), to tell a failure's class. */
  const postsSince = (from: number): string =>
    h.w.webMeeting.server.requests
      .filter((r) => r.method === 'POST' && r.path.startsWith('/api/v6/meeting'))
      .slice(from)
      .map((r) => JSON.stringify(r.body).slice(0, 300))
      .join('; ');

  /** Clean cycles until one is quiet: nothing created, changed, adopted or failed, nothing waiting. */
  const settle = async (why: string, replay: string): Promise<void> => {
    let quiet = false;
    let last = '';
    for (let i = 0; i < MAX_CLEAN_CYCLES && !quiet; i += 1) {
      letGracePass();
      const run = await h.cycle();
      expect([0, 1], `clean cycle ${why}: exit ${run.result.code} ${replay}: ${run.result.stderr.slice(-800)}`).toContain(run.result.code);
      const r = JSON.parse(run.result.stdout) as Record<string, number>;
      quiet = run.result.code === 0 && r.created === 0 && r.updated === 0 && r.cancelled === 0 && r.adopted === 0 && r.failed === 0 && creatingCount() === 0;
      last = `exit ${run.result.code}, ${run.result.stdout.slice(0, 1500)}, ${creatingCount()} creating; stderr: ${run.result.stderr.slice(-600)}`;
    }
    expect(quiet, `no quiet cycle ${why} after ${MAX_CLEAN_CYCLES} clean cycles ${replay}; the last: ${last}`).toBe(true);
  };

  /** The first start after an offline step: killed at a random instant, or not. */
  const firstStart = async (what: string, timerSpanMs: number, replay: string): Promise<string> => {
    const kill = rng.chance(0.6) ? rng.int(0, timerSpanMs) : undefined;
    const run = await h.cycle(kill === undefined ? undefined : { point: 'timer', afterMs: kill });
    if (run.killedAt !== undefined && run.result.signal === 'SIGKILL') return `${what}, its first start killed ${kill} ms in`;
    expect([0, 1], `first start after ${what}: exit ${run.result.code} ${replay}: ${run.result.stderr.slice(-800)}`).toContain(run.result.code);
    return what;
  };

  /**
   * Issue 15: meetsync is stopped once the world is quiet (what a lost database is rebuilt from is
   * in the calendars: no creation unconfirmed, every stamp written), the database is deleted
   * or replaced by an older copy, organizers move, undo and rename events meanwhile (a cancellation
   * or a new event while the database is lost leaves no trace to rebuild from), and the first start
   * after it may be killed at a random instant. Then no meeting is posted, and the world agrees.
   * From that quiet world, a rename: nothing written anywhere (no attendee mail), the same mappings
   * under the new names.
   */
  const offline = async (kind: Offline, timerSpanMs: number, replay: string): Promise<void> => {
    await settle(`before ${kind}`, replay);
    const posts = writes().posts;
    for (let i = rng.int(1, 3); i > 0; i -= 1) {
      const candidates = live().filter((e) => !e.allDay);
      if (candidates.length > 0) rng.pick([act.move, act.undo, act.rename])(rng.pick(candidates));
    }
    let what = 'database lost';
    if (kind === 'lose') await h.lose();
    else {
      const copy = rng.pick(backups);
      await h.restore(copy);
      what = `database restored from copy ${copy + 1} of ${backups.length}`;
      if (rng.chance(0.5)) what += `, and ${renameSomething()}`;
    }
    what = await firstStart(what, timerSpanMs, replay);
    await settle(`after ${what}`, replay);
    expect(writes().posts - posts, `meetings posted after ${what} ${replay}: ${postsSince(posts)}`).toBe(0);
    checkAgreement(`after ${what} ${replay}`);
    offlineDone.push(what);

    const before = { writes: writes(), mappings: mappingsByEvent() };
    const renamed = await firstStart(`rename: ${renameSomething()}`, timerSpanMs, replay);
    await settle(`after ${renamed}`, replay);
    const after = writes();
    expect(after.platform - before.writes.platform, `platform calls that change something after ${renamed} ${replay}`).toBe(0);
    expect(after.events - before.writes.events, `events written (attendee mail) after ${renamed} ${replay}`).toBe(0);
    expect(mappingsByEvent(), `mappings under the new names after ${renamed} ${replay}`).toEqual(before.mappings);
    offlineDone.push(renamed);
  };

  it('leaves platform, database and calendars in agreement after every kill point was hit, again and again', { timeout: ON_POSTGRES ? 600_000 : 300_000 }, async () => {
    const replay = `(replay: ${SEEDS.replay(seed)})`;
    act.create('google');
    act.create('graph');
    expect((await h.cycle()).result.code, `first clean cycle ${replay}`).toBe(0);
    await backup();
    const order = (['lose', 'restore'] as Offline[]).map((k) => ({ k, r: rng.next() })).sort((a, b) => a.r - b.r).map((x) => x.k);
    const offlines = new Map(OFFLINE_ROUNDS.map((round, i) => [round, order[i]!]));

    let timerSpanMs = 800;
    const timerKillsMs: number[] = [];
    let rounds = 0;
    let clean = 0;
    const done = () =>
      (Object.keys(KILLS_WANTED) as KillPoint[]).every((p) => perPoint[p] >= KILLS_WANTED[p]) &&
      Object.values(perMethod).every((n) => n >= PER_METHOD) &&
      offlineDone.length >= 2 * OFFLINE_ROUNDS.length;
    for (; rounds < MAX_ROUNDS && !done(); rounds += 1) {
      const offlineKind = offlines.get(rounds);
      if (offlineKind) await offline(offlineKind, timerSpanMs, replay);
      // A copy of the database now and then, as a backup job would take it, a killed run's state
      // included (an unconfirmed creation: restored, its event is read before anything is posted
      // again, and a stamp written since is adopted, pending.ts).
      if (rng.chance(0.3)) await backup();
      // Now and then a rename between two rounds of kills (the next cycle may be killed too).
      if (rng.chance(0.08)) offlineDone.push(`rename before round ${rounds}: ${renameSomething()}`);
      if (rng.chance(0.2)) randomEdit();
      if (rng.chance(0.25) && creatingCount() > 0) letGracePass();
      const plan = prepare(nextPoint(), timerSpanMs);
      // Now and then IT removes an organizer's platform user for one cycle: their changes wait, the others' go on.
      const removed = rounds > 0 && rng.chance(0.1) ? rng.pick(organizerIds) : undefined;
      if (removed) {
        h.w.webMeeting.removeUser(removed);
        removals += 1;
      }
      const run = await h.cycle(plan).finally(() => removed && h.w.webMeeting.restoreUser(removed));
      // A kill sent as the process was already ending on its own (a timer at the very end of a
      // short cycle: it exited before the signal was delivered) is no kill: the cycle ran clean.
      const killed = run.killedAt !== undefined && run.result.signal === 'SIGKILL';
      if (run.killedAt && !killed) expect(run.result.signal, `${run.killedAt}: ${run.result.stderr.slice(-500)}`).toBeNull();
      if (killed && run.killedAt) {
        perPoint[plan.point] += 1;
        const where = plan.point === 'timer' ? 'timer: a random instant' : `${plan.point}: ${run.killedAt}`;
        kills.set(where, (kills.get(where) ?? 0) + 1);
        if (plan.point === 'timer') timerKillsMs.push(plan.afterMs!);
        const method = /^(POST|PUT|DELETE) answered$/.exec(run.killedAt)?.[1] as keyof typeof perMethod | undefined;
        if (method) perMethod[method] += 1;
        if (method === 'POST' && creatingCount() > 0) uncommittedPosts += 1;
      } else {
        clean += 1;
        // A cycle may end with an unconfirmed creation waiting (exit 1); never with a crash or a usage error.
        expect([0, 1], `cycle ${rounds} exit ${run.result.code} ${replay}: ${run.result.stderr.slice(-800)}`).toContain(run.result.code);
        timerSpanMs = Math.max(200, Math.round((timerSpanMs + run.activeMs) / 2));
      }
    }
    const total = [...kills.values()].reduce((a, b) => a + b, 0);
    console.log(
      `crash campaign seed ${seed} on ${h.db.dialect}: ${total} kills in ${rounds} cycles (${clean} ran to their end)\n` +
        (Object.keys(perPoint) as KillPoint[]).map((p) => `  ${String(perPoint[p]).padStart(3)}  ${p}`).join('\n') +
        '\n in detail:\n' +
        [...kills.entries()].sort().map(([k, n]) => `  ${String(n).padStart(3)}  ${k}`).join('\n') +
        `\n POST answers whose creation was left uncommitted by the kill: ${uncommittedPosts} of ${perMethod.POST}` +
        `\n timer kills, ms after the process's first request: ${timerKillsMs.sort((a, b) => a - b).join(', ')}` +
        `\n cycles with an organizer's platform user removed: ${removals}; events all-day at the end: ${live().filter((e) => e.allDay).length}` +
        `\n between runs:\n${offlineDone.map((o) => `  ${o}`).join('\n')}`,
    );
    expect(done(), `kill points not all reached in ${MAX_ROUNDS} cycles ${replay}: ${JSON.stringify(perPoint)} ${JSON.stringify(perMethod)}`).toBe(true);
    expect(total).toBeGreaterThanOrEqual(Object.values(KILLS_WANTED).reduce((a, b) => a + b, 0));

    await settle('at the end', replay);
    checkAgreement(replay);
  });

  /** The platform, the database and the calendars agree with what the organizers did. */
  function checkAgreement(replay: string): void {
    const { w } = h;
    const meetings = new Map(w.webMeeting.meetings().map((m) => [m.id, m]));
    const store = h.open();
    try {
      expect(store.mappings({ state: 'creating' }).map((m) => m.eventId), `creations left unfinished ${replay}`).toEqual([]);
      const expectedMeetings: string[] = [];
      for (const e of events) {
        const key = { source: configNames[e.sim], calendarId: e.sim === 'google' ? configNames.calendar : w.mailbox!, eventId: e.id };
        const m = store.mapping(key);
        const what = `${e.sim} event "${e.base}" (${e.live ? 'live' : 'cancelled'}) ${replay}`;
        if (e.live && e.allDay) {
          // No meeting at a time the event does not have: never had one, or cancelled with its link removed.
          if (m) expect(m.state, what).toBe('cancelled');
          if (m?.meetingId) expect(meetings.has(m.meetingId), `meeting of ${what}`).toBe(false);
          continue;
        }
        if (!e.live) {
          // Cancelled before any cycle saw it tagged, it never had a mapping; otherwise its meeting is gone.
          if (m) expect(m.state, what).toBe('cancelled');
          if (m?.meetingId) expect(meetings.has(m.meetingId), `meeting of ${what}`).toBe(false);
          continue;
        }
        expect(m?.state, what).toBe('active');
        const meeting = meetings.get(m!.meetingId!);
        expect(meeting, `live meeting of ${what}`).toBeDefined();
        expect({ topic: meeting!.topic, start: meeting!.startTime, end: meeting!.endTime }, `meeting of ${what}`).toEqual({ topic: e.base, start: e.start, end: e.end });
        expect({ topic: m!.topic, start: m!.start, end: m!.end, writeBack: m!.writeBack }, `mapping of ${what}`).toEqual({ topic: e.base, start: e.start, end: e.end, writeBack: 'done' });
        expect(meeting!.agenda, `marker of ${what}`).toContain(m!.marker);
        // Issue 20: the event's journal, written in the transactions that wrote its record, tells how
        // the record got the meeting it holds (a POST answered, found in the feed, or adopted from the stamp).
        const story = store.journalOf(key);
        const how = story.filter((j) => j.meetingId === m!.meetingId && (j.outcome === 'ok' || j.outcome === 'found') && ['POST /meeting', 'feed check', 'adoption'].includes(j.what));
        expect(how.length, `journal of ${what} names how it got meeting ${m!.meetingNumber}: ${story.map((j) => `${j.what} ${j.outcome} ${j.meetingId ?? ''}`).join('; ')}`).toBeGreaterThan(0);
        const joinUrl = `${w.webMeeting.url}/meeting/${meeting!.meetingId}`;
        const written =
          e.sim === 'google'
            ? { location: w.google.getEvent(w.calendar, e.id)!.location ?? '', text: w.google.getEvent(w.calendar, e.id)!.description ?? '' }
            : { location: w.graph!.getEvent(w.mailbox!, e.id)!.location.displayName, text: w.graph!.getEvent(w.mailbox!, e.id)!.body.content };
        expect(written.location, `join link in the location of ${what}`).toBe(joinUrl);
        expect(written.text.split(BLOCK_START).length - 1, `join blocks in ${what}`).toBe(1);
        expect(written.text, `join block of ${what}`).toContain(joinUrl);
        expectedMeetings.push(meeting!.id);
      }
      // No orphan, no duplicate: the live meetings are exactly those of the live tagged events.
      const held = new Set(expectedMeetings);
      const strays = [...meetings.values()].filter((m) => !held.has(m.id)).map((m) => {
        const twin = events.find((e) => e.live && e.base === m.topic);
        return `${m.topic} at ${m.startTime}: ${twin ? `a duplicate (its ${twin.sim} event has another meeting)` : 'an orphan'}`;
      });
      expect(strays, `meetings held by no mapping of a live event ${replay}`).toEqual([]);
      expect([...meetings.keys()].sort(), `live meetings = meetings of live tagged events ${replay}`).toEqual(expectedMeetings.sort());
      expect(store.mappings({ state: 'active' }).length, `active mappings ${replay}`).toBe(live().filter((e) => !e.allDay).length);
    } finally {
      store.close();
    }
  }
});
