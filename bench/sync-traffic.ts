import type { RecordedRequest, SimRequest, SimResponse } from '../src/simulators/kit/server.js';

/**
 * What the real-path benchmark counts at the simulators: every request sorted into a target
 * (Google reads and write-backs, Graph reads and write-backs, platform calls by method, token
 * requests), and what each calendar read answered (items, series masters, removals), from which
 * the least possible number of requests is worked out.
 */

/** events.list maxResults: the most Google allows (PROVIDERS.md: "default page 250, max 2500"). */
export const GOOGLE_MAX_PAGE = 2500;
/**
 * Items per calendarView/delta page asked for with `Prefer: odata.maxpagesize` (meetsync's
 * default `pageSize`). Microsoft documents no larger maximum for delta, so this is the page the
 * least number of Graph pages is counted in.
 */
export const GRAPH_PAGE = 100;

/** One calendar read's answer, as the simulator sent it. */
export interface ReadAnswer {
  provider: 'google' | 'outlook';
  calendarId: string;
  items: number;
  /** Graph: seriesMasterId of occurrences/exceptions, and ids reported `@removed` (each needs a GET). */
  needsGet: string[];
}

type Handle = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/**
 * Lets the benchmark see what a simulator answered. The simulators' request handler is private;
 * their servers call it through `this.handle(req)`, so an instance property in its place sees
 * every answer without changing what goes over the wire.
 */
export function observeAnswers(sim: object, seen: (req: SimRequest, res: SimResponse) => void): void {
  const target = sim as unknown as { handle: Handle };
  const original = target.handle.bind(sim);
  target.handle = async (req) => {
    const res = await original(req);
    seen(req, res);
    return res;
  };
}

const GOOGLE_LIST = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/;
const GRAPH_DELTA = /^\/v1\.0\/users\/([^/]+)\/(?:calendar\/)?calendarView\/delta/i;

export function readAnswerOf(provider: 'google' | 'outlook', req: SimRequest, res: SimResponse): ReadAnswer | undefined {
  if (req.method !== 'GET' || res.status !== 200 || typeof res.body !== 'object' || res.body === null) return undefined;
  if (provider === 'google') {
    const m = GOOGLE_LIST.exec(req.path);
    const items = (res.body as { items?: unknown[] }).items;
    // maxResults=1 probes (a 404 confirmation, doctor) are not calendar reads.
    if (!m || !Array.isArray(items) || req.query.get('maxResults') === '1') return undefined;
    return { provider, calendarId: decodeURIComponent(m[1]!).toLowerCase(), items: items.length, needsGet: [] };
  }
  const m = GRAPH_DELTA.exec(req.path);
  const value = (res.body as { value?: Array<Record<string, unknown>> }).value;
  if (!m || !Array.isArray(value)) return undefined;
  const needsGet = value.flatMap((v) => {
    if (v['@removed']) return [String(v.id)];
    return typeof v.seriesMasterId === 'string' ? [v.seriesMasterId] : [];
  });
  return { provider, calendarId: decodeURIComponent(m[1]!).toLowerCase(), items: value.length, needsGet };
}

export type Target =
  | 'google events.list'
  | 'google events.get'
  | 'google events.patch (write-back)'
  | 'google token'
  | 'graph calendarView/delta'
  | 'graph GET event'
  | 'graph PATCH event (write-back)'
  | 'graph token'
  | 'graph authority metadata'
  | 'platform GET account/admin'
  | 'platform POST meeting'
  | 'platform PUT meeting'
  | 'platform DELETE meeting'
  | 'platform GET feed'
  | 'other';

export const TARGETS: readonly Target[] = [
  'google events.list',
  'google events.get',
  'google events.patch (write-back)',
  'google token',
  'graph calendarView/delta',
  'graph GET event',
  'graph PATCH event (write-back)',
  'graph token',
  'graph authority metadata',
  'platform GET account/admin',
  'platform POST meeting',
  'platform PUT meeting',
  'platform DELETE meeting',
  'platform GET feed',
  'other',
];

