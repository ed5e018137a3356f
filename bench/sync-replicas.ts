/**
 * The quiet cycle as `meetsync run` daemons run it (issue 17), for sync-paths.ts: one daemon on
 * the bench's database (SQLite or PostgreSQL), and with --replicas N on PostgreSQL, N daemons on
 * one database, on one seconds cron, as a user runs them. A daemon's cycles after its first are
 * warm (code compiled, connections open), which a one-shot `meetsync sync` never is. Each cycle a
 * daemon claims its share of the calendars (store/leases.ts); shares settle within a few cycles of
 * the daemons' start (the first to claim takes every free calendar, the others get theirs as it
 * gives back its excess). One-shot `meetsync sync` processes would not show that: each registers
 * as a replica only when it claims, so N started at once do not split evenly.
 *
 * A round is one cron tick, every daemon cycling. Its wall time: the first cycle's start to the
 * last one's end, from the `runs` table (the engine's own start and finish, per cycle). A round
 * counts once the leases held after it are the fair shares (calendars / N, each daemon holding
 * its own): after one such round to warm up, `rounds` settled rounds are measured and the median
 * kept. Peak RSS per daemon: VmHWM over the measured rounds (reset through
 * /proc/<pid>/clear_refs when they start); CPU per daemon from /proc/<pid>/stat.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface ReplicasResult {
  replicas: number;
  /** The daemons' config `schedule` (seconds cron): one round per tick. */
  schedule: string;
  /** Complete rounds seen before the shares settled (the daemons' start included). */
  roundsBeforeSettled: number;
  /** The median measured round: first cycle start to last cycle end across the replicas. */
  wallMs: number;
  runsWallMs: number[];
  /** Each measured round's cycles, one per replica, each its own duration (ms), longest first. */
  roundsCyclesMs: number[][];
  /** How long after the tick the round's first cycle started, per measured round (ms). */
  roundsStartLagMs: number[];
  perReplica: Array<{ pid: number; replicaId: string; calendars: number; peakRssBytes: number | undefined; cpuMs: number | undefined }>;
  /** Over the measured rounds: the simulators' CPU (this process), every daemon's, and the wall time it spanned. */
  simulatorsCpuMs: number;
  windowMs: number;
  loadAverage1m: { before: number; after: number };
  peakRssMethod: string;
}

export interface ReplicasContext {
  replicas: number;
  rounds: number;
  dir: string;
  /** The config text the one-shot cycles run with (a `schedule` is added for the daemons). */
  configText: string;
  /** The database the daemons share: a postgres:// URL, or the SQLite file (one daemon only). */
  database: { url: string } | { file: string };
  caPath: string;
  bin: string;
  nodeOptions: string[];
  calendars: number;
  /** One process's quiet cycle alone (ms): the tick period is chosen from it. */
  quietCycleMs: number;
}

/** Calendars / N, the first (calendars mod N) one more: the shares leases.ts claims, sorted. */
export function fairShares(calendars: number, replicas: number): number[] {
  return Array.from({ length: replicas }, (_, r) => Math.floor(calendars / replicas) + (r < calendars % replicas ? 1 : 0));
}

/** Rounds to warm up before measuring: one per replica. */
export const warmUpRounds = (replicas: number): number => Math.max(1, replicas);

/** The seconds cron whose period leaves a one-process quiet cycle room (at most 30 s: a lease lasts 60 s by default). */
export function tickSeconds(quietCycleMs: number): number {
  return [5, 10, 15, 20, 30].find((s) => s * 1000 >= 1.5 * quietCycleMs + 2000) ?? 30;
}

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

