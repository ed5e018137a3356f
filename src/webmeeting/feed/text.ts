import { findMeetingId, findMeetingNumber } from '../assumptions.js';
import { oneLine } from '../../domain/printable.js';

/**
 * The first pass of the feed reader (read.ts): ICS text cut into its components, without
 * interpreting any value. ical.js parses a whole VCALENDAR at once, and one bad line anywhere
 * (a BYDAY list with spaces, a broken quote in a TZID parameter, a byte-order mark, a property
 * after END:VCALENDAR: see test/fixtures/SOURCES.md) makes it throw for the whole file. Cut
 * first, each VEVENT and VTIMEZONE can be parsed on its own, and a bad one costs only itself.
 */

/**
 * What kind of problem a warning is, so that each caller decides what it means: the
 * reconciliation reports all but `outside`; the sync's duplicate guard (strict.ts) refuses the
 * feed on the kinds that ical.js refused a whole feed for before the two readers became one.
 * - `skipped`: a component could not be read at all (a VEVENT of them is `lost`);
 * - `unreadable`: a property of a component was left out, or its value could not be read;
 * - `repaired`: a line ical.js refuses was read after a repair (block.ts);
 * - `structure`: BEGIN and END out of order, or the text cut short;
 * - `outside`: a line outside every VEVENT and VTIMEZONE (a calendar property, a VTODO) could
 *   not be read; it concerns no meeting;
 * - `zone`: a time read in a guessed zone, or a VTIMEZONE that could not be used;
 * - `series`: the occurrences of a series, or the one an override replaces, could not be told;
 * - `trailer`: text after END:VCALENDAR, ignored.
 */
export type FeedWarningKind = 'skipped' | 'unreadable' | 'repaired' | 'structure' | 'outside' | 'zone' | 'series' | 'trailer';

/** One problem found while reading a feed: an item skipped or read in part. */
export interface FeedWarning {
  kind: FeedWarningKind;
  /** Physical line (from 1) where the item or property starts, when known. */
  line?: number;
  /** UID of the VEVENT concerned, when it could be read. */
  uid?: string;
  /** The meeting the skipped text names (found in its raw lines), when any. */
  meetingId?: string;
  meetingNumber?: string;
  /** True when a whole VEVENT was skipped: a meeting of the feed may be unseen. */
  lost: boolean;
  message: string;
  /** ical.js's own words, one line, when it refused the text the warning is about. */
  detail?: string;
}

/** One component (VEVENT, VTIMEZONE, ...) as unfolded content lines, BEGIN and END included. */
export interface IcsBlock {
  name: string;
  lines: string[];
  /** Physical line of each content line (same index as `lines`). */
  at: number[];
}

export interface IcsSplit {
  events: IcsBlock[];
  timezones: IcsBlock[];
  /** Every other component of the calendar (VTODO, VJOURNAL, ...): no meeting, only checked. */
  others: IcsBlock[];
  /** The calendar's own properties (PRODID, X-WR-CALNAME, ...): not needed, only checked. */
  properties: Array<{ text: string; line: number }>;
  warnings: FeedWarning[];
  /** False when the text ended before END:VCALENDAR: the feed may have been cut short. */
  complete: boolean;
}

/** What a text that is not iCalendar looks like. */
export type NotIcsShape = 'empty' | 'html' | 'json' | 'other';

/** The text is not an iCalendar feed at all (an HTML error page, an empty body, JSON). */
export class NotIcsError extends Error {
  constructor(
    message: string,
    /** What the text looks like, for a caller that words it its own way. */
    readonly shape: NotIcsShape = 'other',
  ) {
    super(message);
  }
}

/**
 * Unfolds content lines (RFC 5545 section 3.1: CRLF, LF or a lone CR, then a space or a TAB)
 * and drops blank lines. Returns each logical line with the physical line it starts on.
 */
export function unfold(text: string): Array<{ text: string; line: number }> {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: Array<{ text: string; line: number }> = [];
  physical.forEach((raw, index) => {
    const last = out[out.length - 1];
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && last) last.text += raw.slice(1);
    else if (raw.trim() !== '') out.push({ text: raw, line: index + 1 });
  });
  return out;
}

const BEGIN = /^BEGIN:([A-Za-z0-9-]+)\s*$/i;
const END = /^END:([A-Za-z0-9-]+)\s*$/i;

