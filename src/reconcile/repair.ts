import type { DesiredMeeting } from '../domain/action.js';
import { callEntry } from '../sync/journal-entries.js';
import { describeError } from '../domain/errors.js';
import type { Mapping } from '../domain/mapping.js';
import type { CalendarSource } from '../calendars/source.js';
import type { TaggingRules } from '../domain/tagging.js';
import { wantedMeeting, type Want } from '../domain/wants.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { execute, writeBack, type ExecuteContext, type MeetingDefaults } from '../sync/execute.js';
import { haltIfPlatformWide, PlatformHaltError } from '../sync/failure.js';
import { recurrenceDifference } from './compare-fields.js';
import type { ReconcilePlatform } from './feed-fetch.js';
import type { Finding, FixAction, RepairResult } from './findings.js';
import { calendarEvidence, evidenceWindow, type CalendarEvidence } from './live-events.js';

/**
 * `meetsync reconcile --repair`: what compare found, put right with the sync engine's own
 * actions, so a repair is as safe as a sync cycle:
 * - drift: the event is read again from its calendar (never taken from the feed) and its meeting
 *   updated from it, as the sync does (execute 'update');
 * - missing: the same update, which finds the meeting gone (404) and creates it again exactly
 *   once through a new intent and marker, then writes the new link back; a meeting the feed
 *   only failed to list is updated instead, so no second meeting can come of a wrong feed;
 * - an adoptable orphan: the mapping takes the meeting, which is then brought in step;
 * - other orphans and duplicates: deleted only with --delete-orphans, and only on proof that they
 *   are meetsync's and unwanted: compare proved the first (its reference, a record of what meetsync
 *   made, which the meeting still is); the calendars, read once, must show no live event that
 *   holds or wants it (live-events.ts). A person's copy is never deleted.
 * The caller holds the cycle lock, and beside replicas the calendars' leases (`hold`). Every
 * repair is logged and recorded on its finding.
 */

export interface RepairSettings {
  dryRun: boolean;
  deleteOrphans: boolean;
  sources: ReadonlyMap<string, CalendarSource>;
  rules: TaggingRules;
  defaults: MeetingDefaults;
  /** The calendars' read window (config `window`), stretched to each meeting a deletion concerns. @default 1 day back, 180 ahead */
  window?: { pastDays: number; futureDays: number };
  /**
   * On a database the replicas share (run.ts): takes the leases of the calendars to repair (the
   * replicas serving them hand them over at their next cycle), so that no cycle writes for them
   * while the repair does; a calendar not handed over in time is left out of this repair.
   */
  hold?: (calendars: Array<{ source: string; calendarId: string }>) => Promise<CalendarsHeld>;
}

/** Calendars a repair holds the leases of; `release` gives them back. */
export interface CalendarsHeld {
  has(calendar: { source: string; calendarId: string }): boolean;
  /** Why a calendar not held was left out, for its findings. */
  whyNot: string;
  release(): void;
}

interface RepairContext extends RepairSettings {
  store: Store;
  platform: ReconcilePlatform;
  logger: Logger;
  now: () => Date;
}

interface RepairRun extends RepairContext {
  evidence: CalendarEvidence;
}

const eventKey = (f: Finding) => (f.event ? `${f.event.source}\u0000${f.event.calendarId}\u0000${f.event.eventId}` : '');

/** Order: adoptions first (they give events their meetings), then updates and recreations, deletions last. */
const ORDER: Record<FixAction, number> = { adopt: 0, update: 1, recreate: 1, delete: 2 };

export async function repair(findings: readonly Finding[], context: RepairContext): Promise<void> {
  const todo = findings.filter((f) => f.fix !== undefined).sort((a, b) => ORDER[a.fix!] - ORDER[b.fix!]);
  const deletions = todo.filter((f) => f.fix === 'delete' && !f.fixBlocked);
  const window = evidenceWindow(context.now(), context.window ?? { pastDays: 1, futureDays: 180 }, deletions.flatMap((f) => [f.platform?.start, f.platform?.end]));
  // Read lazily, once: only a deletion asks the calendars.
  const ctx: RepairRun = { ...context, evidence: calendarEvidence(context.sources.values(), window, context.store, context.rules) };
  const events = todo.flatMap((f) => (f.event && !f.fixBlocked ? [f.event] : []));
  const held = context.hold && !context.dryRun && events.length > 0 ? await context.hold([...new Map(events.map((e) => [`${e.source}\u0000${e.calendarId}`, { source: e.source, calendarId: e.calendarId }])).values()]) : undefined;
  try {
    await repairAll(todo, ctx, held);
  } finally {
    held?.release();
  }
}

