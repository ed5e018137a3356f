/**
 * `npm run bench`: speed and memory of the parts that grow with the number of events, and the
 * real paths (sync-paths.ts: `meetsync sync` against the simulators over https).
 * Figures are printed, not asserted: compare runs on the same machine.
 * `npm run bench -- --only sync,plan` runs some of them (plan, store, cycle, reconcile, sync);
 * the sync benchmark's flags (--calendars N --events M ...) are passed on to it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MemorySource } from '../src/calendars/memory.js';
import type { CalendarEvent } from '../src/domain/event.js';
import type { Mapping, Organizer } from '../src/domain/mapping.js';
import { silentLogger } from '../src/log.js';
import { WebMeetingSimulator } from '../src/simulators/webmeeting/server.js';
import { Store } from '../src/store/store.js';
import { SyncEngine } from '../src/sync/engine.js';
import { refreshOrganizers } from '../src/sync/organizers.js';
import { plan } from '../src/sync/plan.js';
import { WebMeetingClient } from '../src/webmeeting/client.js';
import { compare } from '../src/reconcile/compare.js';
import { readFeedText } from '../src/webmeeting/feed/read.js';
import { renderFeed } from '../src/simulators/webmeeting/ics.js';
import { newMeetingWire } from '../src/simulators/webmeeting/model.js';
import { agendaFor } from '../src/sync/execute.js';
import { parseSyncArgs, runSyncBench, UsageError } from './sync-paths.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const rules = { keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] };

function event(i: number, calendarId = 'alice@example.com'): Omit<CalendarEvent, 'source'> {
  const start = new Date(NOW.getTime() + (i % 170) * 86_400_000 + 3_600_000 * (i % 8));
  return {
    calendarId,
    eventId: `evt${i}`,
    organizerEmail: 'alice@example.com',
    isOrganizerCopy: true,
    status: 'confirmed',
    kind: 'single',
    title: i % 2 === 0 ? `Meeting ${i} #webmeeting` : `Untagged ${i}`,
    description: 'Agenda',
    location: '',
    categories: [],
    start: start.toISOString(),
    end: new Date(start.getTime() + 1_800_000).toISOString(),
    timeZone: 'Europe/Berlin',
    allDay: false,
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function benchPlan(): void {
  const n = 20_000;
  const events = Array.from({ length: n }, (_, i) => ({ ...event(i), source: 'mem' }));
  const mappings: Mapping[] = events.filter((_, i) => i % 4 === 0).map((e) => ({
    source: 'mem', calendarId: e.calendarId, eventId: e.eventId, organizerEmail: 'alice@example.com', userId: 'u', marker: `m${e.eventId}`,
    meetingId: 'a'.repeat(24), meetingNumber: '1234-5678-9012-3456', state: 'active', topic: 'x', start: e.start!, end: e.end!, recurrence: null,
    writeBack: 'done', createdAt: '', updatedAt: '',
  }));
  const organizers = new Map<string, Organizer>([['alice@example.com', { email: 'alice@example.com', accountId: 'a', userId: 'u', firstName: '', lastName: '', hasFeed: true, refreshedAt: '' }]]);
  const t0 = performance.now();
  const actions = plan({ events, mappings, organizers, rules, now: NOW, onEventCancelled: 'delete', accountIds: [], provisioning: false });
  const ms = performance.now() - t0;
  console.log(`plan(): ${n} events, ${mappings.length} mappings -> ${actions.length} actions in ${ms.toFixed(0)} ms (${((n / ms) * 1000).toFixed(0)} events/s)`);
}

async function benchCycle(): Promise<void> {
  const n = 1_000;
  const sim = new WebMeetingSimulator({ apiKey: 'bench-api-key-123456' });
  await sim.start();
  const { account } = sim.seedAccount({ adminEmail: 'alice@example.com' });
  const platform = new WebMeetingClient({ baseUrl: sim.url, apiKey: 'bench-api-key-123456' });
  const store = Store.open(':memory:');
  await refreshOrganizers(platform, store, [account.id], NOW);
  const source = new MemorySource({ name: 'mem', calendars: ['alice@example.com'] });
  for (let i = 0; i < n; i += 1) source.put(event(i));
  const engine = new SyncEngine({
    store, platform, sources: [source], logger: silentLogger(), now: () => NOW,
    settings: {
      rules, window: { pastDays: 1, futureDays: 365 }, onEventCancelled: 'delete', accountIds: [account.id],
      provisioning: { enabled: false, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2031-01-01T00:00:00.000Z' },
      defaults: { type: 'standard', isRecorded: false, isDialin: false }, safety: { maxCancelShare: 0.2, maxCancelMin: 5 },
    },
  });
  const rss0 = process.memoryUsage().rss;
  let t0 = performance.now();
  const first = await engine.runCycle();
  const firstMs = performance.now() - t0;
  const calls = sim.server.requests.length;
  t0 = performance.now();
  const second = await engine.runCycle();
  const secondMs = performance.now() - t0;
  console.log(`first cycle: ${n} events (${first.counts.created} tagged) -> ${first.counts.created} meetings created over HTTP in ${firstMs.toFixed(0)} ms (${(firstMs / first.counts.created).toFixed(2)} ms per meeting)`);
  console.log(`quiet cycle after write-back: ${second.counts.unchanged} unchanged, ${sim.server.requests.length - calls} platform calls, ${secondMs.toFixed(0)} ms`);
  console.log(`memory: rss ${mb(process.memoryUsage().rss)} (grew ${mb(process.memoryUsage().rss - rss0)} during the cycles), heap used ${mb(process.memoryUsage().heapUsed)}`);
  store.close();
  await sim.stop();
}

function benchStore(): void {
  const store = Store.open(':memory:');
  const n = 20_000;
  const t0 = performance.now();
  store.transaction(() => {
    for (let i = 0; i < n; i += 1) {
      store.saveMapping({
        source: 'mem', calendarId: 'c', eventId: `e${i}`, organizerEmail: 'a@example.com', userId: 'u', marker: `m${i}`, state: 'active',
        topic: 't', start: NOW.toISOString(), end: NOW.toISOString(), recurrence: null, writeBack: 'done', createdAt: '', updatedAt: '',
      });
    }
  });
  const writeMs = performance.now() - t0;
  const t1 = performance.now();
  const all = store.mappings({ source: 'mem', calendarId: 'c' });
  const readMs = performance.now() - t1;
  console.log(`store: ${n} mappings saved in ${writeMs.toFixed(0)} ms, read back (${all.length}) in ${readMs.toFixed(0)} ms`);
  store.close();
}

/**
 * Reconciliation at scale: one organizer's feed of 10,000 meetings (rendered as the simulator
 * renders a feed) served over HTTP by the simulator, against 10,000 mappings; 1% of the meetings
 * were moved on the platform. The reconciliation runs in a child process (reconcile-child.ts):
 * fetch, parse and compare end to end, with that process's peak RSS; parse and compare are also
 * timed here, on their own.
 */
