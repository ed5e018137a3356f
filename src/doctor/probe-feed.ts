import { registerSecret, scrub } from '../domain/redact.js';
import { icsTokensOfPath } from '../webmeeting/assumptions.js';
import { splitCalendar } from '../webmeeting/feed/text.js';
import type { ApiRequest, HttpCore } from '../webmeeting/http.js';

/**
 * The probe's own read of an organizer's feed: raw, without the client's matching rules, because
 * it is those rules (assumptions 9-14) the probe is checking. The feed path carries a token: it is
 * registered as a secret before the first request, and no line of the probe names it.
 */

export interface CanaryLook {
  id?: string;
  number?: string;
  reference: string;
  topic: string;
  startAt: string;
}

/** One VEVENT of the feed, its properties unfolded and unescaped (name upper case -> first value). */
export interface FeedEntry {
  props: Map<string, string>;
}

export type FeedAnswer =
  | { kind: 'read'; entries: FeedEntry[]; withKey: boolean }
  | { kind: 'refused'; status: number; withKey: boolean }
  | { kind: 'unreadable'; why: string };

/** GET <icsPath>, without the key, or with it (`withKey`): the same host as the API, as the client would. */
export async function readProbeFeed(http: HttpCore, icsPath: string, withKey: boolean): Promise<FeedAnswer> {
  icsTokensOfPath(icsPath).forEach(registerSecret);
  const req: ApiRequest = { method: 'GET', path: icsPath.startsWith('/') ? icsPath : `/${icsPath}`, kind: 'calendar', withApiKey: withKey, attempts: 2 };
  let res;
  try {
    res = await http.send(req);
  } catch (err) {
    return { kind: 'unreadable', why: scrub((err as Error).message) };
  }
  if (res.status < 200 || res.status > 299) return { kind: 'refused', status: res.status, withKey };
  try {
    return { kind: 'read', entries: splitCalendar(res.text).events.map((e) => ({ props: propertiesOf(e.lines) })), withKey };
  } catch (err) {
    return { kind: 'unreadable', why: `not an iCalendar feed: ${scrub((err as Error).message)}` };
  }
}

function propertiesOf(lines: readonly string[]): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of lines) {
    const colon = valueStart(line);
    if (colon < 0) continue;
    const name = line.slice(0, colon).split(';', 1)[0]!.toUpperCase();
    if (!props.has(name)) props.set(name, unescapeText(line.slice(colon + 1)));
  }
  return props;
}

/** The colon that ends name and parameters (a quoted parameter value may hold a colon). */
function valueStart(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) return i;
  }
  return -1;
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** DTSTART as digits `YYYYMMDDTHHMMSS` for a UTC time; a TZID or a floating time is left as written. */
export function basicUtc(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const TEXT_FIELDS = ['UID', 'URL', 'DESCRIPTION', 'LOCATION'] as const;

/** How far the probe moves its canary (PUT .../false): a canary is looked for at either start. */
export const CANARY_MOVE_MS = 60 * 60_000;

/** The canary's entry: by id, number or reference anywhere it could be, else by topic and start (first or moved). */
export function findCanary(entries: readonly FeedEntry[], look: CanaryLook): FeedEntry | undefined {
  const text = (e: FeedEntry) => TEXT_FIELDS.map((f) => e.props.get(f) ?? '').join('\n');
  const starts = [basicUtc(look.startAt), basicUtc(new Date(Date.parse(look.startAt) + CANARY_MOVE_MS).toISOString())];
  return (
    entries.find((e) => (look.id !== undefined && text(e).includes(look.id)) || (look.number !== undefined && text(e).includes(look.number))) ??
    entries.find((e) => text(e).includes(look.reference)) ??
    entries.find((e) => e.props.get('SUMMARY') === look.topic && starts.includes(e.props.get('DTSTART') ?? ''))
  );
}

export function carries(entry: FeedEntry, value: string | undefined): boolean {
  return value !== undefined && value !== '' && TEXT_FIELDS.some((f) => (entry.props.get(f) ?? '').includes(value));
}

export function startsAt(entry: FeedEntry, iso: string): boolean {
  return entry.props.get('DTSTART') === basicUtc(iso);
}
