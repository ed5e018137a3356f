/**
 * Organizer-to-effect latency, with push notifications and with polling alone (issue 18,
 * "Measured"). The simulators run in this process over https; `meetsync run` (the built CLI) runs
 * as a child process over real HTTP to them, as an operator runs it. Organizers act at random
 * moments (seeded): they tag a new event, move a tagged event, cancel one, or take its tag off.
 * Each change is timed from the moment the simulator stored it to the moment its effect is visible
 * in the simulators' state (read in-process every 50 ms): the join link written into the event,
 * the platform meeting moved, or the meeting deleted.
 *
 * Modes: `push` (push.publicUrl on a loopback listener, the schedule every 10 minutes, so the
 * notifications do the work) and `polling` (no push, a cycle every `--period` seconds).
 *
 * Usage: npm run bench:latency -- [--changes 200] [--calendars 8] [--seed N] [--period 30]
 *        [--gap 1.5] [--modes push,polling]
 * Google calendars only for now: the Outlook mailboxes join through another `Provider` once Graph
 * push lands (the workload and the measurement do not depend on the provider).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleCalendarSimulator } from '../src/simulators/google/server.js';
import { seededRandom } from '../src/simulators/kit/faults.js';
import { loadOrCreateTls } from '../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../src/simulators/webmeeting/server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, '../src/bin.js');
const RESULTS = path.resolve(HERE, '../../bench/results');
const OAUTH = { clientId: 'bench-client', clientSecret: 'bench-client-secret', refreshToken: 'bench-refresh-token' };
const API_KEY = 'bench-api-key-0123456789';
/** The push mode's schedule: slow, so that every effect it measures comes from a notification's read. */
const PUSH_SCHEDULE = '*/10 * * * *';
const POLL_MS = 50;
/** Tagged events on each calendar before the first change, so moves and cancels have something to act on. */
const SEEDED_PER_CALENDAR = 2;

type Mode = 'push' | 'polling';
type Kind = 'tag' | 'move' | 'cancel' | 'untag';
const KINDS: readonly Kind[] = ['tag', 'move', 'cancel', 'untag'];

interface Options {
  changes: number;
  calendars: number;
  seed: number;
  periodS: number;
  gapS: number;
  modes: Mode[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { changes: 200, calendars: 8, seed: Math.floor(Math.random() * 2 ** 31), periodS: 30, gapS: 1.5, modes: ['push', 'polling'] };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i += 1;
    const n = Number(value);
    switch (flag) {
      case '--changes': o.changes = n; break;
      case '--calendars': o.calendars = n; break;
      case '--seed': o.seed = n; break;
      case '--period': o.periodS = n; break;
      case '--gap': o.gapS = n; break;
      case '--modes': o.modes = value.split(',').map((m) => { if (m !== 'push' && m !== 'polling') throw new Error(`unknown mode ${m}`); return m; }); break;
      default: throw new Error(`unknown option ${flag} (--changes, --calendars, --seed, --period, --gap, --modes)`);
    }
    if (flag !== '--modes' && !(Number.isFinite(n) && n > 0)) throw new Error(`${flag} must be a positive number`);
  }
  cronFor(o.periodS);
  return o;
}