async function benchReconcile(): Promise<void> {
  const n = 10_000;
  const apiKey = 'bench-api-key-123456';
  const sim = new WebMeetingSimulator({ apiKey });
  await sim.start();
  const { account, admin } = sim.seedAccount({ adminEmail: 'alice@example.com' });
  const platform = new WebMeetingClient({ baseUrl: sim.url, apiKey });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-bench-'));
  const database = path.join(dir, 'meetsync.db');
  const store = Store.open(database);
  await refreshOrganizers(platform, store, [account.id], NOW);
  const entries = [];
  const mappings: Mapping[] = [];
  for (let i = 0; i < n; i += 1) {
    const id = (0x5e9400000000 + i).toString(16).padStart(24, '0');
    const number = `1000-2000-${String(Math.floor(i / 10_000)).padStart(4, '0')}-${String(i % 10_000).padStart(4, '0')}`;
    const start = new Date(NOW.getTime() + 86_400_000 + (i % 170) * 86_400_000 + 3_600_000 * (i % 8));
    const end = new Date(start.getTime() + 1_800_000);
    const marker = `meetsync:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const wire = newMeetingWire({ id, meetingId: number, roomId: 'r', organizer: admin, accountId: account.id, icsToken: 'x' });
    const drifted = i % 100 === 0 ? 3_600_000 : 0;
    Object.assign(wire, { topic: `Meeting ${i}`, startTime: new Date(start.getTime() + drifted).toISOString(), endTime: new Date(end.getTime() + drifted).toISOString(), agenda: agendaFor(marker) });
    entries.push({ meeting: wire, modifiedAt: NOW, joinUrl: `${sim.url}/meeting/${number}` });
    mappings.push({
      source: 'mem', calendarId: 'alice@example.com', eventId: `evt${i}`, organizerEmail: 'alice@example.com', userId: admin.id, marker, meetingId: id, meetingNumber: number,
      state: 'active', topic: `Meeting ${i}`, start: start.toISOString(), end: end.toISOString(), recurrence: null, writeBack: 'done', createdAt: '2029-01-01T00:00:00.000Z', updatedAt: '2029-01-01T00:00:00.000Z',
    });
  }
  store.transaction(() => mappings.forEach((m) => store.saveMapping(m)));
  store.close();
  const feed = renderFeed(entries, { uidHost: '127.0.0.1', calendarName: 'bench' });
  sim.server.inject({ kind: 'status', status: 200, count: 1, pathIncludes: admin.icsToken, body: feed, headers: { 'content-type': 'text/calendar' } });

  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reconcile-child.js');
  const { stdout } = await run(process.execPath, [child, database, sim.url, apiKey, NOW.toISOString()]);
  const measured = JSON.parse(stdout) as { ms: number; summary: Record<string, number>; baselineRss: number; peakRss: number };
  const t1 = performance.now();
  const read = readFeedText(feed);
  const parseMs = performance.now() - t1;
  const t2 = performance.now();
  compare({ now: NOW, organizers: [{ email: 'alice@example.com', feed: { ok: true, read } }], mappings, notes: [] });
  const compareMs = performance.now() - t2;
  const s = measured.summary;
  console.log(
    `reconcile: ${read.items.length} feed meetings (${mb(Buffer.byteLength(feed))} of ICS) vs ${mappings.length} mappings -> ${s['in-step']} in step, ${s['time-drift']} time drift; ` +
      `${measured.ms.toFixed(0)} ms end to end over HTTP (alone: parse ${parseMs.toFixed(0)} ms, compare ${compareMs.toFixed(0)} ms)`,
  );
  console.log(`reconcile memory: peak RSS ${mb(measured.peakRss)} (${mb(measured.peakRss - measured.baselineRss)} above the process after loading)`);
  rmSync(dir, { recursive: true, force: true });
  await sim.stop();
}

function run(command: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout })));
  });
}

const BENCHES: Record<string, () => unknown> = {
  plan: benchPlan,
  store: benchStore,
  cycle: benchCycle,
  reconcile: benchReconcile,
  sync: () => runSyncBench(parseSyncArgs(process.argv.slice(2))),
};

try {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, options: { only: { type: 'string' } } });
  const only = typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new UsageError(`--only: no benchmark "${unknown.join('", "')}"; choose among ${Object.keys(BENCHES).join(', ')}`);
  // Flags are checked before anything runs, not after minutes of other benchmarks.
  if (only.includes('sync')) parseSyncArgs(process.argv.slice(2));
  for (const name of only) await BENCHES[name]!();
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`bench: ${err.message}`);
  process.exitCode = 2;
}
