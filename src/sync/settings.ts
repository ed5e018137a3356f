import type { CalendarLeases } from '../store/leases.js';
import type { TaggingRules } from '../domain/tagging.js';
import type { CalendarSource } from '../calendars/source.js';
import type { MeetingPlatform } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { LinkWrittenListener, MeetingDefaults } from './execute.js';
import type { ProvisioningSettings } from './organizers.js';
import type { PendingTimings } from './pending.js';
import type { CalendarResult } from './report.js';

/** What the engine is built from and told: its ports, the config's rules, and one cycle's options. */

export interface EngineSettings {
  rules: TaggingRules;
  window: { pastDays: number; futureDays: number };
  onEventCancelled: 'delete' | 'keep';
  accountIds: readonly string[];
  provisioning: ProvisioningSettings & { enabled: boolean };
  defaults: MeetingDefaults;
  safety: { maxCancelShare: number; maxCancelMin: number };
  /** How unconfirmed creations wait for the organizer's feed. @default PENDING_DEFAULTS */
  pending?: PendingTimings;
  /** Calendars of a source read at once, by source name (its `concurrency` key). @default 8 */
  readConcurrency?: Readonly<Record<string, number>>;
  /**
   * Every calendar of the config, served here or by another replica. Mappings of any other
   * calendar are dormant: they never count as holding a meeting (sync/holders.ts).
   * @default the calendars of `sources`
   */
  configuredCalendars?: ReadonlyArray<{ source: string; calendarId: string }>;
}

export interface EngineDeps {
  store: Store;
  platform: MeetingPlatform;
  sources: readonly CalendarSource[];
  settings: EngineSettings;
  logger: Logger;
  now?: () => Date;
  /** Replicas on one database (issue 17): each cycle claims calendars' leases and serves those only. */
  leases?: Pick<CalendarLeases, 'claim' | 'keepAlive' | 'holds'>;
  /** Told when a newly tagged event's join link is written (sync/execute.ts LinkWrittenListener). */
  onLinkWritten?: LinkWrittenListener;
}

export interface CycleOptions {
  dryRun?: boolean;
  allowMassCancel?: boolean;
  /** Checked between actions: when it returns true the cycle stops after the action in flight. */
  shouldStop?: () => boolean;
  /** Told after each calendar, with how many there are in all (a progress bar on a first full sync). */
  onCalendar?: (done: CalendarResult, index: number, total: number) => void;
  /**
   * Only these calendars (keys as leaseKey makes them): a push notification's read (issue 18).
   * Everything else of a cycle is the same for them (restore checks, unfinished work, notes due,
   * the lease), so a notification never bypasses what a scheduled cycle guarantees.
   */
  only?: ReadonlySet<string>;
}
