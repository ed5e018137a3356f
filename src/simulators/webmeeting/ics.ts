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
  /** Its DESCRIPTION written so that no reader can parse it (a quote left open): one entry of a feed broken. */
  unreadable?: boolean;
}

export interface FeedOptions {
  /** Right-hand side of every UID (`<24-hex id>@<uidHost>`). */
  uidHost: string;
  calendarName: string;
  /** What the UID carries before the @: the 24-hex id (default) or the dashed meeting number. */
  uidBy?: 'id' | 'number';
  /**
   * Whether DESCRIPTION repeats the meeting's agenda before the join details (the default). The
   * tutorial says nothing about the feed's content: `left-out` is the ASSUMPTION under test of
   * a feed that carries only the join details, so meetsync's reference never shows in it.
   */
  agenda?: 'repeated' | 'left-out';
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

function description(meeting: SimMeeting, joinUrl: string, agenda: FeedOptions['agenda']): string {
  const join = `Join: ${joinUrl}\nMeeting number: ${meeting.meetingId}`;
  return meeting.agenda === '' || agenda === 'left-out' ? join : `${meeting.agenda}\n\n${join}`;
}

export function renderFeed(entries: FeedEntry[], options: FeedOptions): string {
  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('prodid', '-//meetsync//Web Meeting API simulator//EN');
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  calendar.addPropertyWithValue('x-wr-calname', options.calendarName);
  for (const { meeting, modifiedAt, joinUrl, unreadable } of entries) {
    const event = new ICAL.Component('vevent');
    event.addPropertyWithValue('uid', `${options.uidBy === 'number' ? meeting.meetingId : meeting.id}@${options.uidHost}`);
    event.addPropertyWithValue('dtstamp', utcTime(modifiedAt));
    event.addPropertyWithValue('last-modified', utcTime(modifiedAt));
    event.addPropertyWithValue('dtstart', utcTime(meeting.startTime));
    event.addPropertyWithValue('dtend', utcTime(meeting.endTime));
    event.addPropertyWithValue('summary', meeting.topic);
    if (unreadable) event.addPropertyWithValue(BROKEN_PROPERTY, '1');
    event.addPropertyWithValue('description', description(meeting, joinUrl, options.agenda));
    event.addPropertyWithValue('url', joinUrl);
    event.addPropertyWithValue('sequence', Number(meeting.icalSequence));
    const rrule = meeting.isRecurring ? rruleFor(meeting.recurring, meeting.startTime) : undefined;
    if (rrule) event.addPropertyWithValue('rrule', ICAL.Recur.fromString(rrule));
    calendar.addSubcomponent(event);
  }
  // ical.js folds at 75 octets but then prefixes the space, making continuation lines 76 octets;
  // unfold its output and fold again so every line is at most 75 octets (RFC 5545 section 3.1).
  const unfolded = calendar.toString().replace(/\r\n[ \t]/g, '');
  const lines = unfolded.split('\r\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    // RFC 5545 3.2: a quoted parameter value ends with a DQUOTE; one left open makes the line unreadable.
    if (lines[i] === BROKEN_MARK) out.push((lines[++i] ?? '').replace(/^DESCRIPTION/, 'DESCRIPTION;X-SIM-BROKEN="'));
    else out.push(foldLine(lines[i]!));
  }
  return out.join('\r\n') + '\r\n';
}

/** Written before the DESCRIPTION of an entry to break, and replaced by the broken line. */
const BROKEN_PROPERTY = 'x-sim-broken';
const BROKEN_MARK = `${BROKEN_PROPERTY.toUpperCase()}:1`;

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
