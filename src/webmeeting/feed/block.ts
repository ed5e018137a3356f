import ICAL from 'ical.js';
import type { FeedWarning, IcsBlock } from './text.js';
import { namedIn } from './text.js';
import { oneLine } from '../../domain/printable.js';

/**
 * One VEVENT or VTIMEZONE block parsed by ical.js on its own, so that a bad line costs that
 * line, and a hopeless block costs that block, never the feed. Two patterns that real clients
 * write and ical.js refuses are repaired (and said so), then any line ical.js still refuses is
 * left out with a warning naming it.
 */

export interface ParsedBlock {
  component?: ICAL.Component;
  warnings: FeedWarning[];
  /** Names of the properties left out because they could not be read (upper case). */
  dropped: string[];
}

/**
 * Exchange writes the TZID parameter and the value inside one pair of quotes,
 * `DTSTART;TZID="W. Europe Standard Time:20200609T090000"` (ms_timezones.ics; node-ical b14ac78):
 * the quote is moved to close the parameter.
 */
const QUOTE_WRAPS_VALUE = /^([A-Za-z0-9-]+(?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^;:"]*))*;[A-Za-z0-9-]+=)"([^":]*):([^"]*)"\s*$/;

/** Microsoft CDO writes `BYDAY=MO, TU, WE` (issue_165_missing_event.ics); RFC 5545 has no spaces there. */
const RULE_LINE = /^(RRULE|EXRULE)([;:])/i;

function repair(line: string): { line: string; what: string } | undefined {
  const quoted = QUOTE_WRAPS_VALUE.exec(line);
  if (quoted) return { line: `${quoted[1]}"${quoted[2]}":${quoted[3]}`, what: 'a quote wrapping both the TZID and the value' };
  if (RULE_LINE.test(line) && /\s/.test(line.slice(line.indexOf(':') + 1))) {
    const colon = line.indexOf(':');
    return { line: line.slice(0, colon + 1) + line.slice(colon + 1).replace(/\s+/g, ''), what: 'spaces inside the rule' };
  }
  return undefined;
}

/** The name a warning gives a content line: at most 40 characters (a damaged line can be one 100 KB name). */
export function propertyName(line: string): string {
  return oneLine(/^[A-Za-z0-9-]+/.exec(line)?.[0] ?? line.slice(0, 20), 40).toUpperCase();
}

function message(err: unknown): string {
  // oneLine: ical.js quotes the value it refused, which may hold a U+2028 or U+0085 line separator.
  return oneLine((err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!, 160);
}

function parseWhole(lines: readonly string[]): ICAL.Component {
  const jcal: unknown = ICAL.parse(lines.join('\r\n'));
  if (!Array.isArray(jcal) || typeof jcal[0] !== 'string') throw new Error('not one component');
  return new ICAL.Component(jcal as unknown[]);
}

/** Why ical.js refuses content line `line`, in one line, or undefined when it reads it. */
export function refusalOf(line: string): string | undefined {
  try {
    ICAL.parse.property(line);
    return undefined;
  } catch (err) {
    return message(err);
  }
}

/** `block` as an ical.js component, read in part when parts of it are unreadable; undefined when nothing is. */
export function parseBlock(block: IcsBlock): ParsedBlock {
  const warnings: FeedWarning[] = [];
  const dropped: string[] = [];
  try {
    return { component: parseWhole(block.lines), warnings, dropped };
  } catch {
    // Read line by line below.
  }
  const kept: string[] = [];
  block.lines.forEach((line, i) => {
    const at = block.at[i]!;
    if (/^(BEGIN|END):/i.test(line)) {
      kept.push(line);
      return;
    }
    try {
      ICAL.parse.property(line);
      kept.push(line);
      return;
    } catch (err) {
      const fixed = repair(line);
      if (fixed) {
        try {
          ICAL.parse.property(fixed.line);
          kept.push(fixed.line);
          warnings.push({ kind: 'repaired', line: at, lost: false, message: `${propertyName(line)} read despite ${fixed.what}`, detail: message(err) });
          return;
        } catch {
          // Not enough: the line is left out below.
        }
      }
      dropped.push(propertyName(line));
      warnings.push({ kind: 'unreadable', line: at, lost: false, message: `${propertyName(line)} could not be read (${message(err)}); left out`, detail: message(err) });
    }
  });
  try {
    return { component: parseWhole(kept), warnings, dropped };
  } catch (err) {
    warnings.push({
      ...namedIn(block.lines),
      kind: 'skipped',
      line: block.at[0]!,
      lost: block.name === 'VEVENT',
      message: `${oneLine(block.name, 40)} could not be read (${message(err)}); skipped`,
      detail: message(err),
    });
    return { warnings, dropped };
  }
}