export function targetOf(server: 'google' | 'graph' | 'platform', r: RecordedRequest): Target {
  const { method, path } = r;
  if (server === 'google') {
    if (path === '/token') return 'google token';
    if (GOOGLE_LIST.test(path) && method === 'GET') return 'google events.list';
    if (/^\/calendar\/v3\/calendars\/[^/]+\/events\/[^/]+$/.test(path)) {
      if (method === 'GET') return 'google events.get';
      if (method === 'PATCH') return 'google events.patch (write-back)';
    }
    return 'other';
  }
  if (server === 'graph') {
    if (/\/oauth2\/v2\.0\/token$/.test(path)) return 'graph token';
    if (!path.startsWith('/v1.0/')) return 'graph authority metadata';
    if (GRAPH_DELTA.test(path) && method === 'GET') return 'graph calendarView/delta';
    if (/^\/v1\.0\/users\/[^/]+\/(?:calendar\/)?events\/[^/]+$/i.test(path)) {
      if (method === 'GET') return 'graph GET event';
      if (method === 'PATCH') return 'graph PATCH event (write-back)';
    }
    return 'other';
  }
  if (method === 'GET' && /^\/api\/v6\/account\/admin\//.test(path)) return 'platform GET account/admin';
  if (method === 'GET' && path.startsWith('/api/v6/meeting/calender/user/')) return 'platform GET feed';
  if (method === 'POST' && path === '/api/v6/meeting') return 'platform POST meeting';
  if (method === 'PUT' && path.startsWith('/api/v6/meeting/')) return 'platform PUT meeting';
  if (method === 'DELETE' && path.startsWith('/api/v6/meeting/')) return 'platform DELETE meeting';
  return 'other';
}

export type Counts = Record<Target, number>;

export function zeroCounts(): Counts {
  return Object.fromEntries(TARGETS.map((t) => [t, 0])) as Counts;
}

export function countRequests(batches: Array<{ server: 'google' | 'graph' | 'platform'; requests: readonly RecordedRequest[] }>): Counts {
  const counts = zeroCounts();
  for (const { server, requests } of batches) for (const r of requests) counts[targetOf(server, r)] += 1;
  return counts;
}

/**
 * The least number of calendar reads a cycle can make: every calendar read once, in as few pages
 * as its answer fits (Google 2500 items, Graph GRAPH_PAGE), plus, for Graph, one GET per series
 * master whose occurrences appeared and per `@removed` item (calendarView/delta carries neither
 * the master nor proof of a deletion, PROVIDERS.md).
 *
 * The cycle after a first sync reads meetsync's own write-backs back: every PATCH changes its
 * event, and neither Google's syncToken nor Graph's deltaLink can leave out one client's own
 * changes, so those pages are part of the least. So is the master GET of a series whose
 * occurrences came back: an occurrence does not tell whether our write-back or an organizer's
 * edit of the series (a new time, a new rule) changed it, and only the master answers that.
 * Nothing else is: no GET of an event meetsync holds a meeting for, or of an attendee's copy.
 */
export function leastReads(answers: readonly ReadAnswer[], googleCalendars: readonly string[], mailboxes: readonly string[]): Pick<Counts, 'google events.list' | 'graph calendarView/delta' | 'graph GET event'> {
  const items = new Map<string, number>();
  const gets = new Map<string, Set<string>>();
  for (const a of answers) {
    const key = `${a.provider} ${a.calendarId}`;
    items.set(key, (items.get(key) ?? 0) + a.items);
    const set = gets.get(key) ?? new Set<string>();
    a.needsGet.forEach((id) => set.add(id));
    gets.set(key, set);
  }
  const pages = (provider: string, id: string, size: number) => Math.max(1, Math.ceil((items.get(`${provider} ${id.toLowerCase()}`) ?? 0) / size));
  return {
    'google events.list': googleCalendars.reduce((n, c) => n + pages('google', c, GOOGLE_MAX_PAGE), 0),
    'graph calendarView/delta': mailboxes.reduce((n, m) => n + pages('outlook', m, GRAPH_PAGE), 0),
    'graph GET event': mailboxes.reduce((n, m) => n + (gets.get(`outlook ${m.toLowerCase()}`)?.size ?? 0), 0),
  };
}
