import { NOW } from './engine-harness.js';

/**
 * The state machine's model of the calendars (test/integration/sync-machine.test.ts): the steps
 * it takes and what the user did, from which the invariants (sync-invariants.ts) are judged. The
 * model never asks meetsync's code what an event should become: topics, times and tags are known
 * here by construction.
 */

export const BOB = 'bob@example.com';
/** A team calendar whose events Alice organizes (a delegate's calendar): a second calendar of one organizer. */
export const TEAM = 'team@example.com';
/** Organizer of attendee copies in a one-organizer world: not a platform user, never asked for. */
export const CAROL = 'carol@example.com';
const DAY_MS = 86_400_000;
const QUARTER_MS = 15 * 60_000;

export interface Tag {
  text: '#webmeeting' | '#WebMeeting';
  at: 'prefix' | 'suffix';
}

/** Where an event sits: `day` after NOW (within the sync window), on a quarter hour, `quarters` long. */
export interface Slot {
  day: number;
  quarter: number;
  quarters: number;
}

export type PlatformFault =
  | { kind: 'status'; status: 500 | 503; count: number; method: 'POST' | 'PUT' | 'DELETE' }
  | { kind: 'drop'; method: 'POST' }
  | { kind: 'lose-answer'; method: 'POST' | 'PUT' | 'DELETE' };

/**
 * A fault of the platform, or a calendar call that fails once (a failed read or write-back).
 * `credential`: the platform refuses the API key for the whole cycle (a key rotated under
 * meetsync, then restored). `feed-lag`: the organizers' feeds leave out meetings created since
 * the previous cycle began. `feed-broken`: feeds that lose entries.
 */
export type Fault =
  | PlatformFault
  | { kind: 'credential' }
  /** IT removes an organizer's platform user for the cycle (issue 15: an organizer removed and restored). */
  | { kind: 'organizer-removed'; who: number }
  | { kind: 'feed-lag' }
  /** The organizers' feeds carry one meeting's entry (`pick` among the live ones), or every one, unreadable. */
  | { kind: 'feed-broken'; pick: number | 'all' }
  | { kind: 'calendar'; method: CalendarFaultMethod };

/**
 * Alice alone; Alice and Bob in the configured account; or Bob made by provisioning, in an account
 * of his own that a lost database can find only through his events' stamps (issue 15, finding 6).
 */
export type Organizers = 1 | 2 | 'bob-provisioned';

/**
 * How the organizers' feeds name meetings (assumption 8): by id, or by dashed number only; or by
 * id in a feed that leaves the agenda out (`id-no-agenda`: the tutorial says nothing about the
 * feed's content, so meetsync's reference may never show there, and its absence proves nothing).
 */
export type FeedNames = 'id' | 'number' | 'id-no-agenda';

/**
 * How the engine reads: calendars of the source read at once, a team calendar of Alice's next
 * to the organizers' own (two calendars sharing an organizer), and event-loop turns each read
 * waits (taken in turn), so that concurrent reads finish in another order than they started.
 */
export interface Reading {
  concurrency: number;
  team: boolean;
  turns: readonly number[];
}


/** One step. `cal` and `pick` are taken modulo what exists when the step runs, so any sequence is valid. */
export type Op =
  | { kind: 'create'; cal: number; base: string; tag: Tag; slot: Slot }
  | { kind: 'invite'; cal: number; base: string; tag: Tag; slot: Slot }
  | { kind: 'move'; pick: number; slot: Slot }
  /** The organizer undoes the event's last move (issue 15: an edit reverted after a failed or unconfirmed PUT). */
  | { kind: 'undo'; pick: number }
  /** The event becomes all-day, or gets its times back (issue 15: an event that can no longer have a meeting). */
  | { kind: 'all-day'; pick: number }
  | { kind: 'rename'; pick: number; base: string; keepTag: boolean }
  | { kind: 'untag'; pick: number }
  | { kind: 'retag'; pick: number; tag: Tag }
  /**
   * Untagged, a cycle (its meeting deleted, its link removed), tagged again: a new meeting. Between
   * a backup and its restore, the restored record names the deleted meeting and the event's stamp
   * the new one (CRASH_SEED=594927435).
   */
  | { kind: 'untag-retag'; pick: number; tag: Tag }
  | { kind: 'delete'; pick: number }
  /** A tagged recurring series in the organizer's calendar (the platform's meeting carries the rule). */
  | { kind: 'series'; cal: number; base: string; tag: Tag; slot: Slot; rule: Rule }
  /**
   * The organizer moves the `nth` occurrence of a series `shift` quarters later, or cancels it
   * (`shift` null): the recurring meeting keeps the pattern and `status` notes the occurrence.
   * `pick` is taken among the live series.
   */
  | { kind: 'occurrence'; pick: number; nth: number; shift: number | null }
  /** The series' repeat rule changes (its occurrences moved or cancelled so far stay as they are). */
  | { kind: 'rule'; pick: number; rule: Rule }
  | { kind: 'cursor-expires' }
  | { kind: 'crash' }
  /** A restart with the source renamed in the config (issue 15, finding 2); a second one renames it back. */
  | { kind: 'rename-source' }
  /** After a last cycle, from a quiet state only (lost-database.ts), meetsync starts on an empty database. */
  | { kind: 'database-lost' }
  /** An operator's backup of the database, taken between cycles (a later one replaces it). */
  | { kind: 'backup' }
  /**
   * After a last cycle, from a quiet state only (as 'database-lost'), meetsync starts on the
   * database restored from the last backup (issue 15: a database restored from an older copy).
   */
  | { kind: 'restore-backup' }
  /** A cycle, with faults that apply to it only. */
  | { kind: 'cycle'; faults: readonly Fault[] };


/**
 * A repeat rule the platform can hold (README "Recurring events"): every day or every week (on
 * the weekday of the first meeting), ending after `count` meetings or at `untilDay` days after
 * NOW (past every slot, so a moved series never starts after its end).
 */
export interface Rule {
  freq: 'DAILY' | 'WEEKLY';
  end: { count: number } | { untilDay: number };
}

export interface ModelEvent {
  calendarId: string;
  eventId: string;
  organizerCopy: boolean;
  /** The title without the tag: the meeting topic meetsync must use. */
  base: string;
  tag: Tag | null;
  start: string;
  end: string;
  /** The times before the last move, for 'undo'. */
  before?: { start: string; end: string };
  allDay: boolean;
  live: boolean;
  /** A series' repeat rule; null for a single event. */
  rule: Rule | null;
}

/** The event wants a meeting (README "What meetsync promises"): live, the organizer's copy, tagged, with times. */
export function wantsMeeting(e: ModelEvent): boolean {
  return e.live && e.organizerCopy && e.tag !== null && !e.allDay;
}

export function titleOf(base: string, tag: Tag | null): string {
  if (!tag) return base;
  return tag.at === 'prefix' ? `${tag.text} ${base}` : `${base} ${tag.text}`;
}

export function timesOf(slot: Slot): { start: string; end: string } {
  const start = NOW.getTime() + slot.day * DAY_MS + slot.quarter * QUARTER_MS;
  return { start: new Date(start).toISOString(), end: new Date(start + slot.quarters * QUARTER_MS).toISOString() };
}

/** Calendar calls a fault can fail: a read, the read of one event (re-checks, catch-ups), a write-back. */
export type CalendarFaultMethod = 'readChanges' | 'getEvent' | 'writeJoinDetails';
