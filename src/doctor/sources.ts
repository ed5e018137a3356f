import { createSource } from '../app.js';
import type { SourceConfig } from '../config/schema.js';
import { CalendarAuthError, describeError } from '../domain/errors.js';
import { silentLogger } from '../log.js';
import { fail, inPool, ok, skip, splitRemedy, type Check } from './check.js';
import { checkEndpoint, type EndpointResult } from './endpoint.js';

/**
 * Each calendar source: its endpoints answer over verified TLS, then, per calendar or mailbox, a
 * read that changes nothing through the real adapter (`probe`): it takes a token the way a sync
 * does (refresh token, service-account grant, client credentials) and reads one item, so a wrong
 * secret, a missing delegation or an unshared calendar shows with the adapter's own remedy.
 */

const GOOGLE_API = 'https://www.googleapis.com/';
const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token';
const GRAPH = 'https://graph.microsoft.com';
const AUTHORITY = 'https://login.microsoftonline.com';

/** The endpoints a source calls, with the config key that sets each; one line pair per origin. */
export function endpointsOf(source: SourceConfig, index: number): Array<{ url: string; key: string }> {
  const at = `sources[${index}]`;
  const list =
    source.kind === 'google'
      ? [
          { url: source.rootUrl ?? GOOGLE_API, key: `${at}.rootUrl` },
          { url: source.tokenUrl ?? GOOGLE_TOKEN, key: `${at}.tokenUrl` },
        ]
      : [
          { url: source.graphBaseUrl ?? GRAPH, key: `${at}.graphBaseUrl` },
          { url: source.authorityHost ?? AUTHORITY, key: `${at}.authorityHost` },
        ];
  const seen = new Set<string>();
  return list.filter((e) => {
    const origin = new URL(e.url).origin;
    if (seen.has(origin)) return false;
    seen.add(origin);
    return true;
  });
}

export interface SourceCheckOptions {
  timeoutMs: number;
  /** Calendars probed at once, across the source. */
  concurrency: number;
  /** Told of each check as it finishes (the doctor prints it then). */
  onCheck?: (check: Check) => void;
  /** Told of each calendar done, checked or skipped (the progress line). */
  onCalendar?: () => void;
}

export async function checkSource(source: SourceConfig, index: number, options: SourceCheckOptions): Promise<{ checks: Check[]; endpoints: EndpointResult[] }> {
  const subject = `${source.name} (${source.kind})`;
  const told = (check: Check): Check => {
    options.onCheck?.(check);
    return check;
  };
  const endpoints = await Promise.all(
    endpointsOf(source, index).map(async (e) => {
      const result = await checkEndpoint(subject, e.url, e.key, options.timeoutMs);
      result.checks.forEach(told);
      return result;
    }),
  );
  const checks = endpoints.flatMap((e) => e.checks);
  const calendars = source.kind === 'google' ? source.calendars : source.mailboxes;
  if (!endpoints.every((e) => e.usable)) {
    checks.push(...calendars.map((c) => told(skip(`${source.name} / ${c}`, 'credentials not checked (an endpoint above failed)'))));
    calendars.forEach(() => options.onCalendar?.());
    return { checks, endpoints };
  }
  // Once, with a short deadline: the doctor reports a failure, it does not wait it out.
  const adapter = await createSource(source, index, silentLogger(), { retry: { maxAttempts: 1 }, requestTimeoutMs: options.timeoutMs });
  const what = source.kind === 'google' ? 'events.list' : 'calendarView';
  const results = await inPool(
    calendars.map((calendar) => async (): Promise<Check> => {
      const check = await probeCalendar(calendar);
      told(check);
      options.onCalendar?.();
      return check;
    }),
    options.concurrency,
  );
  checks.push(...results);
  return { checks, endpoints };

  async function probeCalendar(calendar: string): Promise<Check> {
    const at = `${source.name} / ${calendar}`;
    try {
      await adapter.probe(calendar);
      return ok(at, `credentials work, calendar readable (a token, then ${what} of one item)`);
    } catch (err) {
      const fallback =
        err instanceof CalendarAuthError
          ? `check sources[${index}].auth`
          : `check that ${calendar} exists and is readable with the credentials of sources[${index}]; if the service had an outage, run the doctor again`;
      const { detail, remedy } = splitRemedy(describeError(err), fallback);
      return fail(at, `${err instanceof CalendarAuthError ? 'credential refused: ' : ''}${detail}`, remedy);
    }
  }
}
