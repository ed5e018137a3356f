import { Writable } from 'node:stream';
import type { Mapping } from '../../src/domain/mapping.js';
import type { MeetingSpec } from '../../src/domain/meeting.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import type { FeedLimits } from '../../src/reconcile/feed-fetch.js';
import type { ReconcileReport } from '../../src/reconcile/findings.js';
import { agendaFor } from '../../src/sync/execute.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { ALICE, API_KEY, startEngineHarness, tagged, type EngineHarness } from './engine-harness.js';

export const BOB = 'bob@example.com';

/**
 * The sync engine's harness (memory calendar + Web Meeting simulator over https) with meetings
 * made by real cycles, a second organizer, and what a person on the platform could do to them:
 * move, rename or delete a meeting, or make one by hand. The clock is moved past the feed grace
 * after the sync, as a scheduled reconciliation would run.
 */
export interface ReconcileWorld extends EngineHarness {
  userOf(email: string): string;
  /** Acts on the platform as a person would, through the API (not through meetsync). */
  platformEdit(mapping: Mapping, change: Partial<MeetingSpec>): Promise<void>;
  platformCreate(email: string, spec: Partial<MeetingSpec>): Promise<{ id: string; meetingNumber: string }>;
  reconcileNow(options?: { repair?: { dryRun?: boolean; deleteOrphans?: boolean }; organizer?: string; limits?: FeedLimits; platform?: WebMeetingClient; logger?: Logger }): Promise<ReconcileReport>;
  /** Platform calls that change something (POST, PUT, DELETE) since markWrites() (or since the world was made). */
  writes(): Array<{ method: string; path: string; body: string }>;
  markWrites(): void;
  /** Log lines written by `capturingLogger`. */
  logs: string[];
  capturingLogger(): Logger;
}

export async function startReconcileWorld(events = 2, simOptions: { feedNames?: 'id' | 'number' } = {}): Promise<ReconcileWorld> {
  const h = (await startEngineHarness({}, ['alice@example.com'], simOptions)) as ReconcileWorld;
  h.sim.addUser(h.accountId, { email: BOB, firstName: 'Bob', lastName: 'Example' });
  await refreshOrganizers(h.platform, h.store, [h.accountId], h.now);
  for (let i = 0; i < events; i += 1) h.source.put(tagged({ title: `Planning ${i + 1} #webmeeting` }, 2 + i));
  await h.engine.runCycle();
  // A scheduled reconciliation comes later than the creations: the feed grace is over.
  h.advance(15 * 60_000);

  h.userOf = (email) => h.store.organizer(email)!.userId;
  const specOf = (m: Mapping, change: Partial<MeetingSpec>): MeetingSpec => ({
    topic: m.topic, startTime: m.start, endTime: m.end, agenda: agendaFor(m.marker), type: 'standard', isRecorded: false, isDialin: false,
    recurrence: m.recurrence, ...(m.timeZone ? { timeZone: m.timeZone } : {}), ...change,
  });
  const person = new WebMeetingClient({ baseUrl: h.sim.url, apiKey: API_KEY });
  h.platformEdit = async (m, change) => {
    await person.updateMeeting(m.userId, m.meetingId!, specOf(m, change));
  };
  h.platformCreate = async (email, spec) => {
    const base: MeetingSpec = { topic: 'Made by hand', startTime: '2026-12-05T10:00:00.000Z', endTime: '2026-12-05T11:00:00.000Z', agenda: '', type: 'standard', isRecorded: false, isDialin: false, recurrence: null };
    const meeting = await person.createMeeting(h.userOf(email), { ...base, ...spec });
    return { id: meeting.id, meetingNumber: meeting.meetingNumber };
  };
  let mark = h.sim.server.requests.length;
  h.markWrites = () => {
    mark = h.sim.server.requests.length;
  };
  h.writes = () => h.sim.server.requests.slice(mark).filter((r) => r.method !== 'GET').map((r) => ({ method: r.method, path: r.path, body: r.body }));
  h.logs = [];
  h.capturingLogger = () => createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _enc, done) => { h.logs.push(String(chunk)); done(); } }) });
  h.reconcileNow = (options = {}) =>
    reconcile({
      store: h.store,
      platform: options.platform ?? h.platform,
      logger: options.logger ?? silentLogger(),
      now: () => h.now,
      ...(options.organizer ? { organizer: options.organizer } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.repair
        ? {
            repair: {
              dryRun: options.repair.dryRun ?? false,
              deleteOrphans: options.repair.deleteOrphans ?? false,
              sources: new Map([[h.source.name, h.source]]),
              rules: { keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] },
              defaults: { type: 'standard', isRecorded: false, isDialin: false },
            },
          }
        : {}),
    });
  return h;
}

export const active = (w: ReconcileWorld) => w.store.mappings({ state: 'active' });
export { ALICE };
