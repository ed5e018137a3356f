import { CalendarLeases, processName } from './store/leases.js';
import { resolvePaidUntil } from './config/paid-until.js';
import type { Config, SourceConfig } from './config/schema.js';
import type { CalendarSource } from './calendars/source.js';
import type { Logger } from './log.js';
import { configuredCalendars } from './config/calendars.js';
import { settleCalendarKeys, type KeyedCalendar } from './store/calendar-keys.js';
import { Store } from './store/store.js';
import { SyncEngine } from './sync/engine.js';
import { PENDING_DEFAULTS } from './sync/pending.js';
import type { LinkWrittenListener } from './sync/execute.js';
import { WebMeetingClient, type WebMeetingClientOptions } from './webmeeting/client.js';

/**
 * The composition root: config -> adapters -> engine. The only place that knows which adapter
 * implements which port. (process.env is read by the CLI when it loads the config, nowhere else.)
 */
export interface App {
  config: Config;
  store: Store;
  platform: WebMeetingClient;
  sources: CalendarSource[];
  engine: SyncEngine;
  logger: Logger;
  /** On a PostgreSQL database: this process is one of the replicas sharing it (calendar leases, no daemon or cycle lock). */
  replicas: boolean;
  /** Tells `listener` of every attempt of every platform and calendar call (the daemon's metrics count them). */
  observeRequests(listener: RequestListener): void;
  /** Tells `listener` of every join link written for a newly tagged event (the daemon's tag-to-link histogram). */
  observeLinks(listener: LinkWrittenListener): void;
  close(): void;
}

/** Where a request went: the platform, or a calendar provider. */
export type RequestTarget = 'webmeeting' | 'google' | 'outlook';
export type RequestListener = (target: RequestTarget, status: number | 'error') => void;

/** Per-command changes to how an adapter calls out: `meetsync doctor` tries once, with a short deadline. */
export interface CallOptions {
  retry?: { maxAttempts: number };
  requestTimeoutMs?: number;
  onAttempt?: (status: number | 'error') => void;
}

/**
 * The adapter of one configured source. Each adapter is imported when a source of its kind is
 * configured, not before: googleapis, msal-node and the Graph client cost every process that
 * loads them (issue 11: a process pays only for what it uses).
 */
export async function createSource(source: SourceConfig, index: number, logger: Logger, calls: CallOptions = {}): Promise<CalendarSource> {
  if (source.kind === 'google') {
    const { GoogleSource } = await import('./calendars/google/source.js');
    return new GoogleSource({
      ...calls,
      name: source.name,
      calendars: source.calendars,
      auth: source.auth,
      ...(source.rootUrl ? { rootUrl: source.rootUrl } : {}),
      ...(source.tokenUrl ? { tokenUrl: source.tokenUrl } : {}),
      rateLimit: { limit: source.requestsPerMinute, intervalMs: 60_000 },
      sendUpdates: source.sendUpdates,
      // Not a child logger with {source}: GoogleSource binds `source` itself, and pino writes a
      // binding given twice twice, so each of its lines would carry the key `source` twice.
      logger,
      configPath: `sources[${index}]`,
    });
  }
  // Throws ConfigError for a graphBaseUrl or authorityHost that is not an https origin.
  const { OutlookSource } = await import('./calendars/outlook/source.js');
  return new OutlookSource({
    ...calls,
    name: source.name,
    mailboxes: source.mailboxes,
    auth: source.auth,
    ...(source.graphBaseUrl ? { graphBaseUrl: source.graphBaseUrl } : {}),
    ...(source.authorityHost ? { authorityHost: source.authorityHost } : {}),
    rateLimit: { limit: source.requestsPerMinute, intervalMs: 60_000 },
    // OutlookSource binds `source` itself; a child logger with it too would print the key twice (pino).
    logger,
    configPath: `sources[${index}]`,
  });
}

export function createPlatform(config: Config, logger: Logger, extra: Pick<WebMeetingClientOptions, 'onAttempt' | 'retry'> = {}): WebMeetingClient {
  return new WebMeetingClient({
    ...extra,
    baseUrl: config.webMeeting.baseUrl,
    apiKey: config.webMeeting.apiKey,
    ...(config.webMeeting.joinUrlTemplate ? { joinUrlTemplate: config.webMeeting.joinUrlTemplate } : {}),
    timeoutMs: config.webMeeting.timeoutMs,
    logger: logger.child({ component: 'webmeeting' }),
  });
}

/**
 * The engine's provisioning settings. `paidUntil` may be a duration (P1Y): it is resolved each
 * time it is read, when an account is about to be created, so a daemon running for months still
 * creates accounts paid for a year from their creation, not from the daemon's start.
 */
