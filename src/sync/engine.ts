import type { EventOutcome, SyncAction } from '../domain/action.js';
import { CalendarAuthError, describeError } from '../domain/errors.js';
import type { CalendarEvent } from '../domain/event.js';
import { keyOf, type EventKey, type Mapping, type Organizer } from '../domain/mapping.js';
import type { CalendarSource } from '../calendars/source.js';
import { isTagged } from '../domain/tagging.js';
import type { PlatformUser } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { isDue, RETRY_DEFAULTS, type RetryPolicy } from '../domain/attention.js';
import { clearJoinDetails, execute, noteToRecheck, writeBack } from './execute.js';
import { leaseKey, LeaseLostError } from '../store/leases.js';
import { haltIfPlatformWide, PlatformHaltError } from './failure.js';
import { accountExistsSince, CycleOrganizers } from './cycle-organizers.js';
import type { CycleContext } from './cycle-context.js';
import { OrganizerRefusals } from './organizer-refusals.js';
import { confirmAbsent, tombstoneOf, unlistedSkips } from './absent.js';
import { PENDING_DEFAULTS, resolvePending } from './pending.js';
import { retireEnded } from './retirement.js';
import { markDriftAfterRestore } from './restored.js';
import { advanceGeneration, isOlderThanWritten, oweRestoreChecks, readGenerations, restoreChecksDone, restoreChecksOwed } from '../store/generation.js';
import { isLive, plan, unknownOrganizers } from './plan.js';
import { configuredIn, meetingHolders, type IsConfigured } from './holders.js';
import { DEFAULT_READ_CONCURRENCY, ReadAhead, type CalendarRead } from './read-ahead.js';
import { countAll, detailOf, dryOutcome, emptyCounts, recordOutcome, type CalendarResult, type CycleReport } from './report.js';

export type { CalendarResult, CycleReport } from './report.js';
import type { CycleOptions, EngineDeps } from './settings.js';

export type { CycleOptions, EngineDeps, EngineSettings } from './settings.js';

/**
 * One sync cycle over every calendar of every source. Calendars are independent: one failing
 * read (a revoked token, a provider outage) is recorded against that calendar and the others go on.
 */
