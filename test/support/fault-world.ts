import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { OutlookSource } from '../../src/calendars/outlook/source.js';
import type { CalendarSource } from '../../src/calendars/source.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { DrawnFault, FaultCampaign } from '../../src/simulators/kit/faults.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { buildStatus, renderStatus, statusNeedsAttention, type StatusReport } from '../../src/status.js';
import { msToNextTry } from './next-try.js';
import { calendarIdentity } from '../../src/domain/calendar-identity.js';
import { settleCalendarKeys, type CalendarKeysReport } from '../../src/store/calendar-keys.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine, type CycleReport } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { CampaignDatabase } from './campaign-database.js';
import { settings } from './engine-harness.js';

/**
 * The world of the fault campaign (test/campaign/fault.test.ts): the real engine and store, the
 * real googleapis, msal-node + Graph client and Web Meeting client, over https to the three
 * simulators, with the engine's clock in the test's hands. Organizers act in their calendars
 * through the simulators' user controls (never through meetsync), following a script that is
 * the same in a faulty and a fault-free run. The database is the one the engine's tests run on
 * (CampaignDatabase: SQLite, or with MEETSYNC_TEST_STORE=postgres a PostgreSQL database, the
 * engine serving every calendar without leases, as in the engine's other tests).
 */

const API_KEY = 'fault-campaign-api-key-0123456789';
const OAUTH = { clientId: 'fault-cid', clientSecret: 'fault-google-secret', refreshToken: 'fault-google-refresh' };
const GRAPH_APP = { tenantId: '0c0ffee0-0000-4000-8000-00000000fa17', clientId: '1d2e3f40-5555-4666-8777-88889999fa17', clientSecret: 'fault~graph~secret' };
export const GOOGLE_SOURCE = 'corp-google';
export const OUTLOOK_SOURCE = 'corp-m365';
export const GOOGLE_CALENDARS = ['alice@example.com', 'bob@example.com'];
export const MAILBOXES = ['carol@example.com', 'dave@example.com'];
const CALENDARS = [...GOOGLE_CALENDARS.map((id) => ({ source: GOOGLE_SOURCE, calendarId: id })), ...MAILBOXES.map((id) => ({ source: OUTLOOK_SOURCE, calendarId: id }))];
/** The engine's clock moves this much a cycle (the default schedule). */
const CYCLE_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Deadlines of every call, short so that a timeout costs the campaign one second: the Web
 * Meeting client's `webMeeting.timeoutMs` at its configured minimum (config/schema.ts), the
 * adapters' `requestTimeoutMs` alike.
 */
const DEADLINE_MS = 1_000;
const RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

export type Simulated = 'webMeeting' | 'google' | 'graph';

/** One organizer's action between cycles; `pick` chooses among the live scripted events. */
export type Step =
  | { kind: 'create'; calendar: number; day: number; hour: number; tagged: boolean }
  | { kind: 'move'; pick: number; day: number; hour: number }
  | { kind: 'rename'; pick: number }
  | { kind: 'cancel'; pick: number }
  /** The organizer undoes the event's last move (issue 15: an edit reverted after an unconfirmed PUT). */
  | { kind: 'undo'; pick: number }
  /** The event becomes all-day, or gets its times back (issue 15: an event that can no longer have a meeting). */
  | { kind: 'all-day'; pick: number };

/**
 * Issue 15, between two runs of meetsync: a source renamed, or the first Google calendar id
 * written in another case (`rename`); the database lost (`lose`: meetsync starts on an empty
 * one); or replaced by the copy `restore.copy` (0: the oldest) of those `backup` took earlier.
 * Then meetsync starts again.
 */
export type Offline = { kind: 'rename'; what: 'google' | 'outlook' | 'case' } | { kind: 'lose' } | { kind: 'restore'; copy: number };

