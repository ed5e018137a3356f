import type { EventOutcome, SyncAction } from '../domain/action.js';
import { CalendarAuthError, describeError } from '../domain/errors.js';
import type { CalendarEvent } from '../domain/event.js';
import { keyOf, type Mapping, type Organizer } from '../domain/mapping.js';
import type { MeetingPlatform } from '../domain/meeting.js';
import type { CalendarSource, ChangeSet } from '../calendars/source.js';
import type { TaggingRules } from '../calendars/tagging.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { execute, writeBack, type MeetingDefaults } from './execute.js';
import { provisionOrganizer, refreshOrganizers, type ProvisioningSettings } from './organizers.js';
import { resolvePending } from './pending.js';
import { plan, unknownOrganizers } from './plan.js';
import { count, detailOf, dryOutcome, emptyCounts, type CalendarResult, type CycleReport } from './report.js';

export type { CalendarResult, CycleReport } from './report.js';

export interface EngineSettings {
  rules: TaggingRules;
  window: { pastDays: number; futureDays: number };
  onEventCancelled: 'delete' | 'keep';
  accountIds: readonly string[];
  provisioning: ProvisioningSettings & { enabled: boolean };
  defaults: MeetingDefaults;
  safety: { maxCancelShare: number; maxCancelMin: number };
}

export interface EngineDeps {
  store: Store;
  platform: MeetingPlatform;
  sources: readonly CalendarSource[];
  settings: EngineSettings;
  logger: Logger;
  now?: () => Date;
}

export interface CycleOptions {
  dryRun?: boolean;
  allowMassCancel?: boolean;
  /** Checked between actions: when it returns true the cycle stops after the action in flight. */
  shouldStop?: () => boolean;
}


/** How often events waiting for an organizer make meetsync ask the platform again. */
const ORGANIZER_RECHECK_MS = 15 * 60_000;


/**
 * One sync cycle over every calendar of every source. Calendars are independent: one failing
 * read (a revoked token, a provider outage) is recorded against that calendar and the others go on.
 */
