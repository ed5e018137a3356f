import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutlookSource, type OutlookSourceConfig } from '../../src/calendars/outlook/source.js';
import { decodeCursor } from '../../src/calendars/outlook/delta.js';
import { STAMP_PROPERTY_ID } from '../../src/calendars/outlook/event.js';
import { CalendarAuthError, CalendarError } from '../../src/domain/errors.js';
import { SimServer, type SimRequest, type SimResponse } from '../../src/simulators/kit/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';

/**
 * The Outlook adapter's transport against a real https server on a random port, with the real
 * @azure/msal-node and @microsoft/microsoft-graph-client: what msal asks the authority, that the
 * Graph client's token reaches a non-Microsoft host, throttling, 401, concurrency and deadlines.
 *
 * The server below is a deliberately small stand-in (the authority's two documents, a delta round,
 * event GET/PATCH), written from the Graph and Entra documents cited in src/calendars/outlook/*.ts,
 * enough to observe the wire. It is not the Graph simulator: the CalendarSource contract suite
 * runs against that one (test/integration/outlook-source.test.ts, once it is merged).
 */

const TENANT = 'contoso-tenant';
const SECRET = 'client-secret-value-42';
const MAILBOX = 'alice@contoso.test';
const window = { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-03-01T00:00:00Z') };

interface StubEvent {
  id: string;
  version: number;
  deleted?: boolean;
  json: Record<string, unknown>;
  stamp?: string;
}

function teamsBody(): string {
  const sample = JSON.parse(readFileSync(new URL('../fixtures/graph/event-online-meeting-created.json', import.meta.url), 'utf8')) as { body: { content: string } };
  return sample.body.content;
}

class StubWorld {
  tokensIssued = 0;
  version = 1;
  inFlight = 0;
  maxInFlight = 0;
  graphDelayMs = 0;
  events = new Map<string, StubEvent>();
  /** Answers openid-configuration with a token endpoint on this origin instead of the stub's. */
  tokenOrigin: string | undefined;
  server = new SimServer((req) => this.handle(req), { tls: loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!) });

  get url(): string {
    return this.server.url;
  }

  add(id: string, fields: Record<string, unknown> = {}): void {
    this.version += 1;
    this.events.set(id, {
      id,
      version: this.version,
      json: {
        id,
        '@odata.etag': `W/"${id}-${this.version}"`,
        type: 'singleInstance',
        subject: `Event ${id}`,
        body: { contentType: 'html', content: '<html><body>Agenda</body></html>' },
        location: { displayName: '' },
        categories: ['Web Meeting'],
        isOrganizer: true,
        isCancelled: false,
        isAllDay: false,
        organizer: { emailAddress: { address: MAILBOX } },
        start: { dateTime: '2030-01-07T09:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2030-01-07T10:00:00.0000000', timeZone: 'UTC' },
        ...fields,
      },
    });
  }

  remove(id: string): void {
    const event = this.events.get(id);
    this.version += 1;
    if (event) Object.assign(event, { deleted: true, version: this.version });
  }

  private async handle(req: SimRequest): Promise<SimResponse> {
    const tenantPath = `/${TENANT}`;
    if (req.method === 'GET' && req.path === `${tenantPath}/v2.0/.well-known/openid-configuration`) {
      const tokenBase = this.tokenOrigin ?? this.url;
      return {
        status: 200,
        body: {
          issuer: `${this.url}/${TENANT}/v2.0`,
          token_endpoint: `${tokenBase}/${TENANT}/oauth2/v2.0/token`,
          authorization_endpoint: `${this.url}/${TENANT}/oauth2/v2.0/authorize`,
          jwks_uri: `${this.url}/${TENANT}/discovery/v2.0/keys`,
        },
      };
    }
    if (req.method === 'POST' && req.path === `${tenantPath}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_secret') !== SECRET) {
        return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] } };
      }
      this.tokensIssued += 1;
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, access_token: `token-${this.tokensIssued}-abcdef` } };
    }
    if (!req.path.startsWith('/v1.0/users/')) return { status: 400, body: { error: { code: 'BadRequest', message: `unknown path ${req.path}` } } };
    if (req.headers.authorization !== `Bearer token-${this.tokensIssued}-abcdef`) {
      return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty or invalid.' } } };
    }
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.graphDelayMs > 0) await new Promise((r) => setTimeout(r, this.graphDelayMs));
      return this.graph(req);
    } finally {
      this.inFlight -= 1;
    }
  }

  private graph(req: SimRequest): SimResponse {
    const parts = req.path.split('/');
    // The adapter addresses events through the mailbox's primary calendar (/users/{id}/calendar/events/{id}).
    if (parts[4] === 'calendar') parts.splice(4, 1);
    const [, , , rawMailbox, collection, rawId] = parts;
    const mailbox = decodeURIComponent(rawMailbox ?? '');
    if (mailbox !== MAILBOX) return { status: 404, body: { error: { code: 'ErrorInvalidUser', message: `The requested user '${mailbox}' is invalid.` } } };
    const base = `${this.url}/v1.0/users/${MAILBOX}/calendarView/delta`;
    if (collection === 'calendarView' && rawId === 'delta') {
      const token = req.query.get('$deltatoken');
      const since = token === null ? 0 : Number(token);
      if (token !== null && since < this.expiredBefore) return { status: 410, body: { error: { code: 'syncStateNotFound', message: 'The sync state generation is not found.' } } };
      const changed = [...this.events.values()].filter((e) => e.version > since && !(since === 0 && e.deleted));
      const value = changed.map((e) => (e.deleted ? { '@odata.type': '#microsoft.graph.event', id: e.id, '@removed': { reason: 'deleted' } } : e.json));
      // Two pages on a first request: the round follows the nextLink (delta-query-events.md).
      if (req.query.get('$skiptoken') === null && token === null && value.length > 1) {
        return { status: 200, body: { '@odata.nextLink': `${base}?$skiptoken=second`, value: value.slice(0, 1) } };
      }
      const rest = req.query.get('$skiptoken') === 'second' ? value.slice(1) : value;
      return { status: 200, body: { '@odata.deltaLink': `${base}?$deltatoken=${this.version}`, value: rest } };
    }
    if (collection !== 'events' || !rawId) return { status: 400, body: { error: { code: 'BadRequest', message: `unknown path ${req.path}` } } };
    const event = this.events.get(decodeURIComponent(rawId));
    if (!event || event.deleted) return { status: 404, body: { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } } };
    if (req.method === 'PATCH') {
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== event.json['@odata.etag']) return { status: 412, body: { error: { code: 'ErrorIrresolvableConflict', message: 'stale' } } };
      const patch = req.json() as Record<string, unknown> & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };
      const { singleValueExtendedProperties, ...fields } = patch;
      for (const p of singleValueExtendedProperties ?? []) if (p.id === STAMP_PROPERTY_ID) event.stamp = p.value;
      this.version += 1;
      Object.assign(event.json, fields, { '@odata.etag': `W/"${event.id}-${this.version}"` });
      event.version = this.version;
      return { status: 200, body: event.json };
    }
    const expand = req.query.get('$expand') ?? '';
    const expanded = expand.includes(STAMP_PROPERTY_ID) && event.stamp !== undefined ? { singleValueExtendedProperties: [{ id: STAMP_PROPERTY_ID, value: event.stamp }] } : {};
    return { status: 200, body: { ...event.json, ...expanded } };
  }

  expiredBefore = 0;
}

describe('Outlook adapter transport (msal + Graph client over https)', () => {
  let world: StubWorld;
  const sources: OutlookSource[] = [];

  function source(overrides: Partial<OutlookSourceConfig> = {}): OutlookSource {
    const made = new OutlookSource({
      name: 'corp-outlook',
      mailboxes: [MAILBOX],
      auth: { tenantId: TENANT, clientId: 'app-client-id', clientSecret: SECRET },
      graphBaseUrl: world.url,
      authorityHost: world.url,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      requestTimeoutMs: 5_000,
      ...overrides,
    });
    sources.push(made);
    return made;
  }

  beforeEach(async () => {
    world = new StubWorld();
    await world.server.start();
  });
  afterEach(async () => {
    sources.length = 0;
    await world.server.stop();
  });

  it('asks the configured authority only (discovery, then the token), and the Graph client sends the token to the configured non-Microsoft host', async () => {
    world.add('e1');
    world.add('e2', { subject: 'Second #webmeeting' });
    const outlook = source();

    const read = await outlook.readChanges(MAILBOX, null, window);

    const authority = world.server.requests.filter((r) => !r.path.startsWith('/v1.0/')).map((r) => `${r.method} ${r.path}`);
    expect(authority).toEqual([`GET /${TENANT}/v2.0/.well-known/openid-configuration`, `POST /${TENANT}/oauth2/v2.0/token`]);
    const token = world.server.received('POST', '/oauth2/v2.0/token')[0]!;
    const form = new URLSearchParams(token.body);
    // The resource is Microsoft Graph wherever its requests go (outlook/auth.ts graphScopeOf).
    expect(form.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(form.get('client_id')).toBe('app-client-id');

    const delta = world.server.received('GET', '/calendarView/delta');
    expect(delta).toHaveLength(2);
    for (const request of delta) {
      expect(request.headers.authorization).toBe('Bearer token-1-abcdef');
      expect(request.headers.prefer).toBe('odata.maxpagesize=100, outlook.timezone="UTC", IdType="ImmutableId"');
    }
    expect(delta[0]!.query).toMatchObject({ startDateTime: '2030-01-01T00:00:00.000Z', endDateTime: '2030-03-08T00:00:00.000Z' });
    expect(read.full).toBe(true);
    expect(read.events.map((e) => e.title).sort()).toEqual(['Event e1', 'Second #webmeeting']);
    expect(read.events.every((e) => e.isOrganizerCopy && e.start === '2030-01-07T09:00:00.000Z')).toBe(true);
    expect(decodeCursor(read.cursor)).toMatchObject({ deltaLink: `${world.url}/v1.0/users/${MAILBOX}/calendarView/delta?$deltatoken=${world.version}`, from: '2030-01-01T00:00:00.000Z' });

    const again = await outlook.readChanges(MAILBOX, read.cursor, window);
    expect(again).toMatchObject({ full: false, events: [] });
    expect(world.tokensIssued).toBe(1);
  });

  it('never sends the secret to a host a discovery document points to', async () => {
    world.tokenOrigin = 'https://login.microsoftonline.com';
    const outlook = source();

    const failure = await outlook.readChanges(MAILBOX, null, window).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(CalendarAuthError);
    expect(String((failure as Error).message)).toMatch(/another host .* nothing was sent there/);
    expect(world.server.received('POST')).toHaveLength(0);
    expect(outlook.stats.authorityRequests).toBe(1);
  });

  it('reports a wrong client secret as a broken credential that says what to do, without the secret', async () => {
    const outlook = source({ auth: { tenantId: TENANT, clientId: 'app-client-id', clientSecret: 'wrong-secret-value' } });

    const failure = await outlook.readChanges(MAILBOX, null, window).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(CalendarAuthError);
    expect((failure as CalendarAuthError).calendarId).toBe(MAILBOX);
    expect((failure as Error).message).toMatch(/client secret .*AADSTS7000215.*auth\.clientSecret/);
    expect((failure as Error).message).not.toContain('wrong-secret-value');
  });

  it('reports an unknown tenant as a broken credential, and an authority that does not answer as a transient timeout', async () => {
    world.server.inject({
      kind: 'status',
      status: 400,
      body: { error: 'invalid_tenant', error_description: "AADSTS90002: Tenant 'contoso-tenant' not found.", error_codes: [90002] },
      pathIncludes: '/.well-known/openid-configuration',
    });
    const unknown = await source().readChanges(MAILBOX, null, window).catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(CalendarAuthError);
    expect((unknown as Error).message).toMatch(/does not know tenant contoso-tenant .*auth\.tenantId/);

    world.server.inject({ kind: 'hang', pathIncludes: '/oauth2/v2.0/token' });
    const slow = source({ requestTimeoutMs: 400, retry: { maxAttempts: 1 } });
    const started = Date.now();
    const timedOut = await slow.readChanges(MAILBOX, null, window).catch((err: unknown) => err);
    expect(timedOut).toBeInstanceOf(CalendarError);
    expect(timedOut).not.toBeInstanceOf(CalendarAuthError);
    expect((timedOut as Error).message).toMatch(/token request .* timed out after 400 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('obeys Retry-After on 429 and 503, counting every attempt', async () => {
    world.add('e1');
    const outlook = source();
    world.server.inject({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 1, pathIncludes: '/calendarView/delta' });
    world.server.inject({ kind: 'status', status: 503, retryAfterSeconds: 0, count: 1, pathIncludes: '/calendarView/delta' });

    const started = Date.now();
    const read = await outlook.readChanges(MAILBOX, null, window);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(read.events.map((e) => e.eventId)).toEqual(['e1']);
    expect(world.server.received('GET', '/calendarView/delta')).toHaveLength(3);
    expect(outlook.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('refreshes the token once on 401, and a second 401 is a broken credential', async () => {
    world.add('e1');
    const outlook = source();
    await outlook.readChanges(MAILBOX, null, window);
    world.server.inject({ kind: 'status', status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'expired' } }, pathIncludes: '/events/' });

    expect((await outlook.getEvent(MAILBOX, 'e1'))?.eventId).toBe('e1');
    expect(world.tokensIssued).toBe(2);
    expect(outlook.stats.tokenRefreshes).toBe(1);

    world.server.inject({ kind: 'status', status: 401, count: 2, body: { error: { code: 'InvalidAuthenticationToken', message: 'nope' } }, pathIncludes: '/events/' });
    await expect(outlook.getEvent(MAILBOX, 'e1')).rejects.toBeInstanceOf(CalendarAuthError);
  });

  it('turns 403 ErrorAccessDenied into a broken credential naming the permission and the mailbox', async () => {
    const outlook = source();
    world.server.inject({
      kind: 'status',
      status: 403,
      body: { error: { code: 'ErrorAccessDenied', message: 'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.' } },
      pathIncludes: '/calendarView/delta',
    });

    const failure = await outlook.readChanges(MAILBOX, null, window).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(CalendarAuthError);
    expect((failure as Error).message).toMatch(/Calendars\.ReadWrite.*admin consent.*alice@contoso\.test/);
  });

  it('tells a missing event (null) from a mailbox it cannot see (an error)', async () => {
    const outlook = source();
    expect(await outlook.getEvent(MAILBOX, 'nosuchevent0000')).toBeNull();
    const unseen = outlook.getEvent('nobody@unknown.example', 'nosuchevent0000');
    await expect(unseen).rejects.toBeInstanceOf(CalendarError);
    await expect(unseen).rejects.toThrow(/ErrorInvalidUser.*check that nobody@unknown\.example is a mailbox of the tenant/);
  });

  it('confirms @removed with a GET: gone is cancelled, still there comes back as it is', async () => {
    world.add('gone');
    world.add('moved');
    const outlook = source();
    const first = await outlook.readChanges(MAILBOX, null, window);
    world.remove('gone');
    // An event that left the window also comes as @removed (event-delta.md); here it still exists.
    world.version += 1;
    world.events.set('ghost', { id: 'moved', version: world.version, deleted: true, json: {} });

    const second = await outlook.readChanges(MAILBOX, first.cursor, window);

    expect(second.events.find((e) => e.eventId === 'gone')?.status).toBe('cancelled');
    expect(second.events.find((e) => e.eventId === 'moved')).toMatchObject({ status: 'confirmed', title: 'Event moved' });
  });

  it('starts a new full round when the delta link expired (410 syncStateNotFound)', async () => {
    world.add('e1');
    const outlook = source();
    const first = await outlook.readChanges(MAILBOX, null, window);
    world.expiredBefore = world.version + 1;

    const second = await outlook.readChanges(MAILBOX, first.cursor, window);

    expect(second.full).toBe(true);
    expect(second.fullReason).toMatch(/expired/);
    expect(second.events.map((e) => e.eventId)).toEqual(['e1']);
  });

  it('keeps at most 4 requests in flight per mailbox while completing stripped items', async () => {
    for (let i = 0; i < 12; i += 1) world.add(`s${i}`, { isOrganizer: undefined });
    world.graphDelayMs = 30;
    const outlook = source();

    const read = await outlook.readChanges(MAILBOX, null, window);

    expect(read.events).toHaveLength(12);
    expect(world.server.received('GET', '/events/')).toHaveLength(12);
    expect(world.maxInFlight).toBeLessThanOrEqual(4);
    expect(world.maxInFlight).toBeGreaterThan(1);
  });

  it('gives up a call that does not answer within requestTimeoutMs', async () => {
    world.add('e1');
    const outlook = source({ requestTimeoutMs: 400, retry: { maxAttempts: 1 } });
    await outlook.readChanges(MAILBOX, null, window);
    world.server.inject({ kind: 'hang', pathIncludes: '/events/' });

    const started = Date.now();
    const failure = await outlook.getEvent(MAILBOX, 'e1').catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(CalendarError);
    expect((failure as Error).message).toMatch(/timed out after 400 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('writes back once (If-Match, Teams body kept, stamp read back with $expand) and clears once', async () => {
    world.add('teams', { body: { contentType: 'html', content: teamsBody() }, location: { displayName: '' } });
    const outlook = source();
    const details = { meetingId: 'mtg-1', meetingNumber: '1111-2222-3333-4444', joinUrl: 'https://meet.example.test/meeting/1111-2222-3333-4444' };
    const etagBefore = world.events.get('teams')!.json['@odata.etag'];

    const first = await outlook.writeJoinDetails(MAILBOX, 'teams', details);
    const second = await outlook.writeJoinDetails(MAILBOX, 'teams', details);

    const patches = world.server.received('PATCH');
    expect(first.changed).toBe(true);
    expect(second.changed).toBe(false);
    expect(patches).toHaveLength(1);
    expect(patches[0]!.headers['if-match']).toBe(etagBefore);
    const stored = world.events.get('teams')!;
    const html = (stored.json.body as { content: string }).content;
    expect(html.startsWith(teamsBody().slice(0, teamsBody().lastIndexOf('</body>')))).toBe(true);
    expect(stored.json.location).toEqual({ displayName: details.joinUrl });
    expect((await outlook.getEvent(MAILBOX, 'teams'))?.stamp).toEqual({ meetingId: 'mtg-1', meetingNumber: '1111-2222-3333-4444' });
    expect(world.server.received('GET', '/events/').every((r) => r.query.$expand === `singleValueExtendedProperties($filter=id eq '${STAMP_PROPERTY_ID}')`)).toBe(true);

    expect((await outlook.clearJoinDetails(MAILBOX, 'teams')).changed).toBe(true);
    expect((await outlook.clearJoinDetails(MAILBOX, 'teams')).changed).toBe(false);
    expect(world.server.received('PATCH')).toHaveLength(2);
    expect((stored.json.body as { content: string }).content).toBe(teamsBody());
    expect((await outlook.getEvent(MAILBOX, 'teams'))?.stamp).toBeUndefined();
  });

  it("refuses to write to an attendee's copy", async () => {
    world.add('invite', { isOrganizer: false, organizer: { emailAddress: { address: 'bob@contoso.test' } } });
    const outlook = source();
    await expect(outlook.writeJoinDetails(MAILBOX, 'invite', { meetingId: 'm', meetingNumber: 'n', joinUrl: 'https://x.test/j' })).rejects.toThrow(/attendee's copy \(organizer bob@contoso\.test\)/);
    expect(world.server.received('PATCH')).toHaveLength(0);
  });
});