/** The script's view of an event: what the organizer did, known without asking meetsync. */
interface ScriptedEvent {
  label: string;
  /** GOOGLE_SOURCE or OUTLOOK_SOURCE: the provider (what the config calls it now: FaultWorld.keyOf). */
  source: string;
  /** In lower case, as the simulators' user controls take it. */
  calendarId: string;
  base: string;
  tagged: boolean;
  start: string;
  end: string;
  /** The times before the last move, for 'undo'. */
  before?: { start: string; end: string };
  allDay: boolean;
  live: boolean;
}

/** What became of one scripted event, comparable between runs (meeting ids differ, labels do not). */
export interface EventState {
  live: boolean;
  tagged: boolean;
  /** The live meetings made for it (by its mapping's marker): exactly one for a live tagged event. */
  meetings: Array<{ topic: string; startTime: string; endTime: string }>;
  /** The event's description carries one join block, naming its meeting's number. */
  joinLink: 'written' | 'absent' | 'wrong';
}

export interface WorldState {
  events: Record<string, EventState>;
  liveMeetings: number;
  /** Live meetings that no active mapping of a live tagged event holds. */
  orphans: string[];
}

export interface CycleResult {
  report: CycleReport;
  status: StatusReport;
  /** Platform and calendar writes (anything but GET) the simulators received during the cycle. */
  writes: number;
}

export function seededSteps(seed: number, count: number): Step[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const steps: Step[] = [];
  for (let i = 0; i < count; i += 1) {
    const r = random();
    if (r < 0.4) steps.push({ kind: 'create', calendar: int(4), day: 1 + int(20), hour: 7 + int(9), tagged: random() < 0.85 });
    else if (r < 0.6) steps.push({ kind: 'move', pick: int(1_000), day: 1 + int(20), hour: 7 + int(9) });
    else if (r < 0.8) steps.push({ kind: 'rename', pick: int(1_000) });
    else steps.push({ kind: 'cancel', pick: int(1_000) });
  }
  return steps;
}

/**
 * Issue 15's classes, drawn apart from seededSteps so that a seed's script of creations, moves,
 * renames and cancellations stays what it was when the seed found its bug: before each cycle,
 * sometimes one more step, an undo of a move or an all-day flip.
 */
export function seededExtras(seed: number, cycles: number): Array<Step | undefined> {
  const steps = seededSteps(seed ^ 0x5eed15, cycles * 2);
  return Array.from({ length: cycles }, (_, i) => {
    const [draw, pick] = [steps[2 * i]!, steps[2 * i + 1]!];
    const n = 'pick' in pick ? pick.pick : 0;
    if (draw.kind === 'move') return { kind: 'undo', pick: n };
    if (draw.kind === 'cancel') return { kind: 'all-day', pick: n };
    return undefined;
  });
}

/**
 * Issue 15's steps between runs, drawn apart from the other scripts (so that a seed's edits stay
 * what they were): after `cycle`, a rename; later the database lost and restored from a copy, in
 * an order the seed draws, the restore maybe with a rename too. Copies are taken after BACKUP_CYCLES.
 */
export function seededOffline(seed: number): Array<{ cycle: number; change: Offline }> {
  const [a, b, c] = seededSteps(seed ^ 0x0ff11e, 3).map((s) => ('pick' in s ? s.pick : s.kind === 'create' ? s.day : 0));
  const renames = ['google', 'outlook', 'case'] as const;
  const first = renames[a! % 3]!;
  const second = renames[(a! + 1 + (b! % 2)) % 3]!;
  const loss: Offline[] = [{ kind: 'lose' }, { kind: 'restore', copy: c! % 2 }];
  if (b! % 2 === 1) loss.reverse();
  return [
    { cycle: 7, change: { kind: 'rename', what: first } },
    { cycle: 11, change: loss[0]! },
    { cycle: 15, change: loss[1]! },
    { cycle: 15, change: { kind: 'rename', what: second } },
  ];
}

/** After these cycles the database is copied (as a backup job would), or at the first cycle after with no creation unconfirmed. */
export const BACKUP_CYCLES = [3, 8];

