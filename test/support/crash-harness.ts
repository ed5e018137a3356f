import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { RecordedRequest } from '../../src/simulators/kit/server.js';
import type { Store } from '../../src/store/store.js';
import { CampaignDatabase } from './campaign-database.js';
import { runCli, startCliWorld, type CliResult, type CliWorld } from './cli-harness.js';

/**
 * The crash campaign's machinery (test/campaign/crash.test.ts): `meetsync sync` as a separate
 * process against the simulators, SIGKILLed at a chosen point inside its cycle. The points are
 * found through the simulators' observers (SimServer.onRequest, and onResponded), so a kill lands
 * at the instant a request arrives or its answer has been written, not by luck.
 *
 * The database is the one the engine's tests run on (CampaignDatabase: SQLite, or with
 * MEETSYNC_TEST_STORE=postgres a PostgreSQL database); `lose`, `restore` and `backup` are issue
 * 15's steps between runs on it, and keep the config's `database:` on the database in use. On
 * PostgreSQL, each `sync` is a replica that claims the calendars by leases (store/leases.ts),
 * lasting LEASE_SECONDS here: after a kill, `cycle` waits until the killed process's leases have
 * expired, as the next cron run would find them after that long at most.
 */

/** `replicas.leaseSeconds` of the campaigns on PostgreSQL: the config's minimum, so that a kill costs 2 s at most. */
export const LEASE_SECONDS = 2;

export type Sim = 'webmeeting' | 'google' | 'graph';

/** Where a cycle is killed. */
export type KillPoint =
  /** The platform has sent its answer to a POST, PUT or DELETE of a meeting; meetsync has not committed it. */
  | 'platform-answer'
  /** The calendar received, or answered, the PATCH that writes the join link into an event. */
  | 'write-back'
  /** The calendar received a read of its changes (Google events.list, Graph calendarView/delta). */
  | 'calendar-read'
  /** A random instant after the process's first request. */
  | 'timer';

export interface KillPlan {
  point: KillPoint;
  /** Whether this request, seen arriving ('request') or answered ('responded'), is where to kill. */
  matches?: (moment: 'request' | 'responded', sim: Sim, req: RecordedRequest) => string | undefined;
  /** For 'timer': how long after the process's first request. */
  afterMs?: number;
}

export interface CycleRun {
  result: CliResult;
  /** What the kill hit ('POST answered', 'PATCH received by google', ...), or undefined when the cycle ran to its end. */
  killedAt: string | undefined;
  /** From the process's first request to its exit. */
  activeMs: number;
}

interface Round {
  child: ChildProcess | undefined;
  spawnedAt: number;
  firstRequestAt: number | undefined;
  plan: KillPlan | undefined;
  killedAt: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A deterministic generator (mulberry32), so that a campaign replays from its seed. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(0, items.length - 1)]!;
  }
}

/** The simulators with a Google calendar and an Outlook mailbox, and a `sync` that can be killed where a plan says. */
export class CrashHarness {
  private round: Round | undefined;

  private constructor(
    readonly w: CliWorld,
    readonly db: CampaignDatabase,
  ) {}

  static async start(): Promise<CrashHarness> {
    let harness: CrashHarness | undefined;
    const w = await startCliWorld({ outlook: true, onResponded: (sim, req) => harness?.observe('responded', sim, req) });
    const db = await CampaignDatabase.create(w.dbPath, w.dir);
    harness = new CrashHarness(w, db);
    if (db.dialect === 'postgres') {
      harness.pointConfig();
      writeFileSync(w.configPath, `${readFileSync(w.configPath, 'utf8')}replicas: { leaseSeconds: ${LEASE_SECONDS} }\n`);
    }
    const sims: Array<[Sim, { server: { onRequest: ((req: RecordedRequest) => void) | undefined } }]> = [
      ['webmeeting', w.webMeeting],
      ['google', w.google],
      ['graph', w.graph!],
    ];
    for (const [sim, simulator] of sims) simulator.server.onRequest = (req) => harness!.observe('request', sim, req);
    return harness;
  }

  async close(): Promise<void> {
    try {
      await this.w.close();
    } finally {
      await this.db.close();
    }
  }

  /** A store on the database in use (close it before the next step between runs). */
  open(): Store {
    return this.db.open();
  }

  /** A copy of the database as it is between two runs, as a backup job takes it; returns its number. */
  backup(): Promise<number> {
    return this.db.backup();
  }

  /** The database lost: the next `sync` starts on an empty one. */
  async lose(): Promise<void> {
    await this.db.lose();
    this.pointConfig();
  }

  /** The database replaced by copy `n` (0: the first `backup` took). */
  async restore(n: number): Promise<void> {
    await this.db.restore(n);
    this.pointConfig();
  }

  /** The config's `database:` names the database in use (on SQLite, always the same file). */
  private pointConfig(): void {
    if (this.db.dialect === 'sqlite') return;
    const config = readFileSync(this.w.configPath, 'utf8');
    if (!/^database: .*$/m.test(config)) throw new Error('config has no database line');
    writeFileSync(this.w.configPath, config.replace(/^database: .*$/m, `database: "${this.db.target}"`));
  }

  /** One `meetsync sync --json`, killed where `plan` says (if the cycle gets there). */
  async cycle(plan?: KillPlan): Promise<CycleRun> {
    const round: Round = { child: undefined, spawnedAt: Date.now(), firstRequestAt: undefined, plan, killedAt: undefined, timer: undefined };
    this.round = round;
    const result = await runCli(['--config', this.w.configPath, 'sync', '--json'], { cwd: this.w.dir, onSpawn: (c) => (round.child = c) });
    clearTimeout(round.timer);
    this.round = undefined;
    const end = Date.now();
    if (result.signal === 'SIGKILL') await this.db.waitOutLeases(LEASE_SECONDS * 1_000);
    return { result, killedAt: round.killedAt, activeMs: end - (round.firstRequestAt ?? end) };
  }

  private observe(moment: 'request' | 'responded', sim: Sim, req: RecordedRequest): void {
    const round = this.round;
    // A request of an earlier (killed) process, answered late, belongs to no round.
    if (!round || req.at < round.spawnedAt || round.killedAt) return;
    if (round.firstRequestAt === undefined) {
      round.firstRequestAt = req.at;
      if (round.plan?.point === 'timer') round.timer = setTimeout(() => this.kill(round, `${round.plan!.afterMs} ms in`), round.plan.afterMs ?? 0);
    }
    const hit = round.plan?.matches?.(moment, sim, req);
    if (hit) this.kill(round, hit);
  }

  private kill(round: Round, at: string): void {
    if (round.killedAt || !round.child || round.child.exitCode !== null) return;
    round.killedAt = at;
    round.child.kill('SIGKILL');
  }
}
