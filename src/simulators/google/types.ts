/**
 * The Google Calendar v3 wire shapes the simulator stores and answers with, named exactly as in
 * the discovery document (shared/fixtures/google/calendar.v3.json, schemas Event, EventDateTime,
 * EventAttendee). Written from that document, not from googleapis' types, so the simulator cannot
 * inherit a client's misreading of the API (STYLE.md habit 7).
 */

export interface GoogleEventDateTime {
  /** "yyyy-mm-dd" for all-day events. */
  date?: string;
  /** RFC 3339; an offset is required unless `timeZone` is given. */
  dateTime?: string;
  /** IANA name; required for recurring events (EventDateTime.timeZone). */
  timeZone?: string;
}

export interface GooglePerson {
  id?: string;
  email?: string;
  displayName?: string;
  /** Whether this person is the calendar on which this copy appears. Read-only. */
  self?: boolean;
}

export interface GoogleAttendee extends GooglePerson {
  organizer?: boolean;
  resource?: boolean;
  optional?: boolean;
  responseStatus?: 'needsAction' | 'declined' | 'tentative' | 'accepted';
  comment?: string;
  additionalGuests?: number;
}

export interface GoogleExtendedProperties {
  /** Private to the copy of the event on one calendar. */
  private?: Record<string, string>;
  /** Shared between the copies on attendees' calendars. */
  shared?: Record<string, string>;
}

export interface GoogleReminders {
  useDefault?: boolean;
  overrides?: Array<{ method?: string; minutes?: number }>;
}

export type GoogleEventStatus = 'confirmed' | 'tentative' | 'cancelled';

export interface GoogleEvent {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: GoogleEventStatus;
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  description?: string;
  location?: string;
  colorId?: string;
  creator?: GooglePerson;
  organizer?: GooglePerson;
  start?: GoogleEventDateTime;
  end?: GoogleEventDateTime;
  endTimeUnspecified?: boolean;
  /** RRULE / EXRULE / RDATE / EXDATE lines; masters only. */
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: GoogleEventDateTime;
  transparency?: 'opaque' | 'transparent';
  visibility?: 'default' | 'public' | 'private' | 'confidential';
  iCalUID?: string;
  sequence?: number;
  attendees?: GoogleAttendee[];
  attendeesOmitted?: boolean;
  guestsCanInviteOthers?: boolean;
  guestsCanModify?: boolean;
  guestsCanSeeOtherGuests?: boolean;
  privateCopy?: boolean;
  locked?: boolean;
  extendedProperties?: GoogleExtendedProperties;
  reminders?: GoogleReminders;
  eventType?: string;
  hangoutLink?: string;
  conferenceData?: Record<string, unknown>;
  source?: { url?: string; title?: string };
}

/** The service-account key file Google Cloud hands out ("Create key" > JSON). */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  /** PKCS#8 PEM, as in Google's key files. */
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /**
   * The Google account that granted this refresh token. Optional simulator extension: when set,
   * the calendar id "primary" resolves to it (events.list docs: "primary" = the logged-in user).
   */
  userEmail?: string;
}
