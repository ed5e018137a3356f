/**
 * `npm run bench`: speed and memory of the parts that grow with the number of events.
 * Figures are printed, not asserted: compare runs on the same machine.
 */
import { performance } from 'node:perf_hooks';
import { MemorySource } from '../src/calendars/memory.js';
import type { CalendarEvent } from '../src/domain/event.js';
import type { Mapping, Organizer } from '../src/domain/mapping.js';
import { silentLogger } from '../src/log.js';
import { WebMeetingSimulator } from '../src/simulators/webmeeting.js';
import { Store } from '../src/store/store.js';
import { SyncEngine } from '../src/sync/engine.js';
import { refreshOrganizers } from '../src/sync/organizers.js';
import { plan } from '../src/sync/plan.js';
import { WebMeetingClient } from '../src/webmeeting/client.js';

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

benchPlan();
benchStore();
await benchCycle();
