import { DataError } from '../../domain/errors.js';
import type { FeedMeeting, FeedReading } from '../../domain/meeting.js';
import { scrub } from '../../domain/redact.js';
import { NotIcsError, readFeedText, type FeedItem, type FeedRead, type FeedWarningKind } from './read.js';

/**
 * A user's meeting feed (`GET <icsPath>`) as the sync reads it: all or nothing. The sync reads
 * the feed to learn whether a creation whose answer was lost took effect (sync/pending.ts); a
 * meeting missing from a partial read would be created a second time.
 * So this is the one reader (read.ts) with the warnings that may hide a meeting turned into a
 * refusal of the whole feed: the kinds for which ical.js, which read the feed whole before the
 * two readers became one, refused it. The feed's format is ASSUMED (see assumptions.ts).
 */

export interface FeedParseOptions {
  /** Whose feed it is, for the error message (an email). @default 'a user' */
  owner?: string;
}

/**
 * The warning kinds that refuse the feed (text.ts FeedWarningKind). Tolerated, as ical.js
 * tolerated them: a time in a zone read by name or as UTC, an unusable VTIMEZONE, a series whose
 * occurrences cannot be told (the sync matches entries by marker, not by time), and text after
 * END:VCALENDAR (Podio writes it: issue_350.ics).
 */
const REFUSED: ReadonlySet<FeedWarningKind> = new Set<FeedWarningKind>(['skipped', 'unreadable', 'repaired', 'structure', 'outside']);

/**
 * RFC 5545 section 3.1 ends content lines with CRLF. read.ts also takes a lone CR, but ical.js
 * did not ("component began but did not end"), and the sync keeps that refusal for now.
 */
const LONE_CR = /\r(?!\n)/;

/** Parses ICS text. Throws DataError (one line, no token) when any entry of the feed could not be read fully. */
export function parseFeed(text: string, options: FeedParseOptions = {}): FeedMeeting[] {
  const read = readOrRefuse(text, options.owner);
  const refused = read.warnings.find((w) => REFUSED.has(w.kind));
  // ical.js's words when it refused the text (what this message said before), else the reader's.
  if (refused) throw refusal(refused.detail ?? refused.message, options.owner, refused.line);
  if (LONE_CR.test(text)) throw refusal('a line ends with a lone CR (RFC 5545 3.1 wants CRLF)', options.owner);
  return read.items.map(toFeedMeeting);
}

/**
 * Reads what it can: the entries read fully, and a line per problem that may hide an entry (the
 * warnings `parseFeed` refuses the feed for). The sync's resolution of lost creations uses this
 * (sync/pending.ts): one unreadable entry must not stall every other creation of the organizer,
 * while the problems tell it that a meeting missing from `meetings` may still exist. Throws
 * DataError only when the text is not iCalendar at all.
 */
export function readFeedEntries(text: string, options: FeedParseOptions = {}): FeedReading {
  const read = readOrRefuse(text, options.owner);
  const problems = read.warnings
    .filter((w) => REFUSED.has(w.kind))
    .map((w) => oneLine(`${w.line === undefined ? '' : `line ${w.line}: `}${w.message}`));
  return { meetings: read.items.map(toFeedMeeting), problems };
}

function readOrRefuse(text: string, owner: string | undefined): FeedRead {
  try {
    return readFeedText(text);
  } catch (err) {
    if (!(err instanceof NotIcsError)) throw err;
    throw refusal(err.shape === 'empty' ? 'the feed is empty' : 'it does not start with BEGIN:VCALENDAR', owner);
  }
}

function refusal(reason: string, owner: string | undefined, line?: number): DataError {
  return new DataError(
    `the ICS feed of ${owner ?? 'a user'} is not valid iCalendar: ${oneLine(reason)}; ` +
      `check the user's icsPath and that baseUrl points at the Web Meeting instance` +
      (line === undefined ? '' : ` (first problem on line ${line} of the feed)`),
  );
}

/** The sync's view of an entry: what the reader found, without the reconciliation's extras. */
function toFeedMeeting(item: FeedItem): FeedMeeting {
  return {
    uid: item.uid,
    summary: item.summary,
    description: item.description,
    ...(item.meetingId === undefined ? {} : { meetingId: item.meetingId }),
    ...(item.meetingNumber === undefined ? {} : { meetingNumber: item.meetingNumber }),
    ...(item.start === undefined ? {} : { start: item.start }),
    ...(item.end === undefined ? {} : { end: item.end }),
    ...(item.url === undefined ? {} : { url: item.url }),
    ...(item.rrule === undefined ? {} : { rrule: item.rrule }),
  };
}

function oneLine(text: string): string {
  return scrub(text.split(/\r?\n/, 1)[0] ?? '').slice(0, 200);
}
