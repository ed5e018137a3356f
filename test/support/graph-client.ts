import type { GraphSimulator } from '../../src/simulators/graph/server.js';

/**
 * A plain-fetch Graph caller for the simulator's own tests (not the Outlook adapter): the
 * client-credentials token request and Graph calls over https, trusting the run's CA through
 * NODE_EXTRA_CA_CERTS (test/support/global-setup.ts).
 */

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT = { tenantId: TENANT, clientId: '4a1aa1d5-c567-49d0-ad0b-cd957a47f842', clientSecret: 'sim~client~secret' };
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

export async function tokenRequest(sim: GraphSimulator, fields: Record<string, string>, tenant = TENANT): Promise<Answer> {
  const res = await fetch(sim.tokenUrl(tenant), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

export async function accessToken(sim: GraphSimulator): Promise<string> {
  const answer = await tokenRequest(sim, {
    grant_type: 'client_credentials',
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    scope: GRAPH_SCOPE,
  });
  if (answer.status !== 200) throw new Error(`token request failed: ${JSON.stringify(answer.json)}`);
  return answer.json.access_token as string;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bearer token; null sends no Authorization header. */
  token?: string | null;
}

/** Calls `pathOrUrl` (a path under /v1.0, or a full nextLink/deltaLink URL). */
export async function call(sim: GraphSimulator, token: string | null, pathOrUrl: string, options: CallOptions = {}): Promise<Answer> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${sim.graphBaseUrl}${pathOrUrl}`;
  const bearer = options.token === undefined ? token : options.token;
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

/** Follows a delta round from `first` to its deltaLink; returns the pages and the deltaLink. */
export async function deltaRound(
  sim: GraphSimulator,
  token: string,
  first: string,
  headers: Record<string, string> = {},
): Promise<{ pages: any[]; items: any[]; deltaLink: string }> {
  const pages: any[] = [];
  let next: string | undefined = first;
  while (next) {
    const answer = await call(sim, token, next, { headers });
    if (answer.status !== 200) throw new Error(`delta page failed: ${answer.status} ${JSON.stringify(answer.json)}`);
    pages.push(answer.json);
    next = answer.json['@odata.nextLink'];
  }
  const deltaLink = pages.at(-1)['@odata.deltaLink'] as string;
  return { pages, items: pages.flatMap((p) => p.value), deltaLink };
}

/** A one-hour event on 2030-01-{day} at `hour` UTC, as Graph JSON. */
export function utcEvent(subject: string, day: number, hour = 9, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d = String(day).padStart(2, '0');
  const h = (n: number) => String(n).padStart(2, '0');
  return {
    subject,
    start: { dateTime: `2030-01-${d}T${h(hour)}:00:00`, timeZone: 'UTC' },
    end: { dateTime: `2030-01-${d}T${h(hour + 1)}:00:00`, timeZone: 'UTC' },
    ...extra,
  };
}