/** A 6-field (seconds) or 5-field cron expression firing every `seconds`; only periods cron can express evenly. */
function cronFor(seconds: number): string {
  if (Number.isInteger(seconds) && seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
  if (seconds % 60 === 0 && 60 % (seconds / 60) === 0) return `*/${seconds / 60} * * * *`;
  throw new Error(`--period ${seconds}: use a divisor of 60 seconds (1..30) or of 60 minutes (60, 120, ... 1800)`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** One organizer event the bench keeps track of. */
interface Tracked {
  calendarId: string;
  eventId: string;
  /** A change to it is in flight: it is not picked again until its effect is seen. */
  busy: boolean;
  /** Tagged, its link written and its meeting known: it can be moved, cancelled or untagged. */
  meetingId?: string;
  start: number;
}

/** A change made and the effect awaited. */
interface Pending {
  kind: Kind;
  event: Tracked;
  at: number;
  /** Seen when this returns true. */
  done: (meetings: Map<string, { startTime: string }>) => boolean;
}

interface Sample { kind: Kind; ms: number }

/** The calendar provider's side of the workload: Google now; Outlook (Graph simulator) once Graph push lands. */
interface Provider {
  readonly name: string;
  insert(calendarId: string, summary: string, startMs: number): string;
  move(calendarId: string, eventId: string, startMs: number): void;
  cancel(calendarId: string, eventId: string): void;
  untag(calendarId: string, eventId: string, summary: string): void;
  /** The meeting id meetsync stamped, once the join link is written into the event. */
  linkedMeeting(calendarId: string, eventId: string): string | undefined;
}

function googleProvider(google: GoogleCalendarSimulator): Provider {
  const span = (startMs: number) => ({ start: { dateTime: new Date(startMs).toISOString() }, end: { dateTime: new Date(startMs + 3_600_000).toISOString() } });
  return {
    name: 'google',
    insert: (cal, summary, startMs) => google.userInsert(cal, { summary, ...span(startMs) }).id!,
    move: (cal, id, startMs) => void google.userPatch(cal, id, span(startMs)),
    cancel: (cal, id) => google.userDelete(cal, id),
    untag: (cal, id, summary) => void google.userPatch(cal, id, { summary }),
    linkedMeeting: (cal, id) => {
      const e = google.getEvent(cal, id);
      const meetingId = e?.extendedProperties?.private?.['meetsyncMeetingId'];
      return meetingId && /Join: /.test(e.description ?? '') ? meetingId : undefined;
    },
  };
}

interface ModeResult {
  mode: Mode;
  schedule: string;
  samples: Sample[];
  timedOut: Record<Kind, number>;
  wallS: number;
  /** The daemon's own view (GET /metrics): meetsync_tag_to_link_seconds for Google, count and sum. */
  daemonHistogram?: { count: number; sumS: number };
}

async function runMode(mode: Mode, o: Options): Promise<ModeResult> {
  const random = seededRandom(o.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-latency-bench-'));
  const tls = loadOrCreateTls(path.join(dir, 'tls'));
  const wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
  const google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
  await wm.start();
  await google.start();
  const calendars = Array.from({ length: o.calendars }, (_, i) => `organizer${i + 1}@example.com`);
  const { account } = wm.seedAccount({ adminEmail: calendars[0]! });
  for (const [i, cal] of calendars.entries()) {
    google.addCalendar(cal);
    if (i > 0) wm.addUser(account.id, { email: cal, firstName: 'Organizer', lastName: String(i + 1) });
  }
  const provider = googleProvider(google);
  // Events in the future (inside the window), spread over days so no two share a slot.
  const base = Date.UTC(new Date().getUTCFullYear() + 1, 2, 1, 9);
  let serial = 0;
  const slot = () => base + Math.floor(random() * 300) * 86_400_000 + Math.floor(random() * 8) * 3_600_000;
  const tracked: Tracked[] = [];
  const tagNew = (calendarId: string): Tracked => {
    const start = slot();
    serial += 1;
    const event: Tracked = { calendarId, eventId: provider.insert(calendarId, `Change ${serial} #webmeeting`, start), busy: true, start };
    tracked.push(event);
    return event;
  };
  const seeded = calendars.flatMap((cal) => Array.from({ length: SEEDED_PER_CALENDAR }, () => tagNew(cal)));

  const push = mode === 'push';
  const port = await freePort();
  const schedule = push ? PUSH_SCHEDULE : cronFor(o.periodS);
  const configPath = path.join(dir, 'meetsync.yaml');
  writeFileSync(
    configPath,
    `database: ./meetsync.db
schedule: "${schedule}"
window: { pastDays: 1, futureDays: 3650 }
webMeeting: { baseUrl: ${wm.url}, apiKey: ${API_KEY}, accountIds: [${account.id}] }
http: { listen: "127.0.0.1:${port}" }
${push ? `push: { publicUrl: "http://127.0.0.1:${port}" }\n` : ''}sources:
  - name: corp-google
    kind: google
    calendars: [${calendars.join(', ')}]
    auth: { type: oauth, clientId: ${OAUTH.clientId}, clientSecret: ${OAUTH.clientSecret}, refreshToken: ${OAUTH.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
`,
  );
  const child = spawn(process.execPath, [BIN, '--config', configPath, 'run'], {
    cwd: dir,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertPath },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    // Ready: the seeded events linked (the first cycle) and, with push, every calendar's channel open.
    for (let waited = 0; ; waited += POLL_MS) {
      for (const e of seeded) {
        const meetingId = e.busy ? provider.linkedMeeting(e.calendarId, e.eventId) : undefined;
        if (meetingId) Object.assign(e, { busy: false, meetingId });
      }
      if (seeded.every((e) => !e.busy) && (!push || google.openChannels().length >= calendars.length)) break;
      if (waited > 120_000) throw new Error(`meetsync run did not get ready in 120 s:\n${stderr.slice(-3000)}`);
      await sleep(POLL_MS);
    }

    const limitMs = Math.max(120_000, 4 * o.periodS * 1000);
    const pending = new Set<Pending>();
    const samples: Sample[] = [];
    const timedOut: Record<Kind, number> = { tag: 0, move: 0, cancel: 0, untag: 0 };
    let watching = true;
    // One watcher over every change in flight: reads the simulators' state every 50 ms.
    const watcher = (async () => {
      while (watching || pending.size > 0) {
        const now = performance.now();
        const needMeetings = [...pending].some((p) => p.kind !== 'tag');
        const meetings = needMeetings ? new Map(wm.meetings().map((m) => [m.id, m])) : new Map<string, { startTime: string }>();
        for (const p of pending) {
          if (p.done(meetings)) {
            samples.push({ kind: p.kind, ms: now - p.at });
            pending.delete(p);
            p.event.busy = false;
          } else if (now - p.at > limitMs) {
            timedOut[p.kind] += 1;
            pending.delete(p);
          }
        }
        await sleep(POLL_MS);
      }
    })();

    const began = performance.now();
    for (let i = 0; i < o.changes; i += 1) {
      // Exponential gaps: changes arrive at random moments, independent of the schedule.
      await sleep(-Math.log(1 - random()) * o.gapS * 1000);
      const calendarId = calendars[Math.floor(random() * calendars.length)]!;
      const ready = tracked.filter((e) => e.calendarId === calendarId && !e.busy && e.meetingId);
      const roll = random();
      const kind: Kind = ready.length === 0 || roll < 0.4 ? 'tag' : roll < 0.75 ? 'move' : roll < 0.9 ? 'cancel' : 'untag';
      let change: Omit<Pending, 'at'>;
      let at: number;
      if (kind === 'tag') {
        at = performance.now();
        const event = tagNew(calendarId);
        change = {
          kind, event, done: () => {
            const meetingId = provider.linkedMeeting(event.calendarId, event.eventId);
            if (meetingId) event.meetingId = meetingId;
            return meetingId !== undefined;
          },
        };
      } else {
        const event = ready[Math.floor(random() * ready.length)]!;
        const meetingId = event.meetingId!;
        event.busy = true;
        if (kind === 'move') {
          const before = wm.meetings().find((m) => m.id === meetingId)?.startTime;
          event.start = slot();
          at = performance.now();
          provider.move(event.calendarId, event.eventId, event.start);
          change = { kind, event, done: (meetings) => { const now = meetings.get(meetingId)?.startTime; return now !== undefined && now !== before; } };
        } else {
          at = performance.now();
          if (kind === 'cancel') provider.cancel(event.calendarId, event.eventId);
          else provider.untag(event.calendarId, event.eventId, `Untagged ${event.eventId}`);
          // Never picked again: cancelled, or untagged (a retag would be a new kind of change).
          delete event.meetingId;
          change = { kind, event, done: (meetings) => !meetings.has(meetingId) };
        }
      }
      pending.add({ ...change, at });
    }
    watching = false;
    await watcher;
    const wallS = (performance.now() - began) / 1000;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const series = (name: string) => Number(new RegExp(`^meetsync_tag_to_link_seconds_${name}\\{provider="google"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const daemonHistogram = { count: series('count'), sumS: series('sum') };
    return { mode, schedule, samples, timedOut, wallS, ...(Number.isFinite(daemonHistogram.count) ? { daemonHistogram } : {}) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await google.stop();
    await wm.stop();
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Summary { count: number; p50S: number; p95S: number; maxS: number }

function summarize(ms: number[]): Summary | undefined {
  if (ms.length === 0) return undefined;
  const sorted = [...ms].sort((a, b) => a - b);
  const s = (v: number) => Math.round(v) / 1000;
  return { count: sorted.length, p50S: s(quantile(sorted, 0.5)), p95S: s(quantile(sorted, 0.95)), maxS: s(sorted.at(-1)!) };
}

const line = (label: string, s: Summary, unit = 'changes') => `${label}: p50 ${s.p50S.toFixed(1)} s, p95 ${s.p95S.toFixed(1)} s, max ${s.maxS.toFixed(1)} s (${s.count} ${unit})`;

const o = parseArgs(process.argv.slice(2));
console.log(`bench:latency: Google calendars only (Outlook mailboxes once Graph push lands); seed ${o.seed}, ${o.changes} changes per mode over ${o.calendars} calendars, a change every ${o.gapS} s on average; push: schedule "${PUSH_SCHEDULE}", the simulator delivering each notification at once (Google's own delivery delay is not in these figures); polling: every ${o.periodS} s`);
const report: Record<string, unknown> = { generatedAt: new Date().toISOString(), provider: 'google', seed: o.seed, changes: o.changes, calendars: o.calendars, gapS: o.gapS, periodS: o.periodS, host: { cpus: os.cpus().length, node: process.version }, modes: {} };
const lines: string[] = [];
for (const mode of o.modes) {
  const r = await runMode(mode, o);
  const all = summarize(r.samples.map((s) => s.ms));
  const missed = Object.values(r.timedOut).reduce((a, b) => a + b, 0);
  const perKind = Object.fromEntries(KINDS.map((k) => [k, summarize(r.samples.filter((s) => s.kind === k).map((s) => s.ms))]));
  const modeLines = [all ? line(mode, all) : `${mode}: no change seen`];
  for (const k of KINDS) if (perKind[k]) modeLines.push(`  ${mode} ${k}: ${line('', perKind[k]!).slice(2)}`);
  if (missed > 0) modeLines.push(`  ${mode}: ${missed} change(s) not seen within the limit: ${JSON.stringify(r.timedOut)}`);
  const goal = !all
    ? 'no figures'
    : mode === 'push'
      ? `goal: p95 under 15 s: ${all.p95S < 15 ? 'met' : 'NOT met'}`
      : `goal: bounded by the period (${o.periodS} s) plus a cycle: max ${all.maxS.toFixed(1)} s`;
  modeLines.push(`  ${mode}: ${goal}; ${r.wallS.toFixed(0)} s of changes`);
  const h = r.daemonHistogram;
  if (h) modeLines.push(`  ${mode}: the daemon's meetsync_tag_to_link_seconds{provider="google"}: ${h.count} links, mean ${(h.count ? h.sumS / h.count : 0).toFixed(1)} s (from the event's 'updated'; seeded events included)`);
  for (const l of modeLines) console.log(l);
  lines.push(...modeLines);
  (report.modes as Record<string, unknown>)[mode] = { schedule: r.schedule, daemonHistogram: r.daemonHistogram, all, perKind, timedOut: r.timedOut, wallS: Math.round(r.wallS), samples: r.samples.map((s) => ({ kind: s.kind, ms: Math.round(s.ms) })) };
}
report.lines = lines;
mkdirSync(RESULTS, { recursive: true });
const file = path.join(RESULTS, `latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`written ${path.relative(process.cwd(), file)}`);