async function repairAll(todo: readonly Finding[], ctx: RepairRun, held: CalendarsHeld | undefined): Promise<void> {
  const done = new Map<string, RepairResult>();
  for (const finding of todo) {
    const action = finding.fix!;
    // Time and topic drift of one meeting are one PUT.
    const key = `${action === 'recreate' ? 'update' : action}\u0000${eventKey(finding)}\u0000${finding.meetingId ?? ''}`;
    const earlier = done.get(key);
    if (earlier) {
      finding.repair = earlier;
      continue;
    }
    let result: RepairResult;
    if (finding.fixBlocked) result = { action, outcome: 'skipped', detail: finding.fixBlocked };
    else if (held && finding.event && !held.has(finding.event)) result = { action, outcome: 'skipped', detail: held.whyNot };
    else {
      try {
        result = await repairOne(finding, action, ctx);
      } catch (err) {
        if (err instanceof PlatformHaltError) throw err;
        haltIfPlatformWide(err);
        result = { action, outcome: 'failed', detail: `${action} failed: ${describeError(err)}` };
      }
    }
    finding.repair = result;
    done.set(key, result);
    const fields = { organizer: finding.organizer, kind: finding.kind, action, outcome: result.outcome, meetingId: finding.meetingId, ...(finding.event ? { event: finding.event.eventId } : {}) };
    if (result.outcome === 'failed') ctx.logger.warn(fields, `reconciliation repair: ${result.detail}`);
    else ctx.logger.info(fields, `reconciliation repair: ${result.detail}`);
  }
}

async function repairOne(finding: Finding, action: FixAction, ctx: RepairRun): Promise<RepairResult> {
  if (action === 'delete') return deleteMeeting(finding, ctx);
  const e = finding.event!;
  const mapping = ctx.store.mapping(e);
  const skipped = (detail: string): RepairResult => ({ action, outcome: 'skipped', detail });
  if (!mapping) return skipped('its mapping is gone since the report was made; run reconcile again');
  const source = ctx.sources.get(mapping.source);
  if (!source) return skipped(`source ${mapping.source} is not in the config: its event cannot be read`);

  if (action === 'adopt') {
    const adoptable = (mapping.state === 'creating' && !mapping.held) || (mapping.state === 'active' && mapping.meetingId !== finding.meetingId);
    if (!adoptable || mapping.marker !== e.marker) return skipped('its mapping changed since the report was made; run reconcile again');
  } else if (mapping.state !== 'active' || mapping.meetingId !== (finding.meetingId ?? mapping.meetingId)) {
    return skipped('its mapping changed since the report was made; run reconcile again');
  }

  // The event as it is now: a repair never copies the platform's or the database's idea of it.
  const event = await source.getEvent(mapping.calendarId, mapping.eventId);
  const wanted: Want = event ? wantedMeeting(event, ctx.rules) : { wants: false, why: 'cancelled', reason: 'the event was deleted' };
  if (ctx.dryRun) {
    if (!wanted.wants) return { action, outcome: 'skipped', detail: `${wanted.reason}; left to the next sync cycle` };
    const what = { adopt: `would adopt meeting ${finding.meetingNumber ?? finding.meetingId} for this event`, update: 'would update the meeting from the event', recreate: 'would create the meeting again from the event (once) and write its link into the event', delete: '' }[action];
    return { action, outcome: 'would', detail: what };
  }
  const exec: ExecuteContext = { store: ctx.store, platform: ctx.platform, source, defaults: ctx.defaults, now: ctx.now, logger: ctx.logger };

  if (action === 'adopt') {
    const adopted = adopt(mapping, finding, ctx);
    if (!event || !wanted.wants) return { action, outcome: 'done', detail: `adopted; ${wanted.wants ? '' : `${wanted.reason}: `}the next sync cycle takes care of the meeting`, ...newIds(adopted) };
    const p = finding.platform!;
    const inStep = Date.parse(p.start ?? '') === Date.parse(wanted.desired.start) && Date.parse(p.end ?? '') === Date.parse(wanted.desired.end) && p.topic === wanted.desired.topic && !recurrenceDifference(wanted.desired.recurrence, p.rrule);
    if (inStep) {
      const current: Mapping = { ...adopted, ...fieldsOf(wanted.desired) };
      ctx.store.saveMapping(current);
      await writeBack(current, exec);
      return { action, outcome: 'done', detail: 'adopted; the meeting already matches the event, its link was written into the event', ...newIds(current) };
    }
    const updated = await execute({ kind: 'update', event, mapping: adopted, desired: wanted.desired, changes: ['adopted'] }, exec);
    if (updated.outcome.outcome === 'failed') return { action, outcome: 'failed', detail: `adopted, but updating it from the event failed: ${updated.outcome.reason}` };
    return { action, outcome: 'done', detail: 'adopted and updated from the event; its link was written into the event', ...newIds(ctx.store.mapping(mapping) ?? adopted) };
  }

  if (!event || !wanted.wants) return skipped(`${wanted.wants ? 'the event was deleted' : wanted.reason}; left to the next sync cycle`);
  const result = await execute({ kind: 'update', event, mapping, desired: wanted.desired, changes: finding.fields ?? ['meeting missing from the platform'] }, exec);
  const outcome = result.outcome;
  if (outcome.outcome === 'failed') return { action, outcome: 'failed', detail: outcome.reason ?? 'failed' };
  if (outcome.outcome === 'created') {
    return { action, outcome: 'done', detail: `created again as meeting ${outcome.meetingNumber} (the old one was gone); its link was written into the event`, ...newIds(ctx.store.mapping(mapping) ?? mapping) };
  }
  const detail = action === 'recreate' ? 'the meeting exists after all (the feed did not list it); updated from the event' : 'updated from the event';
  return { action, outcome: 'done', detail };
}

