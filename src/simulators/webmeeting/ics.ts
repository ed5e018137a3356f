import ICAL from 'ical.js';
import type { SimMeeting, SimRecurring } from './model.js';

/**
 * The per-user meeting feed served at the user's icsPath (tutorial: `/api/v6/meeting/calender/user/
 * <icsToken>`). Its content is ASSUMED (WEB-MEETING-API.md, "The ICS feed"): one VEVENT per live
 * meeting, UID holding the 24-hex id, DTSTART/DTEND in UTC, DESCRIPTION = agenda + join details,
 * URL = join link, SEQUENCE = icalSequence.
 */

export interface FeedEntry {
  meeting: SimMeeting;
  /** When the meeting was last created or updated: the DTSTAMP and LAST-MODIFIED. */
  modifiedAt: Date;
  joinUrl: string;
}

export interface FeedOptions {
  /** Right-hand side of every UID (`<24-hex id>@<uidHost>`). */
  uidHost: string;
  calendarName: string;
  /** What the UID carries before the @: the 24-hex id (default) or the dashed meeting number. */
  uidBy?: 'id' | 'number';
}

/** The RRULE value for an ASSUMED `recurring` object, or undefined when it does not recur. */
export function rruleFor(recurring: SimRecurring, startTime: string): string | undefined {
  if (recurring.frequencyType === '') return undefined;
  const parts = [`FREQ=${recurring.frequencyType.toUpperCase()}`, `INTERVAL=${recurring.frequency ?? 1}`];
  if (recurring.frequencyType === 'monthly' && recurring.monthlyPattern === 'dayOfWeek') {
    // "The 2nd Tuesday": taken from DTSTART, which the feed writes in UTC, so the rule is read in UTC too.
    const start = new Date(startTime);
    const weekday = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][start.getUTCDay()];
    const nth = Math.ceil(start.getUTCDate() / 7);
    parts.push(`BYDAY=${nth === 5 ? -1 : nth}${weekday}`);
  }
  if (recurring.endsType === 'on') parts.push(`UNTIL=${icsUtc(new Date(recurring.endsOn))}`);
  if (recurring.endsType === 'after') parts.push(`COUNT=${recurring.endsAfter}`);
  return parts.join(';');
}

function icsUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function utcTime(iso: string | Date): ICAL.Time {
  return ICAL.Time.fromJSDate(typeof iso === 'string' ? new Date(iso) : iso, true);
}

function description(meeting: SimMeeting, joinUrl: string): string {
  const join = `Join: ${joinUrl}\nMeeting number: ${meeting.meetingId}`;
  return meeting.agenda === '' ? join : `${meeting.agenda}\n\n${join}`;
}

export function renderFeed(entries: FeedEntry[], options: FeedOptions): string {
  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('prodid', '-//meetsync//Web Meeting API simulator//EN');
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  calendar.addPropertyWithValue('x-wr-calname', options.calendarName);
  for (const { meeting, modifiedAt, joinUrl } of entries) {
    const event = new ICAL.Component('vevent');
    event.addPropertyWithValue('uid', `${options.uidBy === 'number' ? meeting.meetingId : meeting.id}@${options.uidHost}`);
    event.addPropertyWithValue('dtstamp', utcTime(modifiedAt));
    event.addPropertyWithValue('last-modified', utcTime(modifiedAt));
    event.addPropertyWithValue('dtstart', utcTime(meeting.startTime));
    event.addPropertyWithValue('dtend', utcTime(meeting.endTime));
    event.addPropertyWithValue('summary', meeting.topic);
    event.addPropertyWithValue('description', description(meeting, joinUrl));
    event.addPropertyWithValue('url', joinUrl);
    event.addPropertyWithValue('sequence', Number(meeting.icalSequence));
    const rrule = meeting.isRecurring ? rruleFor(meeting.recurring, meeting.startTime) : undefined;
    if (rrule) event.addPropertyWithValue('rrule', ICAL.Recur.fromString(rrule));
    calendar.addSubcomponent(event);
  }
  // ical.js folds at 75 octets but then prefixes the space, making continuation lines 76 octets;
  // unfold its output and fold again so every line is at most 75 octets (RFC 5545 section 3.1).
  const unfolded = calendar.toString().replace(/\r\n[ \t]/g, '');
  return unfolded.split('\r\n').map(foldLine).join('\r\n') + '\r\n';
}

/** Folds one content line into lines of at most 75 octets, never splitting a UTF-8 sequence. */
export function foldLine(line: string): string {
  const lines: string[] = [];
  let current = '';
  let octets = 0;
  let limit = 75;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > limit) {
      lines.push(current);
      current = '';
      octets = 0;
      limit = 74; // the continuation line's leading space is the 75th octet
    }
    current += char;
    octets += size;
  }
  lines.push(current);
  return lines.join('\r\n ');
}