function provisioningSettings(config: Config) {
  const { paidUntil, ...rest } = config.webMeeting.provisioning;
  return {
    ...rest,
    get paidUntil(): string {
      return resolvePaidUntil(paidUntil, new Date()).toISOString();
    },
  };
}

export interface AppOptions {
  /** Changes nothing in the database at start (a dry run, a report): no calendar keys settled, no leases claimed. */
  readOnly?: boolean;
  /**
   * This process syncs calendars (`sync`, `run`): on a PostgreSQL database it is one of the
   * replicas, serving the calendars whose lease it claims. Off for `reconcile`, whose repair
   * takes the leases of just the calendars it repairs (reconcile/run.ts holdForRepair).
   */
  serve?: boolean;
}

export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  // Sources first: a source the config gets wrong (ConfigError) fails before a database is opened.
  const observers: RequestListener[] = [];
  const tell = (target: RequestTarget, status: number | 'error') => observers.forEach((o) => o(target, status));
  const sources = await Promise.all(config.sources.map((s, i) => createSource(s, i, logger, { onAttempt: (status) => tell(s.kind, status) })));
  const store = Store.open(config.database);
  store.journalLimits = { perEvent: config.journal.maxEntriesPerEvent, maxAgeDays: config.journal.maxAgeDays };
  // Replicas share a PostgreSQL database: each cycle serves the calendars whose lease it holds,
  // and every write for a calendar checks the lease first (store/leases.ts). A dry run reads all.
  const leases = store.sql.dialect === 'postgres' && options.serve && !options.readOnly ? new CalendarLeases(store, { replicaId: processName(), ttlMs: config.replicas.leaseSeconds * 1000 }) : undefined;
  if (leases) store.fence = (source, calendarId) => leases.guard(source, calendarId);
  // A renamed source's calendars are found under their new names before the first cycle.
  if (!options.readOnly) settleKeys(store, config, logger);
  const platform = createPlatform(config, logger, { onAttempt: (attempt) => tell('webmeeting', attempt.status) });
  const linkObservers: LinkWrittenListener[] = [];
  const engine = new SyncEngine({
    store,
    platform,
    sources,
    logger,
    onLinkWritten: (written) => linkObservers.forEach((o) => o(written)),
    ...(leases ? { leases } : {}),
    settings: {
      rules: config.tagging,
      window: config.window,
      onEventCancelled: config.webMeeting.onEventCancelled,
      accountIds: config.webMeeting.accountIds,
      provisioning: provisioningSettings(config),
      defaults: config.webMeeting.meetingDefaults,
      safety: config.safety,
      pending: { ...PENDING_DEFAULTS, unconfirmedLimitMs: config.webMeeting.holdUnconfirmedAfterHours * 3_600_000 },
      readConcurrency: Object.fromEntries(config.sources.map((s) => [s.name, s.concurrency])),
      // Every calendar of the config, served here or (on PostgreSQL) by another replica: only
      // calendars out of the config are dormant.
      configuredCalendars: configuredCalendars(config),
    },
  });
  const close = () => {
    try {
      leases?.release();
    } finally {
      store.close();
    }
  };
  return { config, store, platform, sources, engine, logger, replicas: leases !== undefined, observeRequests: (o) => void observers.push(o), observeLinks: (o) => void linkObservers.push(o), close };
}

/** Every calendar of the config with its identity (domain/calendar-identity.ts), in config order. */
export function keyedCalendars(config: Pick<Config, 'sources'>): KeyedCalendar[] {
  return configuredCalendars(config).map(({ source, calendarId, identity }) => ({ source, calendarId, identity }));
}

/** Moves the rows of renamed sources' calendars to their new names (store/calendar-keys.ts), and says so. */
function settleKeys(store: Store, config: Config, logger: Logger): void {
  const { moved, parked } = settleCalendarKeys(store, keyedCalendars(config), new Date());
  for (const m of moved) {
    logger.info({ source: m.to.source, calendar: m.to.calendarId, was: `${m.from.source}/${m.from.calendarId}` }, `calendar ${m.to.calendarId} was configured as ${m.from.source}/${m.from.calendarId}; its meetings are kept under the new name`);
  }
  for (const p of parked) {
    logger.warn({ source: p.to.source, calendar: p.to.calendarId }, `the mappings of ${p.from.source}/${p.from.calendarId}, a calendar no longer configured, are kept as ${p.to.source}/${p.to.calendarId} (dormant): another calendar uses that name now`);
  }
}
