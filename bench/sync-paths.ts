/**
 * Real-path benchmark: `meetsync sync` as a process (the built CLI, the real adapters, SQLite on
 * disk) against the Google Calendar, Microsoft Graph and Web Meeting simulators over https, in a
 * world of N calendars with M events each (sync-world.ts). Four cycles: the first full sync, the
 * cycle after it (meetsync reads its own write-backs back), a cycle with no change at all, and a
 * cycle after 1% of the events moved. For each: the requests each simulator received against the
 * least possible (sync-traffic.ts), wall time, the peak RSS of the meetsync process and its SQLite
 * work (sqlite-counter.ts). The floor: the no-change cycle's reads sent again as bare requests
 * (sync-floor-child.ts). Prints a table of targets and writes everything as JSON.
 *
 * The simulators run in this process and meetsync in a child: on 2 cores each gets one, and this
 * process does nothing else while a cycle runs. The floor runs in a child too, so it competes
 * with the simulators exactly as meetsync does. Seeding calls the simulators' methods directly.
 *
 * Usage: node dist/bench/sync-paths.js [--calendars N] [--events M] [--concurrency C]
 *        [--users-per-account U] [--out FILE] [--keep] [--skip-db-counts] [--cpu-prof DIR]
 *        [--node-options "FLAGS"]   (V8/Node flags for the meetsync process only, e.g. heap sizes)
 *        [--postgres ADMIN_URL]   (meetsync on PostgreSQL: a new database on that server, dropped after)
 *        [--replicas N]   (PostgreSQL only: the quiet cycle again with N `meetsync run` daemons sharing the
 *                          database, after the one-process cycles; sync-replicas.ts)
 *        (env BENCH_CALENDARS, BENCH_EVENTS). --cpu-prof writes a V8 CPU profile of each meetsync
 *        run into DIR, named after its cycle (open it in Chrome DevTools or speedscope).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { isPostgresUrl } from '../src/store/database-target.js';
import { GoogleCalendarSimulator } from '../src/simulators/google/server.js';
import { GraphSimulator } from '../src/simulators/graph/server.js';
import { SIM_API_KEY, SIM_GRAPH_APP, SIM_OAUTH_CLIENT } from '../src/simulators/launch.js';
import { loadOrCreateTls } from '../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../src/simulators/webmeeting/server.js';
import { type RecordedRequest } from '../src/simulators/kit/server.js';
import { moveOnePercent, seedWorld, type World, type WorldSize } from './sync-world.js';
import { countRequests, leastReads, observeAnswers, readAnswerOf, TARGETS, zeroCounts, type Counts, type ReadAnswer } from './sync-traffic.js';
import { renderSummary, type CycleResult, type SyncBenchResult } from './sync-report.js';
import { runReplicas } from './sync-replicas.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(ROOT, 'dist/src/bin.js');
const TIME = '/usr/bin/time';

export interface SyncBenchOptions extends WorldSize {
  /** Concurrent calendar reads: written into each source's config when meetsync knows the key, and the floor's. */
  concurrency: number;
  out?: string;
  keep: boolean;
  /** Leaves sqlite-counter.ts out of the meetsync process (to see that it costs nothing). */
  skipDbCounts: boolean;
  /** Folder for a CPU profile of each meetsync run. */
  cpuProf?: string;
  /** Node flags for the meetsync process only. */
  nodeOptions: string[];
  /** A PostgreSQL server's URL (a role that may create databases): meetsync runs on a new database there (issue 17). */
  postgres?: string;
  /** With more than 1 (PostgreSQL only), the quiet cycle is measured again across that many `meetsync run` daemons. */
  replicas: number;
}

export class UsageError extends Error {}

