/**
 * The Web Meeting platform as the sync engine sees it: plain data and one port. The HTTP client
 * in src/webmeeting implements the port; the wire shapes stay there.
 */

/** How a recurring meeting repeats (the platform's `recurring` object; see webmeeting/assumptions.ts). */
export interface Recurrence {
  frequencyType: 'daily' | 'weekly' | 'monthly' | 'yearly';
  /** Every N periods (RRULE INTERVAL), >= 1. */
  frequency: number;
  monthlyPattern: '' | 'dayOfMonth' | 'dayOfWeek';
  endsType: 'never' | 'on' | 'after';
  /** UTC ISO instant of the last occurrence's day, when endsType is 'on'. */
  endsOn?: string;
  /** Number of occurrences, when endsType is 'after'. */
  endsAfter?: number;
}

/** What meetsync asks the platform to hold. */
export interface MeetingSpec {
  topic: string;
  /** UTC ISO instants. For a series: the first occurrence. */
  startTime: string;
  endTime: string;
  /**
   * Free text on the meeting; carries meetsync's marker so a meeting can be found after a crash.
   * Absent on an update: the platform keeps the agenda it has (an adopted meeting whose reference
   * meetsync does not know keeps the one written at its creation).
   */
  agenda?: string;
  type: string;
  isRecorded: boolean;
  isDialin: boolean;
  recurrence: Recurrence | null;
  /** IANA zone of the organizer's event, so the platform expands the series in local time. */
  timeZone?: string;
}

/** A meeting as the platform holds it. */
export interface Meeting {
  /** The platform's internal id (24 hex in the tutorial; any form is accepted). */
  id: string;
  /** The dialable meeting number (`dddd-dddd-dddd-dddd` in the tutorial; any form is accepted). */
  meetingNumber: string;
  topic: string;
  startTime: string;
  endTime: string;
  agenda: string;
}

/** An organizer: a platform user who may schedule meetings. */
export interface PlatformUser {
  id: string;
  accountId: string;
  email: string;
  firstName: string;
  lastName: string;
  timezone?: string;
  /** Path of the user's meeting feed. It contains a bearer token: never log or store it. */
  icsPath?: string;
}

export interface NewAccount {
  adminEmail: string;
  adminFirstname: string;
  adminLastname: string;
  accountType: string;
  adminPreferredLanguage: string;
  sendPassword: boolean;
  /** ISO instant with milliseconds and Z. */
  paidUntil: string;
}

export interface Account {
  id: string;
  name: string;
  accountType: string;
  paidUntil?: string;
}

/** One VEVENT of a user's meeting feed, matched to a meeting by id or number, never by title. */
export interface FeedMeeting {
  uid: string;
  /** The 24-hex meeting id or the dashed number found in the entry, when any. */
  meetingId?: string;
  meetingNumber?: string;
  summary: string;
  start?: string;
  end?: string;
  description: string;
  url?: string;
  rrule?: string;
}

/** A feed as far as it could be read: the entries read fully, and what could not be read. */
export interface FeedReading {
  meetings: FeedMeeting[];
  /**
   * One line per entry or part of the feed that could not be read (empty when the whole feed
   * was read). A meeting missing from `meetings` may be among them.
   */
  problems: string[];
}

export type DeleteOutcome = 'deleted' | 'already-gone';

/** The port the sync engine uses; the Web Meeting client and test fakes implement it. */
export interface MeetingPlatform {
  createAccount(account: NewAccount): Promise<Account>;
  listAccountAdmins(accountId: string): Promise<PlatformUser[]>;
  /** NOT retried on its own: a lost answer could mean a meeting exists. See sync/execute.ts. */
  createMeeting(userId: string, spec: MeetingSpec): Promise<Meeting>;
  /**
   * The meeting as the platform answered it, or undefined when it confirmed the update
   * (responseCode 0) without giving the meeting back (webmeeting/assumptions.ts).
   */
  updateMeeting(userId: string, meetingId: string, spec: MeetingSpec): Promise<Meeting | undefined>;
  deleteMeeting(userId: string, meetingId: string): Promise<DeleteOutcome>;
  /**
   * The organizer's meeting feed, all or nothing: it throws when any entry could not be read
   * fully, since the sync reads it to avoid creating a meeting twice (webmeeting/feed/strict.ts).
   */
  /** The organizer's feed, read entry by entry: an unreadable entry is a problem, not a refusal. */
  readFeedEntries(icsPath: string): Promise<FeedReading>;
  joinUrl(meetingNumber: string, meetingId: string): string;
}