export class SyncEngine {
  private readonly now: () => Date;
  private readonly sourcesByName: Map<string, CalendarSource>;
  /** When organizers were last read from the platform by this engine (ms since epoch). */
  private lastOrganizerRefresh = 0;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
    this.sourcesByName = new Map(deps.sources.map((s) => [s.name, s]));
  }

  async runCycle(options: CycleOptions = {}): Promise<CycleReport> {
    const { store, logger } = this.deps;
    const dryRun = options.dryRun ?? false;
    const report: CycleReport = { dryRun, counts: emptyCounts(), outcomes: [], calendars: [], ...(dryRun ? { planned: [] } : {}) };
    const runId = dryRun ? undefined : store.startRun('sync', this.now());
    let organizersRefreshed = false;
    /** Organizers read from the platform during a dry run, which stores nothing. */
    const unsaved = new Map<string, Organizer>();

    /** Looks unknown organizers up on the platform (once a cycle), and provisions them when enabled. */
    const ensureOrganizers = async (emails: string[]) => {
      if (!organizersRefreshed) {
        organizersRefreshed = true;
        this.lastOrganizerRefresh = this.now().getTime();
        const found = await refreshOrganizers(this.deps.platform, store, this.deps.settings.accountIds, this.now(), { save: !dryRun });
        if (dryRun) found.forEach((o) => unsaved.set(o.email, o));
      }
      if (this.deps.settings.provisioning.enabled && !dryRun) {
        for (const email of emails) {
          if (store.organizer(email)) continue;
          const o = await provisionOrganizer(this.deps.platform, store, email, this.deps.settings.provisioning, this.now());
          logger.info({ organizer: o.email, accountId: o.accountId }, 'platform account created for organizer');
        }
      }
    };

    try {
      if (!dryRun) await this.finishUnfinishedWork(report);
      await this.recheckNotes(report, options, unsaved, ensureOrganizers);

      for (const source of this.deps.sources) {
        for (const calendarId of source.calendars) {
          if (options.shouldStop?.()) break;
          const result = await this.syncCalendar(source, calendarId, options, report, unsaved, ensureOrganizers);
          report.calendars.push(result);
        }
      }
    } finally {
      if (runId !== undefined) {
        const failedCalendars = report.calendars.filter((c) => !c.ok);
        store.finishRun(runId, this.now(), failedCalendars.length === 0 && report.counts.failed === 0, report.counts,
          failedCalendars.map((c) => `${c.source}/${c.calendarId}: ${c.error ?? c.stopped}`).join('; ') || undefined);
      }
    }
    return report;
  }

  /** Unconfirmed creations, then write-backs that failed before. Both are retried every cycle until done. */
  private async finishUnfinishedWork(report: CycleReport): Promise<void> {
    const { store, platform, logger, settings } = this.deps;
    const pending = await resolvePending({ store, platform, sources: this.sourcesByName, defaults: settings.defaults, now: this.now, logger });
    for (const m of pending.adopted) report.outcomes.push(this.mappingOutcome(m, 'adopted', 'creation interrupted earlier; meeting found on the platform and adopted'));
    for (const m of pending.created) report.outcomes.push(this.mappingOutcome(m, 'created', 'creation interrupted earlier; created now'));
    for (const u of pending.unresolved) report.outcomes.push(this.mappingOutcome(u.mapping, 'failed', u.reason));
    for (const o of report.outcomes) count(report.counts, o.outcome);
    await this.catchUp([...pending.adopted, ...pending.created], report);

    for (const m of store.mappings({ state: 'active' }).filter((x) => x.writeBack === 'pending')) {
      const source = this.sourcesByName.get(m.source);
      if (source) await writeBack(m, { store, platform, source, defaults: settings.defaults, now: this.now, logger });
    }
  }

  /**
   * A creation resolved late was planned from the event as it was then; the event may have moved,
   * been renamed or deleted since (those changes were read while the creation was unconfirmed).
   * Each one is compared with the event as it is now and brought in step.
   */
  private async catchUp(resolved: readonly Mapping[], report: CycleReport): Promise<void> {
    const { logger } = this.deps;
    for (const m of resolved) {
      const source = this.sourcesByName.get(m.source);
      if (!source) continue;
      try {
        const current = (await source.getEvent(m.calendarId, m.eventId)) ?? tombstoneOf(m);
        const actions = this.planFor([current], [m], this.knownOrganizers(), this.now());
        await this.apply(actions.filter((a) => a.kind === 'update' || a.kind === 'cancel'), source, report, {}, logger);
      } catch (err) {
        logger.warn({ event: m.eventId }, `could not compare a late-resolved meeting with its event: ${describeError(err)}`);
      }
    }
  }

  /**
   * Events are looked at again, as they are now, without waiting for the calendar to report them:
   * - skipped because their organizer had no platform user, once the organizer has one (created
   *   with 'meetsync accounts create', or added on the platform; asked at most every 15 minutes);
   * - whose action failed transiently (network, 5xx, 429), every cycle until it succeeds, so a
   *   change is never lost once the calendar's cursor has moved past it.
   */
  private async recheckNotes(
    report: CycleReport,
    options: CycleOptions,
    unsaved: Map<string, Organizer>,
    ensureOrganizers: (emails: string[]) => Promise<void>,
  ): Promise<void> {
    const { store, logger } = this.deps;
    const notes = store.notes();
    const waiting = notes.filter((n) => n.kind === 'skipped' && n.awaitingOrganizer);
    const before = this.knownOrganizers(unsaved);
    const missing = [...new Set(waiting.map((n) => n.awaitingOrganizer!))].filter((e) => !before.has(e));
    if (missing.length > 0 && this.now().getTime() - this.lastOrganizerRefresh >= ORGANIZER_RECHECK_MS) await ensureOrganizers(missing);
    const known = missing.length > 0 ? this.knownOrganizers(unsaved) : before;
    const due = [...waiting.filter((n) => known.has(n.awaitingOrganizer!)), ...notes.filter((n) => n.kind === 'failed' && n.retry)];
    for (const note of due) {
      const source = this.sourcesByName.get(note.source);
      if (!source || options.shouldStop?.()) continue;
      try {
        const mapping = store.mapping(note);
        // Gone at the provider (404): with a live meeting that is a cancellation, otherwise nothing to do.
        const event = (await source.getEvent(note.calendarId, note.eventId)) ?? (mapping ? tombstoneOf(mapping) : null);
        if (!event) {
          if (!options.dryRun) store.clearNote(note);
          continue;
        }
        const actions = this.planFor([event], mapping ? [mapping] : [], known, this.now());
        await this.apply(actions, source, report, options, logger);
        if (actions.length === 0 && !options.dryRun) store.clearNote(note);
      } catch (err) {
        logger.warn({ event: note.eventId }, `could not look again at an event: ${describeError(err)}`);
      }
    }
  }

  /** Plans `events` of one calendar against `mappings` with this engine's settings. */
  private planFor(events: readonly CalendarEvent[], mappings: readonly Mapping[], organizers: ReadonlyMap<string, Organizer>, now: Date): SyncAction[] {
    const { settings } = this.deps;
    return plan({
      events,
      mappings,
      organizers,
      rules: settings.rules,
      now,
      onEventCancelled: settings.onEventCancelled,
      accountIds: settings.accountIds,
      provisioning: settings.provisioning.enabled,
    });
  }

  private knownOrganizers(unsaved: ReadonlyMap<string, Organizer> = new Map()): Map<string, Organizer> {
    return new Map<string, Organizer>([...unsaved, ...this.deps.store.organizers().map((o): [string, Organizer] => [o.email, o])]);
  }

  /**
   * Performs actions in order (or, on a dry run, only lists them). Returns true when a transient
   * failure, or a stop request, means the same changes must be read and tried again.
   */
  private async apply(actions: readonly SyncAction[], source: CalendarSource, report: CycleReport, options: CycleOptions, logger: Logger): Promise<boolean> {
    const { store, platform, settings } = this.deps;
    let retry = false;
    for (const action of actions) {
      if (options.dryRun) {
        const e = action.event;
        report.planned!.push({ source: e.source, calendarId: e.calendarId, eventId: e.eventId, title: e.title, action: action.kind, ...detailOf(action) });
        const o = dryOutcome(action);
        if (o) count(report.counts, o);
        continue;
      }
      const { outcome, retry: again } = await execute(action, { store, platform, source, defaults: settings.defaults, now: this.now, logger });
      retry ||= again;
      report.outcomes.push(outcome);
      count(report.counts, outcome.outcome);
      if (options.shouldStop?.()) return true;
    }
    return retry;
  }

  private mappingOutcome(m: Mapping, outcome: EventOutcome['outcome'], reason: string): EventOutcome {
    return { source: m.source, calendarId: m.calendarId, eventId: m.eventId, title: m.topic, outcome, reason, ...(m.meetingId ? { meetingId: m.meetingId } : {}) };
  }

  private async syncCalendar(
    source: CalendarSource,
    calendarId: string,
    options: CycleOptions,
    report: CycleReport,
    unsaved: ReadonlyMap<string, Organizer>,
    ensureOrganizers: (emails: string[]) => Promise<void>,
  ): Promise<CalendarResult> {
    const { store, logger, settings } = this.deps;
    const dryRun = options.dryRun ?? false;
    const state = store.calendarState(source.name, calendarId);
    const startedAt = this.now();
    const result: CalendarResult = { source: source.name, calendarId, ok: true };
    const log = logger.child({ source: source.name, calendar: calendarId });

    let changes: ChangeSet;
    try {
      const from = new Date(startedAt.getTime() - settings.window.pastDays * 86_400_000);
      const to = new Date(startedAt.getTime() + settings.window.futureDays * 86_400_000);
      changes = await source.readChanges(calendarId, state.cursor ?? null, { from, to });
      if (changes.full) {
        result.fullRead = true;
        if (changes.fullReason) result.fullReason = changes.fullReason;
      }
      const mappings = store.mappings({ source: source.name, calendarId });
      const missing = unknownOrganizers(changes.events, this.knownOrganizers(unsaved), settings.rules);
      if (missing.length > 0) await ensureOrganizers(missing);
      const actions = this.planFor(changes.events, mappings, this.knownOrganizers(unsaved), startedAt);
      if (changes.full) actions.push(...(await this.confirmAbsent(source, calendarId, changes.events, mappings)));

      const cancels = actions.filter((a) => a.kind === 'cancel').length;
      const live = mappings.filter((m) => m.state === 'active').length;
      const limit = Math.max(settings.safety.maxCancelMin, Math.ceil(settings.safety.maxCancelShare * live));
      if (cancels > limit && !options.allowMassCancel) {
        result.ok = false;
        result.stopped = `this cycle would cancel ${cancels} of ${live} meetings (limit ${limit}); nothing was changed for this calendar. If that is intended, run 'meetsync sync --allow-mass-cancel'`;
        log.error(result.stopped);
        if (!dryRun) this.recordFailure(state, startedAt, result.stopped);
        return result;
      }

      if (dryRun) {
        await this.apply(actions, source, report, options, log);
        return result;
      }

      // Events that need nothing now (untagged, or cancelled without a meeting) lose any old note.
      const acted = new Set(actions.map((a) => keyOf(a.event)));
      store.transaction(() => changes.events.filter((e) => !acted.has(keyOf(e))).forEach((e) => store.clearNote(e)));

      const retry = await this.apply(actions, source, report, options, log);
      store.saveCalendarState({
        ...state,
        // A transient failure keeps the old cursor, so the same changes are read and tried again.
        ...(retry ? {} : { cursor: changes.cursor }),
        lastAttemptAt: startedAt.toISOString(),
        lastSuccessAt: this.now().toISOString(),
        consecutiveFailures: 0,
      });
      if (retry) {
        result.ok = false;
        result.error = 'some changes could not be applied and will be retried next cycle';
      }
      return result;
    } catch (err) {
      result.ok = false;
      result.error = describeError(err);
      result.authError = err instanceof CalendarAuthError;
      log.error({ authError: result.authError }, `calendar ${calendarId} failed: ${result.error}`);
      if (!dryRun) this.recordFailure(state, startedAt, result.error);
      return result;
    }
  }

  private recordFailure(state: ReturnType<Store['calendarState']>, at: Date, error: string): void {
    this.deps.store.saveCalendarState({
      ...state,
      lastAttemptAt: at.toISOString(),
      lastError: error,
      lastErrorAt: at.toISOString(),
      consecutiveFailures: state.consecutiveFailures + 1,
    });
  }

  /**
   * After a full read, a mapped event that did not come back is not proof of anything (it may be
   * outside the window, or the read may be partial). Each is fetched on its own; only the
   * provider's word that it is gone or cancelled cancels its meeting.
   */
  private async confirmAbsent(source: CalendarSource, calendarId: string, events: readonly CalendarEvent[], mappings: readonly Mapping[]): Promise<SyncAction[]> {
    const seen = new Set(events.map((e) => keyOf(e)));
    const actions: SyncAction[] = [];
    for (const m of mappings) {
      if (m.state !== 'active' || seen.has(keyOf(m))) continue;
      const current = await source.getEvent(calendarId, m.eventId);
      if (current === null || current.status === 'cancelled') {
        const event: CalendarEvent = current ?? tombstoneOf(m);
        actions.push({ kind: 'cancel', event, mapping: m, mode: this.deps.settings.onEventCancelled, reason: 'the event was deleted (confirmed with the provider)' });
      }
    }
    return actions;
  }
}

/** The provider said the event is gone (404): a cancelled event with the mapping's identity. */
function tombstoneOf(m: Mapping): CalendarEvent {
  return {
    source: m.source, calendarId: m.calendarId, eventId: m.eventId, isOrganizerCopy: true, status: 'cancelled', kind: 'single',
    title: m.topic, description: '', location: '', categories: [], allDay: false,
  };
}