/** What the first line looks like, in words, for a body that is not iCalendar. */
function notIcs(text: string): NotIcsError {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed === '') return new NotIcsError('the body is empty', 'empty');
  if (/^<(!doctype|html|\?xml|head|body)/i.test(trimmed)) return new NotIcsError('it is an HTML or XML page', 'html');
  if (/^[[{]/.test(trimmed)) return new NotIcsError('it is JSON', 'json');
  return new NotIcsError('it does not start with BEGIN:VCALENDAR');
}

/**
 * Cuts `text` into the VEVENT and VTIMEZONE components of its (first) VCALENDAR. Throws
 * NotIcsError when the text does not start with BEGIN:VCALENDAR. A component left open, an END
 * that closes nothing, and anything after END:VCALENDAR are warnings, never a failure.
 */
export function splitCalendar(text: string): IcsSplit {
  const lines = unfold(text);
  const first = lines[0];
  if (!first || !/^BEGIN:VCALENDAR\s*$/i.test(first.text)) throw notIcs(text);

  const split: IcsSplit = { events: [], timezones: [], others: [], properties: [], warnings: [], complete: false };
  // Open components below VCALENDAR; the first is the top-level one being collected.
  const stack: string[] = [];
  let block: IcsBlock | undefined;
  const finish = () => {
    if (block?.name === 'VEVENT') split.events.push(block);
    else if (block?.name === 'VTIMEZONE') split.timezones.push(block);
    else if (block) split.others.push(block);
    block = undefined;
  };

  for (let i = 1; i < lines.length; i += 1) {
    const { text: content, line } = lines[i]!;
    const begin = BEGIN.exec(content);
    const end = END.exec(content);
    if (stack.length === 0) {
      if (end && end[1]!.toUpperCase() === 'VCALENDAR') {
        split.complete = true;
        const rest = lines.length - i - 1;
        // Podio appends properties after END:VCALENDAR (issue_350.ics); they belong to nothing.
        if (rest > 0) split.warnings.push({ kind: 'trailer', line: lines[i + 1]!.line, lost: false, message: `${rest} line(s) after END:VCALENDAR ignored` });
        return split;
      }
      if (begin) {
        stack.push(begin[1]!.toUpperCase());
        block = { name: begin[1]!.toUpperCase(), lines: [content], at: [line] };
      } else if (end) {
        split.warnings.push({ kind: 'structure', line, lost: false, message: `${oneLine(content.trim(), 60)} closes no component; ignored` });
      } else {
        // A property of the calendar (PRODID, X-WR-CALNAME): not needed, but ical.js refused a feed for a bad one.
        split.properties.push({ text: content, line });
      }
      continue;
    }
    block!.lines.push(content);
    block!.at.push(line);
    if (begin) stack.push(begin[1]!.toUpperCase());
    else if (end) {
      const name = end[1]!.toUpperCase();
      const depth = stack.lastIndexOf(name);
      if (depth === -1) {
        // Keep the line out of the component: ical.js would throw on it.
        block!.lines.pop();
        block!.at.pop();
        split.warnings.push({ kind: 'structure', line, lost: false, message: `${oneLine(content.trim(), 60)} closes no open component; ignored` });
        continue;
      }
      if (depth < stack.length - 1) {
        split.warnings.push({ kind: 'structure', line, lost: false, message: `${oneLine(stack.slice(depth + 1).join(', '), 120)} left open before ${oneLine(content.trim(), 60)}; closed there` });
        // Close the components left open, so that ical.js gets a well-formed block.
        block!.lines.splice(block!.lines.length - 1, 0, ...stack.slice(depth + 1).reverse().map((n) => `END:${n}`));
        block!.at.splice(block!.at.length - 1, 0, ...stack.slice(depth + 1).map(() => line));
      }
      stack.length = depth;
      if (stack.length === 0) finish();
    }
  }
  if (block) {
    split.warnings.push({
      ...namedIn(block.lines),
      kind: block.name === 'VEVENT' ? 'skipped' : 'structure',
      line: block.at[0]!,
      lost: block.name === 'VEVENT',
      message: `the feed ends inside a ${oneLine(block.name, 40)} (cut short?); that ${oneLine(block.name, 40)} is skipped`,
    });
  }
  split.warnings.push({ kind: 'structure', lost: false, message: 'the feed ends without END:VCALENDAR: it may have been cut short' });
  return split;
}

/** The meeting id and number that the raw lines of a skipped item name, so a reader knows what it may miss. */
export function namedIn(lines: readonly string[]): Pick<FeedWarning, 'meetingId' | 'meetingNumber'> {
  const text = lines.join('\n');
  const meetingId = findMeetingId(text);
  const meetingNumber = findMeetingNumber(text);
  return { ...(meetingId ? { meetingId } : {}), ...(meetingNumber ? { meetingNumber } : {}) };
}