export async function runReplicas(cx: ReplicasContext): Promise<ReplicasResult> {
  const period = tickSeconds(cx.quietCycleMs);
  const schedule = `*/${period} * * * * *`;
  const configPath = path.join(cx.dir, 'meetsync-replicas.yaml');
  writeFileSync(configPath, `${cx.configText}schedule: "${schedule}"\n`, { mode: 0o600 });
  if ('file' in cx.database && cx.replicas > 1) throw new Error('replicas share a PostgreSQL database; on SQLite one daemon serves');
  const db = await openRuns(cx.database);
  const daemons: Array<{ child: ChildProcess; stderr: string; exited?: number | null }> = [];
  try {
    const base = await db.lastRunId();
    const launchedAt = Date.now();
    for (let i = 0; i < cx.replicas; i += 1) {
      const child = spawn(process.execPath, [...cx.nodeOptions, cx.bin, '--json', 'run', '--config', configPath], {
        cwd: cx.dir,
        env: { ...process.env, MEETSYNC_CONFIG: '', NODE_EXTRA_CA_CERTS: cx.caPath },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const d: (typeof daemons)[number] = { child, stderr: '' };
      child.stderr!.on('data', (b: Buffer) => (d.stderr = (d.stderr + b.toString()).slice(-4000)));
      child.on('exit', (code) => (d.exited = code));
      daemons.push(d);
    }
    const pids = daemons.map((d) => d.child.pid!);
    console.log(`sync paths: ${cx.replicas === 1 ? 'one daemon' : `${cx.replicas} replicas`} (meetsync run, pid${pids.length === 1 ? '' : 's'} ${pids.join(', ')}) on schedule "${schedule}"`);
    const expected = fairShares(cx.calendars, cx.replicas).join(',');
    // The rounds: cycles grouped by tick; a round is complete when every daemon's cycle of that tick finished.
    const firstBucket = Math.floor(launchedAt / (period * 1000)) + 2;
    const seen = new Set<number>();
    const settled: Array<{ wallMs: number; cyclesMs: number[]; lagMs: number; shares: Map<number, { id: string; n: number }> }> = [];
    let roundsBeforeSettled = 0;
    let marks: { cpu: Map<number, number | undefined>; sim: NodeJS.CpuUsage; at: number; load: number } | undefined;
    const deadline = Date.now() + (cx.rounds + warmUpRounds(cx.replicas) + 8) * period * 1000 + 120_000;
    // Warm-up rounds before the measured ones: one per replica, so that each replica has served
    // about as many calendars as one daemon in its one warm-up round (code compiled, connections open).
    const warmUp = warmUpRounds(cx.replicas);
    while (settled.length < cx.rounds + warmUp) {
      if (Date.now() > deadline) throw new Error(`the replicas' shares did not settle on ${expected} within ${Math.round((Date.now() - launchedAt) / 1000)} s`);
      const dead = daemons.find((d) => d.exited !== undefined);
      if (dead) throw new Error(`a replica exited (code ${dead.exited}): ${dead.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
      const rows = await db.syncRunsAfter(base);
      const buckets = new Map<number, Array<{ start: number; end: number | undefined }>>();
      for (const r of rows) {
        const start = ms(r.started_at);
        const b = Math.floor(start / (period * 1000));
        if (b < firstBucket || seen.has(b)) continue;
        buckets.set(b, [...(buckets.get(b) ?? []), { start, end: r.finished_at == null ? undefined : ms(r.finished_at) }]);
      }
      for (const [b, cycles] of [...buckets].sort((x, y) => x[0] - y[0])) {
        if (cycles.length < cx.replicas || cycles.some((c) => c.end === undefined)) continue;
        seen.add(b);
        // One daemon serves every calendar (on SQLite it holds no leases): nothing to settle.
        const shares = cx.replicas === 1 ? new Map([[pids[0]!, { id: `pid ${pids[0]}`, n: cx.calendars }]]) : await db.leaseShares(pids);
        const ok = [...shares.values()].map((s) => s.n).sort((x, y) => y - x).join(',') === expected && shares.size === cx.replicas;
        const wallMs = Math.max(...cycles.map((c) => c.end!)) - Math.min(...cycles.map((c) => c.start));
        console.log(`sync paths: ${cx.replicas === 1 ? 'daemon' : 'replicas'} round at ${new Date(b * period * 1000).toISOString()}: ${cycles.length} cycles, ${(wallMs / 1000).toFixed(2)} s across them, shares ${[...shares.values()].map((s) => s.n).join('/')}${ok ? '' : ` (not yet ${expected.replace(/,/g, '/')})`}`);
        if (!ok) {
          if (settled.length === 0) roundsBeforeSettled += 1;
          continue;
        }
        settled.push({ wallMs, cyclesMs: cycles.map((c) => c.end! - c.start).sort((x, y) => y - x), lagMs: Math.min(...cycles.map((c) => c.start)) - b * period * 1000, shares });
        // The settled rounds so far warmed up; the measured ones start now.
        if (settled.length === warmUp) {
          for (const pid of pids) resetPeakRss(pid);
          marks = { cpu: new Map(pids.map((pid) => [pid, cpuMsOf(pid)])), sim: process.cpuUsage(), at: Date.now(), load: os.loadavg()[0]! };
        }
      }
    }
    const measured = settled.slice(warmUp);
    const sim = process.cpuUsage(marks!.sim);
    const last = measured.at(-1)!.shares;
    const perReplica = pids.map((pid) => {
      const cpu0 = marks!.cpu.get(pid);
      const cpu1 = cpuMsOf(pid);
      return { pid, replicaId: last.get(pid)?.id ?? '?', calendars: last.get(pid)?.n ?? 0, peakRssBytes: vmHwm(pid), cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
    });
    const med = [...measured].sort((x, y) => x.wallMs - y.wallMs)[Math.floor((measured.length - 1) / 2)]!;
    return {
      replicas: cx.replicas,
      schedule,
      roundsBeforeSettled,
      wallMs: med.wallMs,
      runsWallMs: measured.map((r) => r.wallMs),
      roundsCyclesMs: measured.map((r) => r.cyclesMs),
      roundsStartLagMs: measured.map((r) => r.lagMs),
      perReplica,
      simulatorsCpuMs: (sim.user + sim.system) / 1000,
      windowMs: Date.now() - marks!.at,
      loadAverage1m: { before: marks!.load, after: os.loadavg()[0]! },
      peakRssMethod: `/proc/<pid>/status VmHWM of each meetsync run process, ${resetWorks ? 'reset (clear_refs 5) when the measured rounds start' : 'NOT reset (clear_refs refused): since the daemon started'}`,
    };
  } finally {
    await Promise.all(daemons.map((d) => stopDaemon(d.child)));
    await db.close();
  }
}

interface RunsReader {
  lastRunId(): Promise<number>;
  syncRunsAfter(id: number): Promise<Array<{ started_at: unknown; finished_at: unknown }>>;
  /** Calendars whose lease is valid now, per holder, keyed by the daemon's pid (in the replica id: host-pid-random). */
  leaseShares(pids: number[]): Promise<Map<number, { id: string; n: number }>>;
  close(): Promise<void>;
}

/** The runs table (and the leases) of the daemons' database, read beside them. */
async function openRuns(database: ReplicasContext['database']): Promise<RunsReader> {
  if ('file' in database) {
    // Read-only beside the daemon: WAL lets it read while the daemon writes.
    const db = new Database(database.file, { readonly: true, fileMustExist: true, timeout: 5_000 });
    return {
      lastRunId: async () => Number(db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM runs').get()?.id ?? 0),
      syncRunsAfter: async (id) => db.prepare<[number], { started_at: unknown; finished_at: unknown }>("SELECT started_at, finished_at FROM runs WHERE kind = 'sync' AND id > ?").all(id),
      leaseShares: async () => new Map(),
      close: async () => void db.close(),
    };
  }
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  return {
    lastRunId: async () => Number((await db.query<{ id: string | null }>('SELECT max(id) AS id FROM runs')).rows[0]?.id ?? 0),
    syncRunsAfter: async (id) => (await db.query<{ started_at: unknown; finished_at: unknown }>("SELECT started_at, finished_at FROM runs WHERE kind = 'sync' AND id > $1", [id])).rows,
    leaseShares: (pids) => leaseShares(db, pids),
    close: () => db.end(),
  };
}

async function leaseShares(db: pg.Client, pids: number[]): Promise<Map<number, { id: string; n: number }>> {
  const now = Date.now();
  const rows = (await db.query<{ holder: string; expires_at: unknown }>('SELECT holder, expires_at FROM calendar_leases')).rows;
  const shares = new Map<number, { id: string; n: number }>();
  for (const r of rows) {
    if (ms(r.expires_at) <= now) continue;
    const pid = pids.find((p) => r.holder.includes(`-${p}-`)) ?? -1;
    const s = shares.get(pid) ?? { id: r.holder, n: 0 };
    s.n += 1;
    shares.set(pid, s);
  }
  return shares;
}

let resetWorks = true;

/** Resets the process's VmHWM to its current RSS (Linux 4.0+, clear_refs 5). */
function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    resetWorks = false;
  }
}

function vmHwm(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** SIGTERM (the daemon finishes its cycle, releases its leases), SIGKILL after a minute. */
function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
