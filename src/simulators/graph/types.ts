/**
 * Microsoft Graph v1.0 wire shapes the simulator answers with, named as in Microsoft's resource
 * pages (resources/event.md, dateTimeTimeZone, patternedRecurrence, recurrencePattern,
 * recurrenceRange, attendee, emailAddress, itemBody, location,
 * singleValueLegacyExtendedProperty). Written from those pages, not from any SDK's types
 * (STYLE.md habit 7).
 */

export interface GraphDateTimeTimeZone {
  /** Wall-clock time without offset, e.g. "2017-04-21T10:00:00.0000000". */
  dateTime: string;
  /** A Windows or IANA zone name (resources/datetimetimezone.md). */
  timeZone: string;
}

export interface GraphEmailAddress {
  name?: string;
  address: string;
}

export interface GraphAttendee {
  type?: 'required' | 'optional' | 'resource';
  status?: { response: string; time: string };
  emailAddress: GraphEmailAddress;
}

export interface GraphItemBody {
  contentType: 'html' | 'text';
  content: string;
}

export interface GraphLocation {
  displayName?: string;
  locationType?: string;
  uniqueId?: string;
  uniqueIdType?: string;
  address?: Record<string, unknown>;
  coordinates?: Record<string, unknown>;
}

export type GraphDayOfWeek = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';
export type GraphWeekIndex = 'first' | 'second' | 'third' | 'fourth' | 'last';
export type GraphPatternType =
  | 'daily'
  | 'weekly'
  | 'absoluteMonthly'
  | 'relativeMonthly'
  | 'absoluteYearly'
  | 'relativeYearly';

export interface GraphRecurrencePattern {
  type: GraphPatternType;
  interval: number;
  /** 1-12; 0 when unused (Graph answers 0, event-recurring-seriesmaster.json). */
  month: number;
  /** 1-31; 0 when unused. */
  dayOfMonth: number;
  daysOfWeek: GraphDayOfWeek[];
  firstDayOfWeek: GraphDayOfWeek;
  index: GraphWeekIndex;
}

export interface GraphRecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  /** yyyy-MM-dd */
  startDate: string;
  /** yyyy-MM-dd; "0001-01-01" when the range has no end date. */
  endDate: string;
  recurrenceTimeZone: string;
  /** 0 unless type is numbered. */
  numberOfOccurrences: number;
}

export interface GraphPatternedRecurrence {
  pattern: GraphRecurrencePattern;
  range: GraphRecurrenceRange;
}

export interface GraphExtendedProperty {
  /** e.g. "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color" */
  id: string;
  value: string;
}

export type GraphEventType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';

/** An event as the simulator answers it (all properties; $select may trim it). */
export interface GraphEvent {
  '@odata.etag': string;
  id: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  transactionId: string | null;
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  iCalUId: string;
  reminderMinutesBeforeStart: number;
  isReminderOn: boolean;
  hasAttachments: boolean;
  subject: string;
  bodyPreview: string;
  importance: string;
  sensitivity: string;
  isAllDay: boolean;
  isCancelled: boolean;
  isOrganizer: boolean;
  responseRequested: boolean;
  seriesMasterId: string | null;
  showAs: string;
  type: GraphEventType;
  webLink: string;
  onlineMeetingUrl: string | null;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: string;
  allowNewTimeProposals: boolean;
  isDraft: boolean;
  hideAttendees: boolean;
  recurrence: GraphPatternedRecurrence | null;
  onlineMeeting: null;
  responseStatus: { response: string; time: string };
  body: GraphItemBody;
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
  /** Occurrences and exceptions only: the original start, UTC (resources/event.md). */
  originalStart?: string;
  location: GraphLocation;
  locations: GraphLocation[];
  attendees: GraphAttendee[];
  organizer: { emailAddress: GraphEmailAddress };
  singleValueExtendedProperties?: GraphExtendedProperty[];
}

/** An app registration the identity endpoints accept (client credentials grant). */
export interface GraphClient {
  tenantId: string;
  clientId: string;
  /** A client secret the app registration holds; an app may have none (some tenants forbid them). */
  clientSecret?: string;
  /** PEM certificates uploaded to the app registration (Certificates & secrets > Certificates). */
  certificates?: string[];
  /**
   * Application permissions granted with admin consent. Default ['Calendars.ReadWrite'];
   * 'Calendars.Read' alone makes writes answer 403.
   */
  roles?: string[];
}
