import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError, UsageError } from '../domain/errors.js';
import type { EventOutcome } from '../domain/action.js';
import { launchSimulators, type RunningSimulators } from '../simulators/launch.js';
import { DemoError, runMeetsync, syncCycle, type ChildSetup, type CycleJson } from './child.js';
import { changeCalendars, PEOPLE, seedCompany, topicOf, ZONE, type Change, type SeededEvent } from './company.js';
import { aligned, day, when } from './table.js';

/**
 * `meetsync demo`: a made-up company on the local simulators, synced by meetsync as a person
 * would run it. The simulators run in this process on random loopback ports; meetsync runs as
 * child processes (child.ts says why). Everything is kept in a state folder: the config, the
 * database, meetsync's log, the reconciliation report and demo-result.json, what the platform and
 * the calendars hold at the end (for a test, or a curious reader).
 */

export interface DemoOptions {
  /** Where to keep everything; must be empty or absent. Default: a new folder in the system's temp folder. */
  stateDir?: string;
  env: NodeJS.ProcessEnv;
  /** The script run as meetsync (tests give one that fails). @default this build's CLI */
  bin?: string;
  /** Prints one line for the person watching. */
  say: (line: string) => void;
}

export interface DemoResult {
  stateDir: string;
  configPath: string;
  logPath: string;
  reportPath: string;
  reconcile: { exitCode: number; summary: string };
  /** The story of the cancelled event, as `meetsync explain` told it. */
  explained: { eventId: string; exitCode: number; text: string };
  simulators: { webMeeting: string; google: string; graph: string };
  accountId: string;
  events: SeededEvent[];
  changes: Change[];
  cycles: CycleJson[];
  /** The Web Meeting simulator's store at the end (ICS tokens left out). */
  platform: { accounts: unknown[]; users: unknown[]; meetings: Array<Record<string, unknown>> };
  /** Every calendar's events at the end, by calendar id, as the provider holds them. */
  calendars: Record<string, unknown[]>;
  elapsedMs: number;
}

const GOOGLE_CALENDARS = Object.values(PEOPLE).filter((p) => p.provider === 'Google').map((p) => p.email);
const OUTLOOK_MAILBOXES = Object.values(PEOPLE).filter((p) => p.provider === 'Outlook').map((p) => p.email);

