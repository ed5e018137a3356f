import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { Tries } from '../../src/domain/attention.js';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { Store } from '../../src/store/store.js';
import { PENDING_DEFAULTS } from '../../src/sync/pending.js';
import { runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';
import { Rng } from '../support/crash-harness.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { testSeeds } from '../support/seed.js';

/**
 * Issue 17: the replica campaign. Three `meetsync run` (the built CLI: `npm run build` first) on
 * ONE PostgreSQL database, against the Web Meeting and Google simulators, with three organizers'
 * calendars. For CAMPAIGN_MS, organizers create tagged events, move them, rename them, untag them
 * (and tag them again), and delete them at random moments, while a random replica is SIGKILLed
 * again and again (at a random instant, or the instant the platform has answered a write) and a
 * new one is started in its place. Then the edits and kills stop, the replicas run until quiet,
 * are stopped (SIGTERM), and the platform and the calendars must agree with what the organizers
 * did: one meeting per live tagged event, at its times and with its topic, its join link in the
 * event's location and exactly one join block in its description; no orphan, no duplicate.
 *
 * The campaign does not depend on which replica does what: it works with one replica serving and
 * the others standing by (the daemon lock), and with every replica serving the calendars it holds
 * a lease on (`replicas.leaseSeconds`, set small here when the config has that key).
 *
 * A run takes a fixed seed and a random one, both printed; REPLICA_CAMPAIGN_SEED=<n> replays one
 * (the organizers' edits and the kills' order and moments; what a replica is doing at a kill
 * depends on the machine's speed).
 */

const SEEDS = testSeeds('replica campaign', import.meta.url, { fixed: [20261207] });

/** How long organizers edit and replicas are killed. */
const CAMPAIGN_MS = 35_000;
/** Kills at least (the campaign goes on past CAMPAIGN_MS until there were this many). */
const KILLS_MIN = 10;
const REPLICAS = 3;
/** Beyond this, no new events (cycles stay short on 2 cores). */
const MAX_LIVE = 15;
/** Lease length when the config knows `replicas.leaseSeconds` (issue 17, next step). */
const LEASE_SECONDS = 4;
/**
 * Quiet: no platform or calendar write by meetsync for this long, counted from the campaign's end
 * at the earliest. Longer than it takes the calendars of a replica killed last to be served again
 * (a standby polls the daemon lock every ~2 s; a lease runs out after LEASE_SECONDS), plus a few
 * cycles.
 */
const quietMs = (leases: boolean) => (leases ? LEASE_SECONDS * 1_000 : 2_000) + 4_000;
const ORGANIZERS = [
  { email: 'alice@example.com', first: 'Alice' },
  { email: 'carol@example.com', first: 'Carol' },
  { email: 'dave@example.com', first: 'Dave' },
];
const TOPICS = ['Planning', 'Retro', 'Budget review', 'Standup', 'Design sync', 'Hiring panel', 'Roadmap'];
const TAG = '#webmeeting';

interface ModelEvent {
  calendar: string;
  id: string;
  /** The title without the tag: the topic meetsync must give the meeting. */
  base: string;
  tagged: boolean;
  start: string;
  end: string;
  live: boolean;
}

interface Replica {
  n: number;
  /** When it last wrote to its stderr (a log line: it is doing something). */
  lastLogAt: number;
  child: ChildProcess;
  result: Promise<CliResult>;
  stderr: () => string;
  cycles: () => number;
}

/** Whether this build's config has `replicas:` (leases); today's has no such key and refuses unknown keys. */
function configKnowsReplicas(): boolean {
  const shape = (configSchema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined && 'replicas' in shape;
}

describe.for(SEEDS.list)('replica campaign: 3 meetsync run on one PostgreSQL database, replicas SIGKILLed while organizers edit (seed %i)', (seed) => {
  let w: CliWorld;
  let db: { url: string; drop(): Promise<void> };
  const rng = new Rng(seed);
  /** The kills' own generator: their draws do not shift the organizers' edits. */
  const killRng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  const events: ModelEvent[] = [];
  const replicas: Array<Replica | undefined> = [];
  const ended: Replica[] = [];
  let started = 0;
  let names = 0;
  /** meetsync's writes as the simulators answered them: the platform's POST/PUT/DELETE, the calendar's writes. */
  const writes = { platform: { POST: 0, PUT: 0, DELETE: 0 } as Record<string, number>, calendar: 0, lastAt: 0 };
  /** A kill waiting for the platform's next answer to a write. */
  let killAtNextWrite: (() => void) | undefined;
  const leases = configKnowsReplicas();

  beforeAll(async () => {
    w = await startCliWorld({
      onResponded: (sim, req) => {
        if (req.method === 'GET') return;
        if (sim === 'webmeeting' && req.path.startsWith('/api/v6/meeting')) {
          writes.platform[req.method] = (writes.platform[req.method] ?? 0) + 1;
          writes.lastAt = Date.now();
          const kill = killAtNextWrite;
          killAtNextWrite = undefined;
          kill?.();
        } else if (sim === 'google') {
          writes.calendar += 1;
          writes.lastAt = Date.now();
        }
      },
    });
    db = await freshPostgresDatabase();
    for (const o of ORGANIZERS.slice(1)) w.google.addCalendar(o.email);
    let config = readFileSync(w.configPath, 'utf8');
    const edit = (from: string, to: string) => {
      if (!config.includes(from)) throw new Error(`config has no ${from}`);
      config = config.replace(from, to);
    };
    edit('database: ./data/meetsync.db', `database: "${db.url}"`);
    edit('schedule: "*/5 * * * *"', 'schedule: "*/1 * * * * *"');
    edit(`calendars: [${w.calendar}]`, `calendars: [${ORGANIZERS.map((o) => o.email).join(', ')}]`);
    if (leases) config += `replicas: { leaseSeconds: ${LEASE_SECONDS} }\n`;
    writeFileSync(w.configPath, config);
    // One organizer a platform account (and a user), stored by meetsync; the first creates the schema.
    const create = async (o: (typeof ORGANIZERS)[number]) => {
      const r = await cli('accounts', 'create', '--email', o.email, '--first', o.first, '--last', 'Example');
      expect(r.code, `accounts create ${o.email}: ${r.stderr}`).toBe(0);
    };
    await create(ORGANIZERS[0]!);
    await Promise.all(ORGANIZERS.slice(1).map(create));
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas.splice(0)) {
      if (r && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r?.result;
    }
    await w?.close();
    await db?.drop();
  });

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });

  function startReplica(slot: number): Replica {
    let child: ChildProcess | undefined;
    let stderr = '';
    const result = runCli(['--config', w.configPath, 'run'], {
      cwd: w.dir,
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          replica.lastLogAt = Date.now();
        });
      },
    });
    const replica: Replica = {
      n: (started += 1),
      lastLogAt: 0,
      child: child!,
      result,
      stderr: () => stderr,
      cycles: () => stderr.split('\n').filter((l) => l.includes('"msg":"sync cycle finished"')).length,
    };
    replicas[slot] = replica;
    // Its log kept in the world's folder (named in the summary and in a failure), to see what it did.
    void result.then((r) => writeFileSync(path.join(w.dir, `replica-${replica.n}.log`), `${r.stderr}\n-- exit ${r.code ?? r.signal}\n`));
    return replica;
  }

  const alive = (r: Replica | undefined): r is Replica => r !== undefined && r.child.exitCode === null && r.child.signalCode === null;

  /** SIGKILLs the replica in `slot` and starts a new one in its place. */
  async function killAndReplace(slot: number): Promise<CliResult> {
    const victim = replicas[slot]!;
    if (alive(victim)) victim.child.kill('SIGKILL');
    const result = await victim.result;
    ended.push(victim);
    startReplica(slot);
    return result;
  }

  /**
   * Stops every replica with SIGTERM; each must exit 0. Each is let start first (its first log
   * line): a process still loading has no handler yet, and SIGTERM ends it as it would any program.
   */
  async function stopAll(replay: string): Promise<void> {
    const end = Date.now() + 20_000;
    while (replicas.some((r) => alive(r) && r.stderr() === '') && Date.now() < end) await sleep(100);
    const running = replicas.splice(0);
    for (const r of running) if (alive(r)) r.child.kill('SIGTERM');
    for (const r of running) {
      const result = await r!.result;
      ended.push(r!);
      expect({ code: result.code, signal: result.signal }, `replica ${r!.n} stopped by SIGTERM ${replay}: ${result.stderr.slice(-800)}`).toEqual({ code: 0, signal: null });
    }
  }

  const live = (calendar?: string) => events.filter((e) => e.live && (!calendar || e.calendar === calendar));
  const slot = () => {
    const start = Date.UTC(2030, 0, 1) + rng.int(0, 300) * 86_400_000 + rng.int(32, 68) * 15 * 60_000;
    return { start: new Date(start).toISOString(), end: new Date(start + rng.int(1, 8) * 15 * 60_000).toISOString() };
  };
  const title = (e: ModelEvent) => (e.tagged ? `${e.base} ${TAG}` : e.base);
  const googleTime = (iso: string) => ({ dateTime: iso, timeZone: 'UTC' });
  const edited: Record<string, number> = {};

  /** What organizers do, through the Google simulator's user-side methods. */
  const act = {
    create(calendar: string): void {
      const e: ModelEvent = { calendar, id: '', base: `${rng.pick(TOPICS)} ${(names += 1)}`, tagged: true, ...slot(), live: true };
      e.id = w.google.userInsert(calendar, { summary: title(e), start: googleTime(e.start), end: googleTime(e.end) }).id!;
      events.push(e);
    },
    move(e: ModelEvent): void {
      Object.assign(e, slot());
      w.google.userPatch(e.calendar, e.id, { start: googleTime(e.start), end: googleTime(e.end) });
    },
    rename(e: ModelEvent): void {
      e.base = `${rng.pick(TOPICS)} ${(names += 1)}`;
      w.google.userPatch(e.calendar, e.id, { summary: title(e) });
    },
    /** Untags a tagged event, tags an untagged one again. */
    retag(e: ModelEvent): void {
      e.tagged = !e.tagged;
      w.google.userPatch(e.calendar, e.id, { summary: title(e) });
    },
    remove(e: ModelEvent): void {
      e.live = false;
      w.google.userDelete(e.calendar, e.id);
    },
  };

  const randomEdit = (): void => {
    const calendar = rng.pick(ORGANIZERS).email;
    const candidates = live(calendar);
    const kinds = [
      ...(live().length < MAX_LIVE ? (['create', 'create', 'create'] as const) : []),
      ...(candidates.length > 0 ? (['move', 'move', 'rename', 'rename', 'retag', 'remove'] as const) : []),
    ];
    if (kinds.length === 0) return;
    const kind = rng.pick(kinds);
    edited[kind] = (edited[kind] ?? 0) + 1;
    if (kind === 'create') act.create(calendar);
    else act[kind](rng.pick(candidates));
  };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The creations left unfinished, and the join links owed, in the database. */
  const unfinished = (): { creating: number; writeBackPending: number } => {
    const store = Store.open(db.url);
    try {
      return { creating: store.mappings({ state: 'creating' }).length, writeBackPending: store.mappings({ writeBack: 'pending' }).length };
    } finally {
      store.close();
    }
  };

  /**
   * Stands in for the clock, with every replica stopped (as crash.test.ts does between runs): an
   * unconfirmed creation (a replica killed before its POST reached the platform) becomes older than
   * the feed's grace, and retries waiting for their time come due, as cron cycles over the next
   * ten minutes would make them.
   */
  const letGracePass = (): void => {
    const store = Store.open(db.url);
    try {
      for (const m of store.mappings({ state: 'creating' })) {
        const wait = m.held ? PENDING_DEFAULTS.heldRecheckMs : PENDING_DEFAULTS.feedGraceMs;
        store.saveMapping({ ...m, updatedAt: new Date(Date.parse(m.updatedAt) - wait - 60_000).toISOString() });
      }
      const due = (t: Tries): Tries => ({ ...t, nextTryAt: new Date(Math.min(Date.parse(t.nextTryAt), Date.now() - 1_000)).toISOString() });
      for (const m of store.mappings({ writeBack: 'pending' })) if (m.writeBackTries) store.saveMapping({ ...m, writeBackTries: due(m.writeBackTries) });
      for (const n of store.notes()) if (n.tries) store.saveNote({ ...n, tries: due(n.tries) });
    } finally {
      store.close();
    }
  };

  /** Cycles finished, by all the replicas so far. */
  const cyclesFinished = () => [...ended, ...replicas.filter(alive)].reduce((n, r) => n + r.cycles(), 0);

  /**
   * Waits until no write for quietMs, a cycle finished since the wait began (some replica serves),
   * and (checked then) nothing unfinished in the database; false after `timeoutMs`.
   */
  async function quiet(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    const since = Date.now();
    const cyclesBefore = cyclesFinished();
    while (Date.now() < end) {
      await sleep(250);
      if (Date.now() - Math.max(writes.lastAt, since) < quietMs(leases) || cyclesFinished() === cyclesBefore) continue;
      const u = unfinished();
      if (u.creating === 0 && u.writeBackPending === 0) return true;
    }
    return false;
  }

  it('leaves one meeting per live tagged event, its join link in the event, and no orphan or duplicate, after at least 10 replicas were SIGKILLed', { timeout: 240_000 }, async () => {
    const replay = `(replay: ${SEEDS.replay(seed)}; replicas' logs in ${w.dir})`;
    const began = Date.now();
    for (const o of ORGANIZERS) act.create(o.email);
    for (let i = 0; i < REPLICAS; i += 1) startReplica(i);

    const deadline = Date.now() + CAMPAIGN_MS;
    const killWhere: Record<string, number> = { 'random instant': 0, 'platform answered a write': 0 };
    let kills = 0;
    let killsOfServing = 0;
    const editing = (async () => {
      while (Date.now() < deadline) {
        await sleep(rng.int(100, 900));
        randomEdit();
      }
    })();
    const killing = (async () => {
      while (Date.now() < deadline || kills < KILLS_MIN) {
        await sleep(killRng.int(1_500, 4_000));
        let victim = killRng.int(0, REPLICAS - 1);
        let how = 'random instant';
        if (killRng.chance(0.5)) {
          // The instant the platform has answered a write (a replica may be between its answer and
          // its commit), or at the latest 3 s on; the victim then one of the replicas that logged in
          // the last second (one that serves, whichever it is), if any.
          const pick = killRng.next();
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              killAtNextWrite = undefined;
              resolve();
            }, 3_000);
            killAtNextWrite = () => {
              clearTimeout(timer);
              const busy = replicas.flatMap((r, i) => (alive(r) && Date.now() - r.lastLogAt < 1_000 ? [i] : []));
              if (busy.length > 0) victim = busy[Math.floor(pick * busy.length)]!;
              if (alive(replicas[victim])) replicas[victim]!.child.kill('SIGKILL');
              how = 'platform answered a write';
              resolve();
            };
          });
        }
        const killed = replicas[victim]!;
        const result = await killAndReplace(victim);
        if (result.signal === 'SIGKILL') {
          kills += 1;
          // One that was serving (it had synced something), not only standing by or starting.
          if (/"msg":"(meeting |sync cycle finished)/.test(killed.stderr())) killsOfServing += 1;
          killWhere[how]! += 1;
        } else {
          // It exited on its own before the kill: a crash of meetsync, which the campaign reports.
          expect.fail(`replica exited on its own (code ${result.code}) before it was killed ${replay}: ${result.stderr.slice(-1_500)}`);
        }
      }
    })();
    await Promise.all([editing, killing]);
    const campaignMs = Date.now() - began;

    // Quiet: the replicas finish what the edits and kills left. A creation killed before its POST
    // waits out the feed's grace (10 minutes): the clock is moved on for it with the replicas stopped.
    let graceRounds = 0;
    while (!(await quiet(25_000))) {
      expect(graceRounds, `not quiet after ${graceRounds} grace rounds: ${JSON.stringify(unfinished())} ${replay}`).toBeLessThan(3);
      graceRounds += 1;
      await stopAll(replay);
      letGracePass();
      for (let i = 0; i < REPLICAS; i += 1) startReplica(i);
    }
    const cycles = cyclesFinished();
    const adopted = [...ended, ...replicas.filter(alive)].reduce((n, r) => n + r.stderr().split('unfinished creation found on the platform; adopted').length - 1, 0);
    await stopAll(replay);

    checkAgreement(replay);
    const status = await cli('status');
    expect(status.code, `meetsync status ${replay}: ${status.stdout.slice(-1_500)}${status.stderr.slice(-800)}`).toBe(0);

    const meetings = w.webMeeting.meetings().length;
    console.log(
      `replica campaign seed ${seed}: ${kills} kills (${killWhere['platform answered a write']} as the platform answered a write, the rest at random instants; ${killsOfServing} of a replica that had synced something), ` +
        `${started} replicas started, ${cycles} cycles finished, ${adopted} creations left unfinished by a kill found and adopted; ${events.length} events (${live().filter((e) => e.tagged).length} live tagged, ` +
        `${live().filter((e) => !e.tagged).length} live untagged, ${events.filter((e) => !e.live).length} deleted), edits ${JSON.stringify(edited)}; ` +
        `${meetings} meetings; platform writes ${JSON.stringify(writes.platform)}, calendar writes ${writes.calendar}; ` +
        `${graceRounds} grace rounds; leases ${leases ? `on (${LEASE_SECONDS} s)` : 'not in this build (daemon lock)'}; ` +
        `campaign ${Math.round(campaignMs / 1000)} s, total ${Math.round((Date.now() - began) / 1000)} s ${replay}`,
    );
    expect(kills).toBeGreaterThanOrEqual(KILLS_MIN);
  });

  /** The platform and the calendars agree with what the organizers did. */
  function checkAgreement(replay: string): void {
    const meetings = w.webMeeting.meetings();
    const byNumber = new Map(meetings.map((m) => [m.meetingId, m]));
    const joinPrefix = `${w.webMeeting.url}/meeting/`;
    const held = new Map<string, string>();
    const problems: string[] = [];
    for (const e of events.filter((x) => x.live)) {
      const what = `event "${title(e)}" of ${e.calendar} (${e.id})`;
      const ev = w.google.getEvent(e.calendar, e.id);
      expect(ev, `${what} ${replay}`).toBeDefined();
      expect({ summary: ev!.summary, start: Date.parse(ev!.start!.dateTime!), end: Date.parse(ev!.end!.dateTime!) }, `the calendar holds ${what} as edited ${replay}`).toEqual({
        summary: title(e),
        start: Date.parse(e.start),
        end: Date.parse(e.end),
      });
      const location = ev!.location ?? '';
      const text = ev!.description ?? '';
      const blocks = text.split(BLOCK_START).length - 1;
      if (!e.tagged) {
        // Untagged: its meeting deleted and the join details removed from the event (execute.ts).
        if (blocks !== 0 || location.startsWith(joinPrefix)) problems.push(`${what}: untagged, yet carries ${blocks} join block(s), location "${location}"`);
        continue;
      }
      const meeting = location.startsWith(joinPrefix) ? byNumber.get(location.slice(joinPrefix.length)) : undefined;
      if (!meeting) {
        problems.push(`${what}: live and tagged, location "${location}" is the join link of no live meeting`);
        continue;
      }
      const other = held.get(meeting.id);
      if (other) problems.push(`${what}: its meeting ${meeting.id} is also the meeting of ${other}`);
      held.set(meeting.id, what);
      const got = { topic: meeting.topic, start: meeting.startTime, end: meeting.endTime };
      const want = { topic: e.base, start: e.start, end: e.end };
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${what}: meeting ${meeting.id} is ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
      if (blocks !== 1) problems.push(`${what}: ${blocks} join blocks in its description`);
      if (!text.includes(location)) problems.push(`${what}: its description does not hold its join link`);
    }
    // No orphan, no duplicate: the live meetings are exactly those of the live tagged events.
    for (const m of meetings.filter((x) => !held.has(x.id))) {
      const twin = events.find((e) => e.live && e.tagged && e.base === m.topic);
      const gone = events.find((e) => !(e.live && e.tagged) && e.base === m.topic);
      problems.push(
        `meeting ${m.id} "${m.topic}" at ${m.startTime}: ` +
          (twin ? `a duplicate (its event ${twin.id} of ${twin.calendar} has another meeting)` : gone ? `an orphan (its event ${gone.id} is ${gone.live ? 'untagged' : 'deleted'})` : 'an orphan (of an earlier name of a live event, or of no event)'),
      );
    }
    expect(problems, `platform and calendars disagree with the organizers ${replay}`).toEqual([]);
    expect(meetings.length, `live meetings = live tagged events ${replay}`).toBe(live().filter((e) => e.tagged).length);
  }
});