export class SyncEngine {
  private readonly now: () => Date;
  private readonly sourcesByName: Map<string, CalendarSource>;
  private readonly configured: IsConfigured;
  /** The calendars of this engine's sources, by lease key: `serves` asks it once per calendar and record (a list scan made a cycle quadratic). */
  private readonly ownCalendars: ReadonlySet<string>;
  /** How failed actions and join links are tried again: the bound is the one unconfirmed creations have (webMeeting.holdUnconfirmedAfterHours). */
  private readonly retry: RetryPolicy;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
    const pending = deps.settings.pending ?? PENDING_DEFAULTS;
    this.retry = { ...RETRY_DEFAULTS, limitMs: pending.unconfirmedLimitMs };
    this.sourcesByName = new Map(deps.sources.map((s) => [s.name, s]));
    this.configured = configuredIn(deps.settings.configuredCalendars ?? this.sourceCalendars());
    this.ownCalendars = new Set(this.sourceCalendars().map(leaseKey));
  }

  async runCycle(options: CycleOptions = {}): Promise<CycleReport> {
    const { store, logger } = this.deps;
    const dryRun = options.dryRun ?? false;
    const report: CycleReport = { dryRun, counts: emptyCounts(), outcomes: [], calendars: [], problems: [], ...(dryRun ? { planned: [] } : {}) };
    const { settings, platform } = this.deps;
    const organizers = new CycleOrganizers({
      store, platform, logger, accountIds: settings.accountIds, provisioning: settings.provisioning, now: this.now, dryRun, problems: report.problems,
    });
    const accountUsers = new Map<string, Promise<PlatformUser[]>>();
    const refusals = new OrganizerRefusals({ platform, organizers: () => store.organizers(), accountIds: settings.accountIds, accountUsers });
    const cx: CycleContext = { report, options, outcomes: new Map(), planned: new Map(), organizers, quietStates: [], accountUsers, refusals };
    const runId = dryRun ? undefined : store.startRun('sync', this.now());
    const began = performance.now();
    let stopLeases: (() => void) | undefined;

    try {
      // With replicas on one database, this cycle serves the calendars whose lease it holds (a dry run reads them all).
      if (this.deps.leases && !dryRun) {
        cx.served = this.deps.leases.claim(this.sourceCalendars());
        stopLeases = this.deps.leases.keepAlive();
      }
      if (!dryRun) {
        await this.checkRestored(cx);
        this.retireEnded();
        await this.finishUnfinishedWork(cx);
      }
      await this.recheckNotes(cx);

      await this.syncCalendars(cx);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        // Another replica serves the calendar now; this cycle ends, the next claims leases afresh.
        report.halted = { error: err.message, credential: false };
        logger.warn(err.message);
      } else {
        if (!(err instanceof PlatformHaltError)) throw err;
        report.halted = { error: err.message, credential: err.credential };
        logger.error({ credential: err.credential }, `${err.credential ? 'CREDENTIAL BROKEN: ' : ''}${err.message}`);
        this.recordHalt(cx, err);
      }
    } finally {
      stopLeases?.();
      if (!dryRun) this.saveQuietStates(cx);
      report.outcomes = [...cx.outcomes.values()];
      report.counts = countAll(report.outcomes);
      report.durationMs = Math.round(performance.now() - began);
      if (dryRun) {
        report.planned = [...cx.planned.values()];
        report.counts = countAll(report.planned.flatMap((p) => {
          const outcome = dryOutcome(p.action);
          return outcome ? [{ ...p, outcome }] : [];
        }));
      }
      if (runId !== undefined) {
        // A halt is said once, not again for each calendar it stopped.
        const failedCalendars = report.calendars.filter((c) => !c.ok && c.error !== report.halted?.error);
        const errors = [...failedCalendars.map((c) => `${c.source}/${c.calendarId}: ${c.error ?? c.stopped}`), ...report.problems];
        if (report.halted) errors.unshift(report.halted.error);
        store.finishRun(runId, this.now(), errors.length === 0 && report.counts.failed === 0, report.counts, errors.join('; ') || undefined);
      }
    }
    return report;
  }

  /**
   * Every calendar of every source, in the configured order. Each source's calendars are read
   * ahead concurrently (ReadAhead: `concurrency` at a time; Graph's transport also keeps to 4
   * requests per mailbox), but planned and applied one calendar at a time, in order. Why not
   * end to end concurrently: what calendars share is then touched by one of them at a time:
   * organizers looked up and provisioned once, a copied event's stamp checked against the
   * meeting's holders before it is adopted, one outcome per event, and a PlatformHaltError or a
   * stop request that comes with no other calendar halfway through its actions. Reads are where
   * a cycle without changes spends its time; the actions of a cycle with changes are platform
   * calls, done one after the other as before.
   */
  private async syncCalendars(cx: CycleContext): Promise<void> {
    const { store, settings } = this.deps;
    const { options } = cx;
    cx.states = new Map(store.calendarStates().map((s) => [`${s.source}\u0000${s.calendarId}`, s]));
    const served = this.deps.sources.map((source) => source.calendars.filter((calendarId) => this.serves(cx, source.name, calendarId)));
    const total = served.reduce((n, list) => n + list.length, 0);
    const reads = this.deps.sources.map((source, s) =>
      new ReadAhead(source, served[s]!, {
        concurrency: settings.readConcurrency?.[source.name] ?? DEFAULT_READ_CONCURRENCY,
        now: this.now,
        cursorOf: (calendarId) => this.stateOf(cx, source.name, calendarId).cursor ?? null,
        windowAt: (at) => ({ from: this.windowStart(at), to: new Date(at.getTime() + settings.window.futureDays * 86_400_000) }),
        hintsOf: (calendarId) => ({
          holdsMeeting: (eventId) => isLive(store.mapping({ source: source.name, calendarId, eventId })),
          keepCopy: (event) => isTagged(event, settings.rules),
        }),
      }),
    );
    try {
      reads.forEach((r) => r.start());
      for (const [s, source] of this.deps.sources.entries()) {
        for (const [i, calendarId] of served[s]!.entries()) {
          if (options.shouldStop?.()) return;
          cx.report.calendars.push(await this.syncCalendar(source, calendarId, await reads[s]!.take(i), cx));
          options.onCalendar?.(cx.report.calendars.at(-1)!, cx.report.calendars.length, total);
        }
      }
    } finally {
      // A halt or a stop: no read starts any more, and those in flight end before the cycle does.
      await Promise.all(reads.map((r) => r.close()));
    }
  }

  /**
   * Whether this process reads the calendar (push notifications, issue 18): configured, and with
   * replicas its lease held at the last claim. A notification for a calendar another replica
   * holds is left for that replica, never read here too.
   */
  holds(source: string, calendarId: string): boolean {
    if (!this.ownCalendars.has(leaseKey({ source, calendarId }))) return false;
    return this.deps.leases?.holds(source, calendarId) ?? true;
  }

  /** Whether this cycle serves the calendar: configured, and (with replicas) its lease held. */
  private serves(cx: CycleContext, source: string, calendarId: string): boolean {
    const key = leaseKey({ source, calendarId });
    if (!this.ownCalendars.has(key)) return false;
    if (cx.options.only && !cx.options.only.has(key)) return false;
    return cx.served === undefined || cx.served.has(key);
  }

  /** Quiet calendars' new states, together; a lease lost meanwhile keeps that calendar's (its holder writes it). */
  private saveQuietStates(cx: CycleContext): void {
    try {
      this.deps.store.saveCalendarStates(cx.quietStates);
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      this.deps.logger.warn(err.message);
    }
  }

  private stateOf(cx: CycleContext, source: string, calendarId: string): ReturnType<Store['calendarState']> {
    return cx.states?.get(`${source}\u0000${calendarId}`) ?? { source, calendarId, consecutiveFailures: 0 };
  }

  /** Every calendar not synced this cycle is failing for the halt's reason: `status` shows it, its cursor stays. */
  private recordHalt(cx: CycleContext, err: PlatformHaltError): void {
    const done = new Set(cx.report.calendars.map((c) => `${c.source}\u0000${c.calendarId}`));
    for (const source of this.deps.sources) {
      for (const calendarId of source.calendars.filter((c) => this.serves(cx, source.name, c))) {
        if (done.has(`${source.name}\u0000${calendarId}`)) continue;
        cx.report.calendars.push({ source: source.name, calendarId, ok: false, error: err.message, authError: err.credential });
        if (!cx.options.dryRun) this.recordFailure(this.deps.store.calendarState(source.name, calendarId), this.now(), err.message);
      }
    }
  }

  /**
   * A database older than the last one meetsync wrote (restored from a copy, store/generation.ts):
   * every configured calendar owes a comparison of its meetings with the organizers' feeds, done
   * by whichever replica serves it; meetings that differ from their records are marked
   * unconfirmed before anything is planned (sync/restored.ts). The checks owed are recorded before
   * the generation advances; a calendar's stays owed while a feed it needs cannot be read.
   */
  private async checkRestored(cx: CycleContext): Promise<void> {
    const { store, platform, logger } = this.deps;
    const generations = readGenerations(store);
    if (isOlderThanWritten(generations)) {
      oweRestoreChecks(store, this.sourceCalendars(), this.now().toISOString());
    }
    advanceGeneration(store, generations);
    const owed = restoreChecksOwed(store).filter((c) => this.serves(cx, c.source, c.calendarId));
    if (owed.length === 0) return;
    const keys = new Set(owed.map(leaseKey));
    const listed = (m: Mapping) => keys.has(leaseKey(m));
    if ((await markDriftAfterRestore({ store, platform, listed, now: this.now, logger })) !== undefined) restoreChecksDone(store, owed);
  }

  /** Every calendar of this engine's sources, as leases and restore checks name them. */
  private sourceCalendars(): Array<{ source: string; calendarId: string }> {
    return this.deps.sources.flatMap((s) => s.calendars.map((calendarId) => ({ source: s.name, calendarId })));
  }

  /** The start of the sync window: `window.pastDays` before now. */
  private windowStart(now = this.now()): Date {
    return new Date(now.getTime() - this.deps.settings.window.pastDays * 86_400_000);
  }

  /** Records what became of an event (one outcome per event per cycle) and logs nothing. */
  private record(cx: CycleContext, outcome: EventOutcome): void {
    recordOutcome(cx.outcomes, keyOf(outcome), outcome);
  }

  /**
   * Mappings of events that ended before the sync window are retired: nothing is synced for them
   * any more, and after a full re-read they are not confirmed one by one with the provider.
   */
  private retireEnded(): void {
    // Only on a time the clock has held for a day: a clock that jumps ahead retires nothing live (retirement.ts).
    retireEnded(this.deps.store, this.now(), this.deps.settings.window.pastDays, this.deps.logger);
    // The event journal keeps `journal.maxAgeDays`: one indexed delete a cycle.
    this.deps.store.pruneJournal(this.now());
  }

  /** Unconfirmed creations, then join links still owed (to write or to remove), each when its next try is due. */
  private async finishUnfinishedWork(cx: CycleContext): Promise<void> {
    const { store, platform, logger, settings } = this.deps;
    const pending = await resolvePending({
      store, platform, sources: this.sourcesByName, defaults: settings.defaults, now: this.now, logger, timings: settings.pending ?? PENDING_DEFAULTS, retry: this.retry, rules: settings.rules,
      serves: (m) => this.serves(cx, m.source, m.calendarId),
    });
    for (const m of pending.adopted) this.record(cx, this.mappingOutcome(m, 'adopted', 'creation interrupted earlier; meeting found on the platform and adopted'));
    for (const m of pending.created) this.record(cx, this.mappingOutcome(m, 'created', 'creation interrupted earlier; created now'));
    for (const d of pending.dropped) this.record(cx, this.mappingOutcome(d.mapping, 'skipped', d.reason));
    for (const u of pending.unresolved) this.record(cx, this.mappingOutcome(u.mapping, 'failed', u.reason));
    await this.catchUp([...pending.adopted, ...pending.created], cx);

    const now = this.now();
    // An event with a failed action noted is the note's to retry (recheckNotes), link included:
    // trying its link here as well would fail again and push the note's next try away each cycle.
    const linkDue = (m: Mapping) => (m.state === 'active' || m.state === 'cancelled') && isDue(m.writeBackTries, now) && !store.note(m)?.retry;
    for (const m of store.mappings({ writeBack: 'pending' }).filter(linkDue)) {
      const source = this.sourcesByName.get(m.source);
      if (!source || !this.serves(cx, m.source, m.calendarId)) continue;
      const ctx = { store, platform, source, defaults: settings.defaults, now: this.now, logger, retry: this.retry, rules: settings.rules };
      // A cancelled record owes the removal of its deleted meeting's link, an active one its writing.
      if (m.state === 'cancelled') await clearJoinDetails(m, ctx);
      else await writeBack(m, ctx);
    }
  }

  /**
   * A creation resolved late was planned from the event as it was then; the event may have moved,
   * been renamed or deleted since (those changes were read while the creation was unconfirmed).
   * Each one is compared with the event as it is now and brought in step.
   */
  private async catchUp(resolved: readonly Mapping[], cx: CycleContext): Promise<void> {
    const { logger } = this.deps;
    for (const m of resolved) {
      const source = this.sourcesByName.get(m.source);
      if (!source) continue;
      try {
        const current = (await source.getEvent(m.calendarId, m.eventId)) ?? tombstoneOf(m);
        const actions = this.planFor([current], [m], cx.organizers.known(), this.now());
        await this.apply(actions.filter((a) => a.kind === 'update' || a.kind === 'cancel'), source, cx, logger, { ...cx.options, shouldStop: undefined });
      } catch (err) {
        if (err instanceof PlatformHaltError || err instanceof LeaseLostError) throw err;
        // Not lost: the changes it missed may be behind the calendar's cursor already.
        noteToRecheck(m, `could not compare its late-resolved meeting with the event (${describeError(err)}); looked at again`, { store: this.deps.store, logger, now: this.now, retry: this.retry });
      }
    }
  }

  /**
   * Events are looked at again, as they are now, without waiting for the calendar to report them:
   * - skipped because their organizer had no platform user, once the organizer has one (created
   *   with 'meetsync accounts create', or added on the platform; asked at most every 15 minutes);
   * - whose action failed (network, 5xx, 429, an organizer refused), when its next try is due
   *   (every cycle for the first tries, then less often: domain/attention.ts), until it succeeds,
   *   so a change is never lost once the calendar's cursor has moved past it.
   */
  private async recheckNotes(cx: CycleContext): Promise<void> {
    const { store, logger } = this.deps;
    const { options } = cx;
    const notes = store.notesToRecheck();
    if (notes.length === 0) return;
    const waiting = notes.filter((n) => n.kind === 'skipped' && n.awaitingOrganizer);
    const before = cx.organizers.known();
    const missing = [...new Set(waiting.map((n) => n.awaitingOrganizer!))].filter((e) => !before.has(e));
    if (missing.length > 0 && !cx.organizers.checkedRecently()) await cx.organizers.ensure(missing);
    const known = cx.organizers.known();
    // A failed action is tried again when its next try is due (domain/attention.ts).
    const now = this.now();
    const due = [...waiting.filter((n) => known.has(n.awaitingOrganizer!)), ...notes.filter((n) => n.kind === 'failed' && n.retry && isDue(n.tries, now))];
    for (const note of due) {
      const source = this.sourcesByName.get(note.source);
      // A calendar not served here (another replica's, or taken out of the config) is left alone.
      if (!source || !this.serves(cx, note.source, note.calendarId) || options.shouldStop?.()) continue;
      try {
        const mapping = store.mapping(note);
        // Gone at the provider (404): with a live meeting that is a cancellation, otherwise nothing to do.
        const event = (await source.getEvent(note.calendarId, note.eventId)) ?? (mapping ? tombstoneOf(mapping) : null);
        if (!event) {
          if (!options.dryRun) store.clearNote(note);
          continue;
        }
        const actions = this.planFor([event], mapping ? [mapping] : [], known, this.now());
        await this.apply(actions, source, cx, logger);
        if (actions.length === 0 && !options.dryRun) store.clearNote(note);
      } catch (err) {
        if (err instanceof PlatformHaltError || err instanceof LeaseLostError) throw err;
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
      meetingHolders: meetingHolders(this.deps.store, this.configured),
      isKept: (meetingId) => this.deps.store.isKeptMeeting(meetingId),
      accountExists: (email) => accountExistsSince(this.deps.store, email),
    });
  }

  /**
   * Performs actions in order (or, on a dry run, only lists them). `failed`: an action failed and
   * is noted to be tried again (domain/attention.ts owns when); `stopped`: a stop request came, so
   * the same changes must be read again. A PlatformHaltError ends it (and the cycle).
   */
  private async apply(actions: readonly SyncAction[], source: CalendarSource, cx: CycleContext, logger: Logger, options: CycleOptions = cx.options): Promise<{ failed: boolean; stopped: boolean }> {
    const { store, platform, settings } = this.deps;
    let failed = false;
    for (const action of actions) {
      const key = keyOf(action.event);
      if (options.dryRun) {
        const e = action.event;
        cx.planned.delete(key);
        cx.planned.set(key, { source: e.source, calendarId: e.calendarId, eventId: e.eventId, title: e.title, action: action.kind, ...detailOf(action) });
        continue;
      }
      // An unconfirmed creation was already reported by resolvePending this cycle, with its reason.
      if (action.kind === 'pending' && cx.outcomes.has(key)) continue;
      const { outcome, retry } = await execute(action, { store, platform, source, defaults: settings.defaults, now: this.now, logger, refusals: cx.refusals, retry: this.retry, rules: settings.rules, ...(this.deps.onLinkWritten ? { onLinkWritten: this.deps.onLinkWritten } : {}) });
      failed ||= retry;
      if (APPLIED.has(outcome.outcome)) cx.refusals.worked();
      this.record(cx, outcome);
      if (options.shouldStop?.()) return { failed, stopped: true };
    }
    return { failed, stopped: false };
  }

  private mappingOutcome(m: Mapping, outcome: EventOutcome['outcome'], reason: string): EventOutcome {
    return { source: m.source, calendarId: m.calendarId, eventId: m.eventId, title: m.topic, outcome, reason, ...(m.meetingId ? { meetingId: m.meetingId } : {}) };
  }

  private async syncCalendar(source: CalendarSource, calendarId: string, read: CalendarRead, cx: CycleContext): Promise<CalendarResult> {
    const { store, logger, settings } = this.deps;
    const { options } = cx;
    const dryRun = options.dryRun ?? false;
    const state = this.stateOf(cx, source.name, calendarId);
    const { startedAt } = read;
    const result: CalendarResult = { source: source.name, calendarId, ok: true };
    const log = logger.child({ source: source.name, calendar: calendarId });

    try {
      if (!read.ok) throw read.error;
      const changes = read.changes;
      if (changes.full) {
        result.fullRead = true;
        if (changes.fullReason) result.fullReason = changes.fullReason;
      }
      // A full read compares with every mapping of the calendar; an incremental one needs only
      // the mappings of what changed (and of their series): database work grows with the changes.
      const mappings = changes.full ? store.mappings({ source: source.name, calendarId }) : store.mappingsOf(relatedKeys(changes.events));
      let actions: SyncAction[] = [];
      if (changes.events.length > 0) {
        // Organizers of newly read events are asked for now; those events already wait for (noted
        // before) are asked for on the re-check's clock, so a re-read of the same events costs nothing.
        const { organizers } = cx;
        const missing = unknownOrganizers(changes.events, organizers.known(), settings.rules, startedAt);
        if (missing.length > 0 && (!organizers.checkedRecently() || organizers.changedSinceNoted(changes.events, missing))) await organizers.ensure(missing, changes.events);
        actions = this.planFor(changes.events, mappings, organizers.known(), startedAt);
      }
      if (changes.full) {
        const absent = await confirmAbsent(source, calendarId, changes.events, mappings, this.windowStart(), settings.onEventCancelled);
        actions.push(...absent.cancels, ...this.planFor(absent.live, mappings, cx.organizers.known(), startedAt));
      }

      const cancels = actions.filter((a) => a.kind === 'cancel').length;
      if (cancels > settings.safety.maxCancelMin && !options.allowMassCancel) {
        const live = changes.full ? mappings.filter((m) => m.state === 'active').length : store.countMappings({ source: source.name, calendarId, state: 'active' });
        const limit = Math.max(settings.safety.maxCancelMin, Math.ceil(settings.safety.maxCancelShare * live));
        if (cancels > limit) {
          result.ok = false;
          result.stopped = `this cycle would cancel ${cancels} of ${live} meetings (limit ${limit}); nothing was changed for this calendar. If that is intended, run 'meetsync sync --allow-mass-cancel'`;
          log.error(result.stopped);
          if (!dryRun) this.recordFailure(state, startedAt, result.stopped);
          return result;
        }
      }

      if (dryRun) {
        await this.apply(actions, source, cx, log);
        return result;
      }

      // Events that need nothing now (untagged, or cancelled without a meeting) lose any old note.
      const acted = new Set(actions.map((a) => keyOf(a.event)));
      const idle: EventKey[] = changes.events.filter((e) => !acted.has(keyOf(e)));
      if (changes.full) idle.push(...unlistedSkips(store, source.name, calendarId, changes.events));
      if (idle.length > 0) store.transaction(() => idle.forEach((e) => store.clearNote(e)));

      const { failed, stopped } = await this.apply(actions, source, cx, log);
      const next = {
        ...state,
        // A failed action is noted and tried again from the note, as the event is then (recheckNotes),
        // so the cursor moves on; a stop request keeps it, so the changes not looked at are read again.
        ...(stopped ? {} : { cursor: changes.cursor }),
        lastAttemptAt: startedAt.toISOString(),
        lastSuccessAt: this.now().toISOString(),
        consecutiveFailures: 0,
      };
      if (actions.length === 0 && !stopped) cx.quietStates.push(next);
      else store.saveCalendarState(next);
      if (failed || stopped) {
        result.ok = false;
        result.error = failed ? "some changes could not be applied; each is tried again when due ('meetsync status' lists them)" : 'stopped before every change was applied; the rest are read again next cycle';
      }
      return result;
    } catch (err) {
      // The platform refuses meetsync: runCycle stops and records every calendar left, this one included.
      if (err instanceof PlatformHaltError || err instanceof LeaseLostError) throw err;
      haltIfPlatformWide(err);
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
}

/** Outcomes of a change applied in an organizer's name: the platform accepts meetsync for organizers. */
const APPLIED = new Set<EventOutcome['outcome']>(['created', 'updated', 'cancelled', 'adopted']);

/** The keys whose mappings a plan of `events` may look at: each event's, and an occurrence's series'. */
function relatedKeys(events: readonly CalendarEvent[]): EventKey[] {
  return events.flatMap((e) => (e.kind === 'occurrence' && e.seriesId ? [e, { source: e.source, calendarId: e.calendarId, eventId: e.seriesId }] : [e]));
}