function fieldsOf(d: DesiredMeeting): Pick<Mapping, 'topic' | 'start' | 'end' | 'recurrence'> & { timeZone?: string } {
  return { topic: d.topic, start: d.start, end: d.end, recurrence: d.recurrence, ...(d.timeZone ? { timeZone: d.timeZone } : {}) };
}

/** The mapping takes the meeting found with its marker, as resolvePending does for an interrupted creation. */
function adopt(mapping: Mapping, finding: Finding, ctx: RepairContext): Mapping {
  const adopted: Mapping = {
    ...mapping,
    meetingId: finding.meetingId!,
    ...(finding.meetingNumber ? { meetingNumber: finding.meetingNumber } : {}),
    state: 'active',
    writeBack: 'pending',
    updatedAt: ctx.now().toISOString(),
  };
  delete adopted.held;
  delete adopted.lastError;
  delete adopted.deletingSince;
  ctx.store.transaction(() => {
    ctx.store.saveMapping(adopted);
    ctx.store.clearNote(mapping);
    ctx.store.journal([callEntry(mapping, 'feed check', 'found', adopted.updatedAt, {
      detail: `'meetsync reconcile --repair' found meeting ${finding.meetingNumber ?? finding.meetingId} in ${finding.organizer}'s meeting feed by meetsync's reference: adopted`,
      meetingId: finding.meetingId, meetingNumber: finding.meetingNumber,
    })]);
  });
  return adopted;
}

function newIds(m: Mapping): Pick<RepairResult, 'meetingId' | 'meetingNumber'> {
  return { ...(m.meetingId ? { meetingId: m.meetingId } : {}), ...(m.meetingNumber ? { meetingNumber: m.meetingNumber } : {}) };
}

async function deleteMeeting(finding: Finding, ctx: RepairRun): Promise<RepairResult> {
  const what = finding.kind === 'duplicate' ? 'duplicate' : 'orphan';
  if (!ctx.deleteOrphans) return { action: 'delete', outcome: 'skipped', detail: `listed only: run with --delete-orphans to delete this ${what}` };
  const meetingId = finding.meetingId!;
  const holders = ctx.store.mappingsByMeeting(meetingId).filter((m) => m.state === 'active' || m.state === 'creating');
  if (holders.length > 0) return { action: 'delete', outcome: 'skipped', detail: `event ${holders[0]!.eventId} holds this meeting now; not deleted` };
  if (ctx.store.isKeptMeeting(meetingId)) return { action: 'delete', outcome: 'skipped', detail: 'kept for its organizer (onEventCancelled: keep); not deleted' };
  const organizer = ctx.store.organizer(finding.organizer);
  if (!organizer) return { action: 'delete', outcome: 'skipped', detail: `${finding.organizer} is no known organizer; not deleted` };
  // Before the dry run answers too: it says what a repair would do, and the calendars are only read.
  const wanted = await ctx.evidence.wantedBecause(meetingId, finding.platform?.markers ?? []);
  if (wanted) return { action: 'delete', outcome: 'skipped', detail: `not deleted: ${wanted}` };
  if (ctx.dryRun) return { action: 'delete', outcome: 'would', detail: `would delete this ${what} from the platform` };
  const outcome = await ctx.platform.deleteMeeting(organizer.userId, meetingId);
  return { action: 'delete', outcome: 'done', detail: outcome === 'deleted' ? `deleted this ${what} from the platform` : `this ${what} was already gone from the platform` };
}