export class FaultWorld {
  now: Date;
  private readonly scripted: ScriptedEvent[] = [];
  /** label -> provider event id, in this run. */
  private readonly ids = new Map<string, string>();
  private renames = 0;
  /** What the config calls the sources, and how it spells each calendar id, now (issue 15: renamed between runs). */
  private readonly names = new Map<string, string>([
    [GOOGLE_SOURCE, GOOGLE_SOURCE],
    [OUTLOOK_SOURCE, OUTLOOK_SOURCE],
    ...CALENDARS.map((c): [string, string] => [c.calendarId, c.calendarId]),
  ]);
  /** Apart from `renames` (events' titles): both runs of a seed must give an event the same title. */
  private sourceRenames = 0;
  store: Store;
  engine: SyncEngine;

  private constructor(
    readonly google: GoogleCalendarSimulator,
    readonly graph: GraphSimulator,
    readonly wm: WebMeetingSimulator,
    private readonly dir: string,
    private readonly db: CampaignDatabase,
    private readonly accountId: string,
    private readonly platform: WebMeetingClient,
    private readonly start: Date,
    private readonly clock: { now: Date },
  ) {
    this.now = start;
    this.store = db.open();
    this.engine = this.newEngine();
  }

  /** The calendars as the config names them now. */
  calendars(): Array<{ source: string; calendarId: string }> {
    return CALENDARS.map((c) => this.keyOf(c));
  }

  /** Where the store keeps a calendar's rows: its source's and id's names now. */
  private keyOf(c: { source: string; calendarId: string }): { source: string; calendarId: string } {
    return { source: this.names.get(c.source)!, calendarId: this.names.get(c.calendarId)! };
  }

  /** A start of meetsync: the calendars' rows moved to the config's names (app.ts settleKeys), an engine over the store. */
  private newEngine(): SyncEngine {
    const calendarsOf = (source: string) => CALENDARS.filter((c) => c.source === source).map((c) => this.names.get(c.calendarId)!);
    const google = this.names.get(GOOGLE_SOURCE)!;
    const outlook = this.names.get(OUTLOOK_SOURCE)!;
    this.keys = settleCalendarKeys(
      this.store,
      [
        ...calendarsOf(GOOGLE_SOURCE).map((calendarId) => ({ source: google, calendarId, identity: calendarIdentity({ kind: 'google', name: google }, calendarId) })),
        ...calendarsOf(OUTLOOK_SOURCE).map((calendarId) => ({ source: outlook, calendarId, identity: calendarIdentity({ kind: 'outlook', name: outlook, auth: GRAPH_APP }, calendarId) })),
      ],
      this.clock.now,
    );
    const sources: CalendarSource[] = [
      new GoogleSource({
        name: google,
        calendars: calendarsOf(GOOGLE_SOURCE),
        auth: { type: 'oauth', ...OAUTH },
        rootUrl: this.google.rootUrl,
        tokenUrl: this.google.tokenUrl,
        retry: RETRY,
        requestTimeoutMs: DEADLINE_MS,
      }),
      new OutlookSource({
        name: outlook,
        mailboxes: calendarsOf(OUTLOOK_SOURCE),
        auth: GRAPH_APP,
        graphBaseUrl: this.graph.url,
        authorityHost: this.graph.url,
        retry: RETRY,
        requestTimeoutMs: DEADLINE_MS,
      }),
    ];
    return new SyncEngine({
      store: this.store,
      platform: this.platform,
      sources,
      settings: settings({ accountIds: [this.accountId], window: { pastDays: 1, futureDays: 60 } }),
      // FAULT_LOG=<file> writes the engine's log there (debug level), to follow a failing seed.
      logger: process.env.FAULT_LOG ? createLogger({ level: 'debug', destination: createWriteStream(process.env.FAULT_LOG, { flags: 'a' }) }) : silentLogger(),
      now: () => this.clock.now,
    });
  }

  /** A cycle with every simulator's faults held (the campaigns resume after it). */
  async firstStart(): Promise<CycleResult> {
    const sims = [this.wm, this.google, this.graph];
    sims.forEach((sim) => sim.server.pauseCampaign(true));
    try {
      return await this.cycle();
    } finally {
      sims.forEach((sim) => sim.server.pauseCampaign(false));
    }
  }

