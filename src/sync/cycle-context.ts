import type { EventOutcome } from '../domain/action.js';
import type { PlatformUser } from '../domain/meeting.js';
import type { Store } from '../store/store.js';
import type { CycleOrganizers } from './cycle-organizers.js';
import type { OrganizerRefusals } from './organizer-refusals.js';
import type { CycleReport } from './report.js';
import type { CycleOptions } from './settings.js';

/** What one cycle keeps while it runs: the outcomes so far (one per event) and whether organizers were read. */
export interface CycleContext {
  report: CycleReport;
  options: CycleOptions;
  outcomes: Map<string, EventOutcome>;
  /** On a dry run: what would be done, one entry per event. */
  planned: Map<string, NonNullable<CycleReport['planned']>[number]>;
  organizers: CycleOrganizers;
  /**
   * New states of calendars that needed no action, saved together in one transaction when the
   * cycle ends (halted or stopped too): a quiet calendar costs no commit of its own. Lost in a
   * crash, they only make the same (empty) changes be read again.
   */
  quietStates: Array<ReturnType<Store['calendarState']>>;
  /**
   * Every calendar's stored state, read in one statement when the calendars' turn comes: a
   * calendar's state changes only while that calendar is synced, and a statement per calendar
   * and read cost more than the read of the whole (one row per calendar) table.
   */
  states?: Map<string, ReturnType<Store['calendarState']>>;
  /** Accounts' users as the platform listed them this cycle (organizer refusals read them). */
  accountUsers: Map<string, Promise<PlatformUser[]>>;
  /** With replicas: the calendars whose lease this cycle holds (store/leases.ts leaseKey); undefined: every configured one. */
  served?: Set<string>;
  /** Organizers the platform refused this cycle (user removed or without permission): their events wait, the rest go on. */
  refusals: OrganizerRefusals;
}
