import { findMeetingId, findMeetingNumber } from '../assumptions.js';
import { oneLine } from '../../domain/printable.js';

/**
 * The first pass of the feed reader (read.ts): ICS text cut into its components, without
 * interpreting any value. ical.js parses a whole VCALENDAR at once, and one bad line anywhere
 * (a BYDAY list with spaces, a broken quote in a TZID parameter, a byte-order mark, a property
 * after END:VCALENDAR: see test/fixtures/SOURCES.md) makes it throw for the whole file. Cut
 * first, each VEVENT and VTIMEZONE can be parsed on its own, and a bad one costs only itself.
 */

/** One problem found while reading a feed: an item skipped or read in part. */
export interface FeedWarning {
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
  warnings: FeedWarning[];
  /** False when the text ended before END:VCALENDAR: the feed may have been cut short. */
  complete: boolean;
}

/** The text is not an iCalendar feed at all (an HTML error page, an empty body, JSON). */
export class NotIcsError extends Error {}

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
function describeStart(text: string): string {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed === '') return 'the body is empty';
  if (/^<(!doctype|html|\?xml|head|body)/i.test(trimmed)) return 'it is an HTML or XML page';
  if (/^[[{]/.test(trimmed)) return 'it is JSON';
  return 'it does not start with BEGIN:VCALENDAR';
}

/**
 * Cuts `text` into the VEVENT and VTIMEZONE components of its (first) VCALENDAR. Throws
 * NotIcsError when the text does not start with BEGIN:VCALENDAR. A component left open, an END
 * that closes nothing, and anything after END:VCALENDAR are warnings, never a failure.
 */
export function splitCalendar(text: string): IcsSplit {
  const lines = unfold(text);
  const first = lines[0];
  if (!first || !/^BEGIN:VCALENDAR\s*$/i.test(first.text)) throw new NotIcsError(describeStart(text));

  const split: IcsSplit = { events: [], timezones: [], warnings: [], complete: false };
  // Open components below VCALENDAR; the first is the top-level one being collected.
  const stack: string[] = [];
  let block: IcsBlock | undefined;
  const finish = () => {
    if (block?.name === 'VEVENT') split.events.push(block);
    else if (block?.name === 'VTIMEZONE') split.timezones.push(block);
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
        if (rest > 0) split.warnings.push({ line: lines[i + 1]!.line, lost: false, message: `${rest} line(s) after END:VCALENDAR ignored` });
        return split;
      }
      if (begin) {
        stack.push(begin[1]!.toUpperCase());
        block = { name: begin[1]!.toUpperCase(), lines: [content], at: [line] };
      } else if (end) {
        split.warnings.push({ line, lost: false, message: `${oneLine(content.trim(), 60)} closes no component; ignored` });
      }
      // Other lines at this level are properties of the calendar (PRODID, X-WR-CALNAME): not needed.
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
        split.warnings.push({ line, lost: false, message: `${oneLine(content.trim(), 60)} closes no open component; ignored` });
        continue;
      }
      if (depth < stack.length - 1) {
        split.warnings.push({ line, lost: false, message: `${oneLine(stack.slice(depth + 1).join(', '), 120)} left open before ${oneLine(content.trim(), 60)}; closed there` });
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
      line: block.at[0]!,
      lost: block.name === 'VEVENT',
      message: `the feed ends inside a ${oneLine(block.name, 40)} (cut short?); that ${oneLine(block.name, 40)} is skipped`,
    });
  }
  split.warnings.push({ lost: false, message: 'the feed ends without END:VCALENDAR: it may have been cut short' });
  return split;
}

/** The meeting id and number that the raw lines of a skipped item name, so a reader knows what it may miss. */
export function namedIn(lines: readonly string[]): Pick<FeedWarning, 'meetingId' | 'meetingNumber'> {
  const text = lines.join('\n');
  const meetingId = findMeetingId(text);
  const meetingNumber = findMeetingNumber(text);
  return { ...(meetingId ? { meetingId } : {}), ...(meetingNumber ? { meetingNumber } : {}) };
}