  /** What the last start did to the calendars' rows. */
  keys: CalendarKeysReport = { moved: [], parked: [] };

  /** A copy of the database as it is now, as a backup job takes it; returns its number. */
  backup(): Promise<number> {
    return this.db.backup(this.store);
  }

  /**
   * Whether everything meetsync did is confirmed and in the calendars (no creation unconfirmed,
   * every stamp written, no deletion or update unconfirmed, no action failed): what a lost
   * database is rebuilt from is all there (README, "A lost database is rebuilt from the calendars").
   */
  allConfirmed(): boolean {
    const mappings = this.store.mappings();
    return (
      mappings.every((m) => m.state !== 'creating' && !(m.state === 'active' && m.writeBack === 'pending') && !m.deletingSince && !m.updatingSince) &&
      this.store.notes().every((n) => n.kind !== 'failed')
    );
  }

  /** meetsync stops, the operator changes what `change` says, meetsync starts again (a new engine, organizers read again). */
  async restart(change: Offline): Promise<CalendarKeysReport> {
    if (change.kind === 'rename') {
      if (change.what === 'case') {
        const id = GOOGLE_CALENDARS[0]!;
        const was = this.names.get(id)!;
        this.names.set(id, was === id ? id.replace(/^(.)(.*)@(.)/, (_, a: string, b: string, c: string) => `${a.toUpperCase()}${b}@${c.toUpperCase()}`) : id);
      } else {
        const source = change.what === 'google' ? GOOGLE_SOURCE : OUTLOOK_SOURCE;
        this.names.set(source, `${source}-renamed-${(this.sourceRenames += 1)}`);
      }
    }
    this.store.close();
    if (change.kind === 'lose') await this.db.lose();
    if (change.kind === 'restore') await this.db.restore(Math.min(change.copy, this.db.backups - 1));
    this.store = this.db.open();
    if (change.kind !== 'rename') await refreshOrganizers(this.platform, this.store, [this.accountId], this.clock.now);
    this.engine = this.newEngine();
    return this.keys;
  }