export function parseSyncArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SyncBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      calendars: { type: 'string' },
      events: { type: 'string' },
      concurrency: { type: 'string' },
      'users-per-account': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      'skip-db-counts': { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      'node-options': { type: 'string' },
      postgres: { type: 'string' },
      replicas: { type: 'string' },
    },
  });
  const int = (name: string, raw: unknown, fallback: number): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of at least 1, not "${String(raw)}"`);
    return n;
  };
  const calendars = int('calendars', values.calendars ?? env.BENCH_CALENDARS, 1000);
  if (calendars < 2) throw new UsageError('--calendars must be at least 2 (half Google calendars, half Outlook mailboxes)');
  const replicas = int('replicas', values.replicas, 1);
  if (replicas > 1 && typeof values.postgres !== 'string') throw new UsageError('--replicas more than 1 needs --postgres ADMIN_URL: replicas share a PostgreSQL database (on SQLite one process serves)');
  return {
    calendars,
    events: int('events', values.events ?? env.BENCH_EVENTS, 100),
    concurrency: int('concurrency', values.concurrency, 8),
    usersPerAccount: int('users-per-account', values['users-per-account'], 50),
    ...(typeof values.out === 'string' ? { out: path.resolve(values.out) } : {}),
    keep: values.keep === true,
    skipDbCounts: values['skip-db-counts'] === true,
    ...(typeof values['cpu-prof'] === 'string' ? { cpuProf: path.resolve(values['cpu-prof']) } : {}),
    nodeOptions: typeof values['node-options'] === 'string' ? values['node-options'].split(/\s+/).filter(Boolean) : [],
    ...(typeof values.postgres === 'string' ? { postgres: values.postgres } : {}),
    replicas,
  };
}

interface Sims {
  google: GoogleCalendarSimulator;
  graph: GraphSimulator;
  webMeeting: WebMeetingSimulator;
}

/** What one cycle should cost at the least, besides the reads counted from the answers. */
interface Expected {
  newMeetings: { google: number; outlook: number };
  updates: number;
  accountReads: number;
}

export async function runSyncBench(options: SyncBenchOptions): Promise<SyncBenchResult> {
  if (!existsSync(BIN)) throw new UsageError(`${BIN} is missing: run 'npm run build' first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-bench-sync-'));
  const tls = loadOrCreateTls(path.join(dir, 'tls'));
  const sims: Sims = {
    webMeeting: new WebMeetingSimulator({ apiKey: SIM_API_KEY, tls }),
    google: new GoogleCalendarSimulator({ tls, oauthClients: [SIM_OAUTH_CLIENT] }),
    graph: new GraphSimulator({ tls, clients: [SIM_GRAPH_APP] }),
  };
  for (const sim of Object.values(sims)) await sim.start();
  const answers: ReadAnswer[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;
  observeAnswers(sims.google, (req, res) => void pushDefined(answers, readAnswerOf('google', req, res)));
  observeAnswers(sims.graph, (req, res) => void pushDefined(answers, readAnswerOf('outlook', req, res)));

  try {
    const load = [os.loadavg()[0]!];
    const t0 = performance.now();
    const world = seedWorld(sims, options, Date.now());
    const seedMs = performance.now() - t0;
    console.log(`sync paths: seeded ${options.calendars} calendars x ${options.events} events (${world.own.length} organized, the rest attendee copies) in ${(seedMs / 1000).toFixed(1)} s; simulator heap ${mb(process.memoryUsage().heapUsed)}`);
    const database = options.postgres ? await createBenchDatabase(options.postgres) : undefined;
    if (database) dropDatabase = database.drop;
    const { configPath, engineConcurrency } = writeConfig(dir, sims, world, options.concurrency, database?.url ?? './meetsync.db');
    const dbPath = database?.url ?? path.join(dir, 'meetsync.db');
    const tagged = (p: 'google' | 'outlook') => world.own.filter((e) => e.provider === p && e.tagged).length;
    const cycle = (label: string, expected: Expected) =>
      runCycle(label, { sims, world, answers, dir, configPath, dbPath, caPath: tls.caCertPath, expected, dbCounts: !options.skipDbCounts && !database, label, nodeOptions: options.nodeOptions, ...(options.cpuProf ? { cpuProf: options.cpuProf } : {}) });
    const none: Expected = { newMeetings: { google: 0, outlook: 0 }, updates: 0, accountReads: 0 };

    const cycles: Measured[] = [];
    cycles.push(await cycle('first full sync', { ...none, newMeetings: { google: tagged('google'), outlook: tagged('outlook') }, accountReads: world.accountIds.length }));
    cycles.push(await cycle('second cycle (own write-backs read back)', none));
    // A quiet cycle and the floor are short: each is run REPEATS times and the median run kept,
    // so that one slow moment of a shared machine does not decide the ratio.
    const quietRuns: Measured[] = [];
    for (let i = 0; i < REPEATS; i += 1) quietRuns.push(await cycle('no change', none));
    const quiet = { ...median(quietRuns, (r) => r.wallMs), runsWallMs: quietRuns.map((r) => Math.round(r.wallMs)) };
    cycles.push(quiet);
    const floors: Array<SyncBenchResult['floor']> = [];
    for (let i = 0; i < REPEATS; i += 1) floors.push(await runFloor(quiet.readRequests, sims, tls.caCertPath, options.concurrency));
    const floor = { ...median(floors, (f) => f.ms), runsMs: floors.map((f) => Math.round(f.ms)) };
    // The quiet cycle as the daemon runs it (warm), one daemon; then, with --replicas N, N of them.
    const daemonContext = {
      rounds: REPEATS, dir, configText: readFileSync(configPath, 'utf8'), database: database ? { url: database.url } : { file: dbPath }, caPath: tls.caCertPath, bin: BIN,
      nodeOptions: options.nodeOptions, calendars: world.googleCalendars.length + world.mailboxes.length, quietCycleMs: Number(quiet.report?.durationMs ?? quiet.wallMs),
    };
    const daemon = await runReplicas({ ...daemonContext, replicas: 1 });
    const replicated = options.replicas > 1 && database ? await runReplicas({ ...daemonContext, replicas: options.replicas }) : undefined;
    const moved = moveOnePercent(sims, world, options);
    cycles.push(await cycle(`after 1% moved (${moved.length} events, ${moved.filter((e) => e.tagged).length} tagged)`, { ...none, updates: moved.filter((e) => e.tagged).length }));
    load.push(os.loadavg()[0]!);

    const result: SyncBenchResult = {
      at: new Date().toISOString(),
      command: `node dist/bench/sync-paths.js --calendars ${options.calendars} --events ${options.events} --concurrency ${options.concurrency} --users-per-account ${options.usersPerAccount}${options.nodeOptions.length > 0 ? ` --node-options "${options.nodeOptions.join(" ")}"` : ""}${options.postgres ? ' --postgres <server URL>' : ''}${options.replicas > 1 ? ` --replicas ${options.replicas}` : ''}`,
      store: options.postgres ? 'postgres' : 'sqlite',
      replicas: options.replicas,
      daemon,
      ...(replicated ? { replicated } : {}),
      size: { calendars: options.calendars, events: options.events, usersPerAccount: options.usersPerAccount, accounts: world.accountIds.length, ...world.counts },
      moved: moved.length,
      engineConcurrency,
      floorConcurrency: options.concurrency,
      machine: { cpus: os.cpus().length, loadAverage1m: { before: load[0]!, after: load[1]! }, node: process.version },
      seedMs,
      simulatorsInProcess: true,
      peakRssMethod: existsSync(TIME) ? 'GNU time %M (and %U + %S for CPU) of the meetsync process' : '/proc/<pid>/status VmHWM of the meetsync process, sampled every 20 ms',
      cycles: cycles.map(({ readRequests: _r, ...c }) => c),
      floor,
    };
    const out = options.out ?? path.join(ROOT, 'bench/results', `sync-${result.at.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(renderSummary(result));
    console.log(`sync paths: results written to ${out}`);
    return result;
  } finally {
    await Promise.all(Object.values(sims).map((s) => s.stop()));
    if (!options.keep) await dropDatabase?.();
    if (options.keep) console.log(`sync paths: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** How many mappings are active: SQLite's file, or the PostgreSQL database at a URL. */
async function activeMappings(target: string): Promise<number> {
  const query = "SELECT count(*) AS n FROM mappings WHERE state = 'active'";
  if (!isPostgresUrl(target)) {
    const db = new Database(target, { readonly: true });
    try {
      return (db.prepare(query).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(query)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** A new database on the server at `adminUrl` for one bench run, and how to drop it. */
async function createBenchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `meetsync_bench_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Quiet cycles and floor runs measured, of which the median counts. */
const REPEATS = 3;

/** The item whose `by` is the median (the lower middle one for an even count). */
function median<T>(items: readonly T[], by: (item: T) => number): T {
  return [...items].sort((a, b) => by(a) - by(b))[Math.floor((items.length - 1) / 2)]!;
}

function pushDefined<T>(list: T[], item: T | undefined): void {
  if (item !== undefined) list.push(item);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/**
 * The config meetsync runs with. `concurrency` is written into each source only when this build
 * of meetsync knows the key (its schema refuses unknown keys); without it the engine is sequential.
 */
function writeConfig(dir: string, sims: Sims, world: World, concurrency: number, database: string): { configPath: string; engineConcurrency: number | 'sequential' } {
  const build = (withConcurrency: boolean) =>
    stringify({
      database,
      window: { pastDays: 1, futureDays: 180 },
      webMeeting: { baseUrl: sims.webMeeting.url, apiKey: SIM_API_KEY, accountIds: world.accountIds },
      sources: [
        {
          name: 'bench-google',
          kind: 'google',
          calendars: world.googleCalendars,
          auth: { type: 'oauth', ...SIM_OAUTH_CLIENT },
          rootUrl: sims.google.rootUrl,
          tokenUrl: sims.google.tokenUrl,
          // One OAuth user holds every calendar here, and Google's per-user quota (600 a minute,
          // meetsync's default requestsPerMinute) would make the first sync of 500 calendars last
          // 8 minutes by design. A deployment this size uses a service account, where each
          // calendar is its own user; the simulator enforces no quota. So the limit is lifted:
          // the bench measures meetsync's own cost.
          ...(withConcurrency ? { concurrency, requestsPerMinute: 100_000 } : {}),
        },
        {
          name: 'bench-outlook',
          kind: 'outlook',
          mailboxes: world.mailboxes,
          auth: SIM_GRAPH_APP,
          graphBaseUrl: sims.graph.url,
          authorityHost: sims.graph.url,
          ...(withConcurrency ? { concurrency } : {}),
        },
      ],
    });
  let text = build(true);
  let engineConcurrency: number | 'sequential' = concurrency;
  try {
    parseConfig(text, {}, dir);
  } catch {
    text = build(false);
    parseConfig(text, {}, dir);
    engineConcurrency = 'sequential';
  }
  const configPath = path.join(dir, 'meetsync.yaml');
  writeFileSync(configPath, text, { mode: 0o600 });
  return { configPath, engineConcurrency };
}

interface CycleContext {
  sims: Sims;
  world: World;
  answers: ReadAnswer[];
  dir: string;
  configPath: string;
  dbPath: string;
  caPath: string;
  expected: Expected;
  dbCounts: boolean;
  label: string;
  cpuProf?: string;
  nodeOptions: string[];
}

type Measured = CycleResult & { readRequests: Array<{ server: 'google' | 'graph'; request: RecordedRequest }> };

async function runCycle(label: string, cx: CycleContext): Promise<Measured> {
  const { sims, world } = cx;
  const opened = () => sims.google.server.connectionsOpened + sims.graph.server.connectionsOpened + sims.webMeeting.server.connectionsOpened;
  const connections0 = opened();
  const marks = { google: sims.google.server.requests.length, graph: sims.graph.server.requests.length, platform: sims.webMeeting.server.requests.length, answers: cx.answers.length };
  const sqliteFile = path.join(cx.dir, `sqlite-${marks.answers}-${Date.now()}.json`);
  const simCpu0 = process.cpuUsage();
  const run = await runMeetsync(cx, sqliteFile);
  const simCpu = process.cpuUsage(simCpu0);
  const connections = opened() - connections0;
  const requests = {
    google: sims.google.server.requests.slice(marks.google),
    graph: sims.graph.server.requests.slice(marks.graph),
    platform: sims.webMeeting.server.requests.slice(marks.platform),
  };
  const actual = countRequests([
    { server: 'google', requests: requests.google },
    { server: 'graph', requests: requests.graph },
    { server: 'platform', requests: requests.platform },
  ]);
  const least: Counts = {
    ...zeroCounts(),
    ...leastReads(cx.answers.slice(marks.answers), world.googleCalendars, world.mailboxes),
    'google events.patch (write-back)': cx.expected.newMeetings.google,
    'google token': world.googleCalendars.length > 0 ? 1 : 0,
    'graph PATCH event (write-back)': cx.expected.newMeetings.outlook,
    'graph token': world.mailboxes.length > 0 ? 1 : 0,
    // One discovery document per process. msal-node asks none for Microsoft's own hosts: msal-common
    // carries their endpoint and instance metadata (src/authority/AuthorityMetadata.ts, hosts such as
    // login.microsoftonline.com, the tenant put in by "{tenant}"). The simulator's host is not one of
    // them, so msal reads `{authority}/v2.0/.well-known/openid-configuration` once (knownAuthorities
    // skips instance discovery; outlook/auth.ts). meetsync does not cache that document across
    // processes through `authorityMetadata`: it would save a request only against such hosts, and
    // msal leaves it to the application to keep a supplied document "correct, up-to-date" (msal.js
    // docs/performance.md, "Bypass authority metadata resolution"): a stale one breaks token requests.
    'graph authority metadata': world.mailboxes.length > 0 ? 1 : 0,
    'platform GET account/admin': cx.expected.accountReads,
    'platform POST meeting': cx.expected.newMeetings.google + cx.expected.newMeetings.outlook,
    'platform PUT meeting': cx.expected.updates,
  };
  const mappings = await activeMappings(cx.dbPath);
  const sqlite = existsSync(sqliteFile) ? (JSON.parse(readFileSync(sqliteFile, 'utf8')) as CycleResult['sqlite']) : undefined;
  const readRequests = [
    ...requests.google.filter((r) => r.method === 'GET' && r.path.startsWith('/calendar/v3/')).map((request) => ({ server: 'google' as const, request })),
    ...requests.graph.filter((r) => r.method === 'GET' && r.path.startsWith('/v1.0/')).map((request) => ({ server: 'graph' as const, request })),
  ];
  const result: Measured = {
    label,
    exitCode: run.code,
    wallMs: run.wallMs,
    peakRssBytes: run.peakRssBytes,
    ...(run.cpuMs !== undefined ? { cpuMs: run.cpuMs } : {}),
    simulatorsCpuMs: (simCpu.user + simCpu.system) / 1000,
    connections,
    report: run.report,
    ...(run.code !== 0 ? { stderrTail: run.stderrTail } : {}),
    requests: actual,
    least,
    activeMappings: mappings,
    ...(sqlite ? { sqlite } : {}),
    readRequests,
  };
  const total = (c: Counts) => TARGETS.reduce((n, t) => n + c[t], 0);
  console.log(`sync paths: ${label}: exit ${run.code}, ${(run.wallMs / 1000).toFixed(1)} s, ${total(actual)} requests (least ${total(least)}) on ${connections} connections, peak RSS ${run.peakRssBytes === undefined ? '?' : mb(run.peakRssBytes)}`);
  return result;
}

interface MeetsyncRun {
  code: number | null;
  wallMs: number;
  peakRssBytes: number | undefined;
  /** User + system CPU of the meetsync process (GNU time only). */
  cpuMs: number | undefined;
  report: Record<string, unknown> | undefined;
  stderrTail: string;
}

/** `meetsync --json sync` as a child process, timed from spawn to exit, its peak RSS taken by GNU time (or VmHWM). */
function runMeetsync(cx: CycleContext, sqliteFile: string): Promise<MeetsyncRun> {
  const rssFile = path.join(cx.dir, 'rss.txt');
  rmSync(rssFile, { force: true });
  const counter = pathToFileURL(path.join(HERE, 'sqlite-counter.js')).href;
  const profile = cx.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cx.cpuProf, '--cpu-prof-name', `${cx.label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`] : [];
  const node = [process.execPath, ...cx.nodeOptions, ...profile, ...(cx.dbCounts ? ['--import', counter] : []), BIN, '--json', 'sync', '--config', cx.configPath];
  const withTime = existsSync(TIME);
  const [command, ...args] = withTime ? [TIME, '-f', '%M %U %S', '-o', rssFile, ...node] : node;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command!, args, {
      cwd: cx.dir,
      env: { ...process.env, MEETSYNC_CONFIG: '', NODE_EXTRA_CA_CERTS: cx.caPath, BENCH_SQLITE_COUNTS: sqliteFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let vmHwm = 0;
    const sampler = withTime ? undefined : setInterval(() => (vmHwm = Math.max(vmHwm, readVmHwm(child.pid))), 20);
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (sampler) clearInterval(sampler);
      let report: Record<string, unknown> | undefined;
      try {
        const json = JSON.parse(Buffer.concat(stdout).toString('utf8')) as Record<string, unknown>;
        const { outcomes, calendars, planned: _p, ...counts } = json;
        const failedCalendars = Array.isArray(calendars) ? calendars.filter((c: { ok?: boolean }) => !c.ok) : [];
        report = { ...counts, calendars: Array.isArray(calendars) ? calendars.length : 0, failedCalendars: failedCalendars.slice(0, 5), outcomes: Array.isArray(outcomes) ? outcomes.length : 0 };
      } catch {
        report = undefined;
      }
      const timed = withTime ? readTime(rssFile) : undefined;
      const peakRssBytes = timed ? timed.peakRssBytes : vmHwm > 0 ? vmHwm : undefined;
      resolve({ code, wallMs, peakRssBytes, cpuMs: timed?.cpuMs, report, stderrTail: stderr });
    });
  });
}

/** GNU time writes "%M %U %S" (KiB, CPU seconds) on the last line, after "Command exited with non-zero status N" when it did. */
function readTime(file: string): { peakRssBytes: number; cpuMs: number } | undefined {
  if (!existsSync(file)) return undefined;
  const [kib, user, system] = (readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(kib) || !Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return { peakRssBytes: kib! * 1024, cpuMs: (user! + system!) * 1000 };
}

function readVmHwm(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The no-change cycle's reads again, bare (sync-floor-child.ts), one chain per calendar. */
async function runFloor(reads: Measured['readRequests'], sims: Sims, caPath: string, concurrency: number): Promise<SyncBenchResult['floor']> {
  const chains = new Map<string, Array<{ url: string; headers: Record<string, string> }>>();
  for (const { server, request } of reads) {
    const calendar = /^\/(?:calendar\/v3\/calendars|v1\.0\/users)\/([^/]+)/.exec(request.path)?.[1] ?? request.path;
    const origin = server === 'google' ? sims.google.url : sims.graph.url;
    const query = new URLSearchParams(request.query).toString();
    const headers = Object.fromEntries(
      ['authorization', 'prefer', 'content-type'].flatMap((h) => {
        const v = request.headers[h];
        return typeof v === 'string' ? [[h, v]] : [];
      }),
    );
    const key = `${server} ${calendar}`;
    chains.set(key, [...(chains.get(key) ?? []), { url: `${origin}${request.path}${query ? `?${query}` : ''}`, headers }]);
  }
  const child = path.join(HERE, 'sync-floor-child.js');
  const input = JSON.stringify({ concurrency, chains: [...chains.values()] });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [child], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`floor child failed (exit ${code}): ${stderr.slice(-2000)}`));
      const measured = JSON.parse(stdout) as { ms: number; cpuMs: number; requests: number; bytes: number; notOk: number };
      resolve({ ...measured, concurrency, calendars: chains.size, processWallMs: performance.now() - t0 });
    });
    proc.stdin.end(input);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await runSyncBench(parseSyncArgs(process.argv.slice(2)));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`sync paths: ${err.message}`);
    process.exitCode = 2;
  }
}