function stateFolder(given: string | undefined): string {
  if (given === undefined) return mkdtempSync(path.join(os.tmpdir(), 'meetsync-demo-'));
  if (existsSync(given) && readdirSync(given).length > 0) throw new UsageError(`--state-dir ${given}: not empty; give a new or empty folder (the demo starts from nothing)`);
  mkdirSync(given, { recursive: true, mode: 0o700 });
  return given;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const { say } = options;
  const stateDir = stateFolder(options.stateDir);
  say('meetsync demo: a made-up company, Acme, on local simulators of Google Calendar, Microsoft Graph');
  say('(Outlook) and the Web Meeting platform. Nothing leaves this machine.');
  say(`Everything is kept in ${stateDir}`);
  say('');

  let sims: RunningSimulators;
  try {
    sims = await launchSimulators({ port: 0, stateDir, calendars: GOOGLE_CALENDARS, mailboxes: OUTLOOK_MAILBOXES });
  } catch (err) {
    throw new DemoError(`could not start the simulators: ${describeError(err)}`, { cause: err });
  }
  const logPath = path.join(stateDir, 'meetsync.log');
  const logFd = openSync(logPath, 'a', 0o600);
  let result: DemoResult;
  try {
    const setup: ChildSetup = { configPath: sims.configPath, caCertPath: sims.caCertPath, logFd, logPath, env: options.env, ...(options.bin ? { bin: options.bin } : {}) };
    result = await demoSteps(sims, setup, stateDir, say);
  } finally {
    closeSync(logFd);
    await sims.stop();
  }
  result.elapsedMs = Date.now() - started;
  writeFileSync(path.join(stateDir, 'demo-result.json'), `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  say(`Done in ${(result.elapsedMs / 1000).toFixed(1)} s; the simulators are stopped, nothing is left running.`);
  say(`In ${stateDir}: meetsync.yaml (the config used), meetsync-sim.db, meetsync.log (meetsync's`);
  say('own log), reconcile.html and demo-result.json (the platform and calendars at the end).');
  say('');
  say('To run it for real:');
  say('  cp config.example.yaml meetsync.yaml    then fill in your platform, calendars and mailboxes');
  say('  export WEBMEETING_API_KEY and the other secrets your meetsync.yaml names as ${NAME}');
  say('  npx meetsync doctor                     checks every endpoint and credential; changes nothing');
  say('  npm start                               with meetsync.yaml present: the service, syncing on its schedule');
  return result;
}

/** Seeds the company, runs two cycles around the organizers' changes, then a reconciliation. */
async function demoSteps(sims: RunningSimulators, setup: ChildSetup, stateDir: string, say: DemoOptions['say']): Promise<DemoResult> {
  const { accountId, events } = seedCompany(sims);
  sims.writeConfig([accountId]);
  sayPeople(say);

  say('1. First sync cycle (meetsync sync): what became of each event');
  const first = await syncCycle(setup, 'the first sync cycle');
  sayFirstCycle(say, sims, events, first);

  say('2. The organizers change their calendars:');
  const changes = changeCalendars(sims, events, when);
  for (const c of changes) say(`  ${c.said}`);
  say('');
  const callsBefore = sims.webMeeting.server.requests.length;
  say('3. Second sync cycle (meetsync sync): what it sent the platform');
  const second = await syncCycle(setup, 'the second sync cycle');
  saySecondCycle(say, sims, events, changes, first, second, callsBefore);

  const reportPath = path.join(stateDir, 'reconcile.html');
  say("4. Reconciliation (meetsync reconcile --format html): each organizer's meetings on the platform");
  say("   compared with meetsync's records and the calendars");
  const reconciled = await runMeetsync(setup, ['reconcile', '--format', 'html', '--output', reportPath]);
  // Exit 3 means findings: a report all the same. 1 and 2 mean it could not reconcile.
  if (reconciled.code !== 0 && reconciled.code !== 3) throw new DemoError(`the reconciliation: 'meetsync reconcile' exited ${reconciled.code}; its log: ${setup.logPath}`);
  const summary = reconciled.stdout.trim().replace(/^Report written to .*?\. /, '');
  say(`  ${summary}`);
  say(`  Report: ${reportPath} (open it in a browser)`);
  say('');

  // The question IT hears most is about one event: the cancelled one's story, as meetsync tells it.
  const cancelled = events.find((e) => e.key === changes.find((c) => c.kind === 'cancelled')?.key && !e.guestCopy)!;
  say(`5. Why? (meetsync explain ${cancelled.eventId}): the story of “${topicOf(cancelled.title)}”, which Carol cancelled`);
  const story = await runMeetsync(setup, ['explain', cancelled.eventId]);
  if (story.code !== 0) throw new DemoError(`explaining an event: 'meetsync explain' exited ${story.code}; its log: ${setup.logPath}`);
  for (const line of story.stdout.trimEnd().split('\n')) say(line ? `  ${line}` : '');
  say('');

  return {
    stateDir, configPath: sims.configPath, logPath: setup.logPath, reportPath,
    reconcile: { exitCode: reconciled.code, summary },
    explained: { eventId: cancelled.eventId, exitCode: story.code, text: story.stdout },
    simulators: { webMeeting: sims.webMeeting.url, google: sims.google.url, graph: sims.graph.url },
    accountId, events, changes, cycles: [first, second],
    platform: platformState(sims),
    calendars: Object.fromEntries([
      ...GOOGLE_CALENDARS.map((c) => [c, sims.google.events(c)]),
      ...OUTLOOK_MAILBOXES.map((m) => [m, sims.graph.events(m)]),
    ]),
    elapsedMs: 0,
  };
}

function sayPeople(say: DemoOptions['say']): void {
  say(`Acme's people (times below are ${ZONE}; dates are the next working days):`);
  for (const line of aligned(Object.values(PEOPLE).map((p) => [p.name, p.email, p.provider === 'Google' ? 'Google Calendar' : 'Outlook (Microsoft 365)', p.platformUser ? 'has a Web Meeting user' : 'no Web Meeting user']))) say(line);
  say('');
}

const outcomeKey = (o: { calendarId: string; eventId: string }) => `${o.calendarId}\u0000${o.eventId}`;

/** The join link meetsync wrote into the event, as the calendar holds it now. */
function joinLinkIn(sims: RunningSimulators, e: SeededEvent, meetingNumber: string): string | undefined {
  const event = e.provider === 'Google' ? sims.google.events(e.calendarId).find((x) => x.id === e.eventId) : sims.graph.getEvent(e.calendarId, e.eventId);
  const link = new RegExp(`https://[^\\s"<>]*${meetingNumber}`).exec(JSON.stringify(event ?? {}));
  return link?.[0];
}

function sayFirstCycle(say: DemoOptions['say'], sims: RunningSimulators, events: readonly SeededEvent[], cycle: CycleJson): void {
  const outcomes = new Map(cycle.outcomes.map((o) => [outcomeKey(o), o]));
  const rows = [['Event', 'When', 'Calendar', 'Meeting', 'Join link, or why not']];
  for (const e of events) {
    const o = outcomes.get(outcomeKey(e));
    const title = `${e.title}${e.note ? ` (${e.note})` : ''}`;
    const at = e.allDay ? `${day(e.start)}, all day` : when(e.start);
    const whose = `${e.calendarId.split('@')[0]}, ${e.provider}`;
    if (o?.outcome === 'created' && o.meetingNumber) rows.push([title, at, whose, o.meetingNumber, joinLinkIn(sims, e, o.meetingNumber) ?? '(join link not written yet)']);
    else if (o) rows.push([title, at, whose, '-', `${o.outcome}: ${o.reason ?? ''}`]);
    else rows.push([title, at, whose, '-', e.tagged ? 'nothing to do' : 'not tagged: left alone']);
  }
  for (const line of aligned(rows)) say(line);
  const untagged = events.filter((e) => !e.tagged).length;
  say(`  ${cycle.created} created, ${cycle.skipped} skipped, ${untagged} not tagged; ${cycle.failed} failed.`);
  say('');
}

function saySecondCycle(
  say: DemoOptions['say'], sims: RunningSimulators, events: readonly SeededEvent[], changes: readonly Change[], first: CycleJson, second: CycleJson, callsBefore: number,
): void {
  const changed = new Set(changes.map((c) => outcomeKey(events.find((e) => e.key === c.key && !e.guestCopy)!)));
  const earlier = new Map(first.outcomes.map((o) => [outcomeKey(o), o]));
  const calls = sims.webMeeting.server.requests.slice(callsBefore).filter((r) => r.method !== 'GET');
  const shown = second.outcomes.filter((o) => changed.has(outcomeKey(o)) || ['created', 'updated', 'cancelled', 'adopted', 'failed'].includes(o.outcome));
  const rows = shown.map((o: EventOutcome) => {
    const meetingId = o.meetingId ?? earlier.get(outcomeKey(o))?.meetingId;
    const call = calls.filter((r) => meetingId && r.path.includes(meetingId)).map((r) => `${r.method} ${r.path}`).join(', ');
    const what = o.changes?.length ? `${o.changes.join(', ')} changed` : (o.reason ?? '');
    return [o.outcome, topicOf(o.title), o.meetingNumber ?? earlier.get(outcomeKey(o))?.meetingNumber ?? '-', what, call || '(no platform call)'];
  });
  for (const line of aligned(rows)) say(line);
  say(`  ${second.updated} updated, ${second.cancelled} cancelled, ${second.created} created; the other meetings were left as they were.`);
  say('');
}

/** The platform's store without the ICS tokens (credentials to each organizer's feed). */
function platformState(sims: RunningSimulators): DemoResult['platform'] {
  const strip = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'icsToken' && k !== 'icsPath'));
  return { accounts: sims.webMeeting.accounts(), users: sims.webMeeting.users().map(strip), meetings: sims.webMeeting.meetings().map(strip) };
}