  /** `start`: the engine's clock at the start; give both runs of a script the same one. */
  static async start(start: Date): Promise<FaultWorld> {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    const google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    const graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: MAILBOXES });
    const wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
    await Promise.all([google.start(), graph.start(), wm.start()]);
    for (const id of GOOGLE_CALENDARS) google.addCalendar(id, { timeZone: 'Europe/Berlin' });
    const { account } = wm.seedAccount({ adminEmail: GOOGLE_CALENDARS[0]! });
    for (const email of [...GOOGLE_CALENDARS.slice(1), ...MAILBOXES]) wm.addUser(account.id, { email });
    const platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: API_KEY, timeoutMs: DEADLINE_MS, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    // On SQLite, a file, so that it can be deleted and copied back (issue 15).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-fault-'));
    const db = await CampaignDatabase.create(path.join(dir, 'meetsync.db'), dir);
    const clock = { now: start };
    const world = new FaultWorld(google, graph, wm, dir, db, account.id, platform, start, clock);
    await refreshOrganizers(platform, world.store, [account.id], start);
    return world;
  }

  async close(): Promise<void> {
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
    await Promise.all([this.google.stop(), this.graph.stop(), this.wm.stop(), this.db.close()]);
  }

  /** Starts (campaign) or ends (null) faults on all three simulators; returns what was drawn. */
  faults(campaign: FaultCampaign | null): Record<Simulated, DrawnFault[]> {
    const seed = campaign?.seed ?? 0;
    return {
      webMeeting: this.wm.faults(campaign && { ...campaign, seed }),
      google: this.google.faults(campaign && { ...campaign, seed: seed + 1 }),
      graph: this.graph.faults(campaign && { ...campaign, seed: seed + 2 }),
    };
  }

  /** Requests each simulator received (control endpoints aside). */
  calls(): Record<Simulated, number> {
    return { webMeeting: this.wm.server.requests.length, google: this.google.server.requests.length, graph: this.graph.server.requests.length };
  }

  /** An organizer acts in their calendar. */
  act(step: Step): void {
    if (step.kind === 'create') {
      const cal = CALENDARS[step.calendar % CALENDARS.length]!;
      const label = `e${this.scripted.length + 1}`;
      const e: ScriptedEvent = { label, ...cal, base: `Topic ${label}`, tagged: step.tagged, ...this.slot(step.day, step.hour), allDay: false, live: true };
      this.scripted.push(e);
      this.ids.set(label, this.insert(e));
      return;
    }
    const live = this.scripted.filter((e) => e.live);
    const e = live[step.pick % Math.max(1, live.length)];
    if (!e) return;
    const id = this.ids.get(e.label)!;
    if (step.kind === 'cancel') {
      e.live = false;
      if (e.source === GOOGLE_SOURCE) this.google.userDelete(e.calendarId, id);
      else this.graph.userDelete(e.calendarId, id);
      return;
    }
    if (step.kind === 'all-day') {
      e.allDay = !e.allDay;
      if (e.allDay) return this.patchAllDay(e, id);
      return this.patchTimes(e, id);
    }
    if (step.kind === 'rename') {
      e.base = `Topic ${e.label} v${(this.renames += 1)}`;
      if (e.source === GOOGLE_SOURCE) this.google.userPatch(e.calendarId, id, { summary: titleOf(e) });
      else this.graph.userPatch(e.calendarId, id, { subject: titleOf(e) });
      return;
    }
    const to = step.kind === 'move' ? this.slot(step.day, step.hour) : e.before;
    if (!to) return;
    Object.assign(e, { before: { start: e.start, end: e.end } }, to);
    // An all-day event moved keeps being all-day: its new times show when it gets times back.
    if (!e.allDay) this.patchTimes(e, id);
  }

  private patchTimes(e: ScriptedEvent, id: string): void {
    if (e.source === GOOGLE_SOURCE) this.google.userPatch(e.calendarId, id, { start: { dateTime: e.start, timeZone: 'Europe/Berlin' }, end: { dateTime: e.end, timeZone: 'Europe/Berlin' } });
    else this.graph.userPatch(e.calendarId, id, { isAllDay: false, start: utc(e.start), end: utc(e.end) });
  }

  /** All-day on the day it starts: Google's start.date/end.date (end exclusive), Graph's isAllDay with midnights. */
  private patchAllDay(e: ScriptedEvent, id: string): void {
    const day = e.start.slice(0, 10);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (e.source === GOOGLE_SOURCE) this.google.userPatch(e.calendarId, id, { start: { date: day }, end: { date: next } });
    else this.graph.userPatch(e.calendarId, id, { isAllDay: true, start: { dateTime: `${day}T00:00:00`, timeZone: 'UTC' }, end: { dateTime: `${next}T00:00:00`, timeZone: 'UTC' } });
  }

  /**
   * One cycle, five minutes after the previous one. Access tokens expire first: an hour-long
   * token would see the token endpoints once in a campaign; expiring them every cycle puts
   * the token endpoints under the campaign's faults too (the adapters refresh on a 401).
   */
  async cycle(): Promise<CycleResult> {
    this.google.expireAccessTokens();
    this.graph.expireAccessTokens();
    const writes = () => [this.google, this.graph, this.wm].reduce((n, s) => n + s.server.requests.filter((r) => r.method !== 'GET' && !isTokenCall(r.path)).length, 0);
    const before = writes();
    this.now = new Date(this.now.getTime() + CYCLE_MS);
    this.clock.now = this.now;
    const report = await this.engine.runCycle({ allowMassCancel: true });
    return { report, status: this.status(), writes: writes() - before };
  }

  status(): StatusReport {
    return buildStatus(this.store, this.calendars(), { now: this.now });
  }

  renderStatus(): string {
    return renderStatus(this.status());
  }

  /**
   * Fault-free cycles until one writes nothing and leaves nothing to do (an unconfirmed creation
   * waits out the feed's 10-minute grace meanwhile). A cycle that writes nothing while a retry
   * waits for its time (domain/attention.ts) is followed by the cycle at that time, as cron's
   * quiet ticks would lead to. Returns how many cycles it took, or undefined.
   */
  async settle(maxCycles = 8): Promise<number | undefined> {
    for (let i = 1; i <= maxCycles; i += 1) {
      const { writes, status } = await this.cycle();
      if (writes === 0 && !statusNeedsAttention(status)) return i;
      const wait = writes === 0 ? msToNextTry(status, this.now) : undefined;
      // The next cycle adds CYCLE_MS itself.
      if (wait !== undefined && wait > CYCLE_MS) this.advanceClock(wait - CYCLE_MS);
    }
    return undefined;
  }

  private advanceClock(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
    this.clock.now = this.now;
  }

  /** What became of every scripted event, by label. */
  state(): WorldState {
    const meetings = this.wm.meetings();
    const held = new Set<string>();
    const events: Record<string, EventState> = {};
    for (const e of this.scripted) {
      const mapping = this.store.mapping({ ...this.keyOf(e), eventId: this.ids.get(e.label)! });
      const mine = mapping ? meetings.filter((m) => m.agenda.includes(mapping.marker)) : [];
      if (mapping?.state === 'active' && e.live && e.tagged) mine.forEach((m) => held.add(m.id));
      const description = this.description(e);
      const blocks = description.split(BLOCK_START).length - 1;
      const number = mapping?.state === 'active' ? mapping.meetingNumber : undefined;
      events[e.label] = {
        live: e.live,
        tagged: e.tagged,
        meetings: mine.map((m) => ({ topic: m.topic, startTime: m.startTime, endTime: m.endTime })),
        joinLink: blocks === 0 ? 'absent' : blocks === 1 && number && description.includes(`Meeting number: ${number}`) ? 'written' : 'wrong',
      };
    }
    return { events, liveMeetings: meetings.length, orphans: meetings.filter((m) => !held.has(m.id)).map((m) => `${m.meetingId} "${m.topic}"`) };
  }

  /** What the script says each event's meeting must be: its topic and times, for live tagged events. */
  expected(): Record<string, { topic: string; startTime: string; endTime: string } | null> {
    return Object.fromEntries(this.scripted.map((e) => [e.label, e.live && e.tagged && !e.allDay ? { topic: e.base, startTime: e.start, endTime: e.end } : null]));
  }

  private description(e: ScriptedEvent): string {
    const id = this.ids.get(e.label)!;
    if (!e.live) return '';
    if (e.source === GOOGLE_SOURCE) return this.google.getEvent(e.calendarId, id)?.description ?? '';
    return this.graph.getEvent(e.calendarId, id)?.body.content ?? '';
  }

  private insert(e: ScriptedEvent): string {
    if (e.source === GOOGLE_SOURCE) {
      return this.google.userInsert(e.calendarId, {
        summary: titleOf(e),
        description: 'Agenda: budget',
        start: { dateTime: e.start, timeZone: 'Europe/Berlin' },
        end: { dateTime: e.end, timeZone: 'Europe/Berlin' },
      }).id!;
    }
    return this.graph.userInsert(e.calendarId, { subject: titleOf(e), body: { contentType: 'text', content: 'Agenda: budget' }, start: utc(e.start), end: utc(e.end) }).id;
  }

  private slot(day: number, hour: number): { start: string; end: string } {
    const start = this.start.getTime() + day * DAY_MS + hour * HOUR_MS;
    return { start: new Date(start).toISOString(), end: new Date(start + HOUR_MS).toISOString() };
  }
}

function titleOf(e: ScriptedEvent): string {
  return e.tagged ? `${e.base} #webmeeting` : e.base;
}

/** Graph's dateTimeTimeZone in UTC: no offset in dateTime. */
function utc(iso: string): { dateTime: string; timeZone: string } {
  return { dateTime: iso.replace(/Z$/, ''), timeZone: 'UTC' };
}

function isTokenCall(path: string): boolean {
  return path === '/token' || path.endsWith('/oauth2/v2.0/token');
}
