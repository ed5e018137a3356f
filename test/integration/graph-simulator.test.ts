import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { clientAssertion, makeClientCertificate } from '../support/client-certificate.js';
import { accessToken, call, CLIENT, deltaRound, GRAPH_SCOPE, TENANT, tokenRequest, utcEvent } from '../support/graph-client.js';

/**
 * The Microsoft Graph simulator over https with plain fetch (not the Outlook adapter). What is
 * expected comes from Microsoft's pages: the identity platform's client credentials flow, event:
 * delta and delta-query-events / delta-query-overview, event get/update/delete/instances,
 * singleValueLegacyExtendedProperty, errors, throttling and outlook-immutable-id.
 */

const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
const ALICE = 'alice@contoso.example';
const BOB = 'bob@contoso.example';
/** The control methods answer with immutable ids, so the API calls ask for them too. */
const UTC = { prefer: 'outlook.timezone="UTC", IdType="ImmutableId"' };
const WINDOW = 'startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z';
const STAMP = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name meetsyncMeetingId';

let sim: GraphSimulator;
let token: string;

beforeEach(async () => {
  sim = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ALICE, BOB] });
  await sim.start();
  token = await accessToken(sim);
});

afterEach(async () => {
  await sim.stop();
});

const delta = (user = ALICE) => `/users/${user}/calendarView/delta?${WINDOW}`;

describe('identity platform (client credentials)', () => {
  it('issues an opaque bearer token for the right secret and refuses a wrong one with AADSTS7000215', async () => {
    const good = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: GRAPH_SCOPE });
    expect(good.status).toBe(200);
    expect(good.json).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });

    const bad = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: 'wrong', scope: GRAPH_SCOPE });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ error: 'invalid_client', error_codes: [7000215], trace_id: expect.any(String), correlation_id: expect.any(String) });
    expect(bad.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect(JSON.stringify(bad.json)).not.toContain(CLIENT.clientSecret);

    const tenant = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: GRAPH_SCOPE }, 'nope.example');
    expect(tenant.status).toBe(400);
    expect(tenant.json).toMatchObject({ error: 'invalid_request', error_codes: [90002] });

    const scope = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: 'Calendars.ReadWrite' });
    expect(scope.json).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const app = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: 'unknown-app', client_secret: 'x', scope: GRAPH_SCOPE });
    expect(app.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });

    sim.expireClientSecret(CLIENT.clientId);
    const expired = await tokenRequest(sim, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: GRAPH_SCOPE });
    expect(expired.json).toMatchObject({ error: 'invalid_client', error_codes: [7000222] });
  });

  it('accepts a client assertion signed with a certificate registered on the app, and refuses any other with AADSTS700027', async () => {
    const registered = makeClientCertificate();
    const other = makeClientCertificate('not uploaded');
    const app = { tenantId: TENANT, clientId: 'a0c1e2f3-0000-4000-8000-00000000cafe' };
    sim.addClient({ ...app, certificates: [registered.certificatePem] });
    const form = (assertion: string) => ({
      grant_type: 'client_credentials',
      client_id: app.clientId,
      scope: GRAPH_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    const audience = sim.tokenUrl(TENANT);

    const good = await tokenRequest(sim, form(clientAssertion(registered, { clientId: app.clientId, audience })));
    expect(good.status).toBe(200);
    expect(good.json.access_token).toEqual(expect.any(String));
    const listed = await call(sim, good.json.access_token, `/users/${ALICE}/calendarView?${WINDOW}`);
    expect(listed.status).toBe(200);

    const wrongCert = await tokenRequest(sim, form(clientAssertion(other, { clientId: app.clientId, audience })));
    expect(wrongCert.status).toBe(401);
    expect(wrongCert.json).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
    expect(wrongCert.json.error_description).toContain(other.sha256);
    // The right thumbprint with another key's signature.
    const forged = clientAssertion({ ...other, sha256: registered.sha256 }, { clientId: app.clientId, audience });
    expect((await tokenRequest(sim, form(forged))).json).toMatchObject({ error_codes: [700027] });
    const elsewhere = await tokenRequest(sim, form(clientAssertion(registered, { clientId: app.clientId, audience: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' })));
    expect(elsewhere.json).toMatchObject({ error: 'invalid_client', error_codes: [700023] });
    const expired = await tokenRequest(sim, form(clientAssertion(registered, { clientId: app.clientId, audience, expiresInSeconds: -3600 })));
    expect(expired.json).toMatchObject({ error_codes: [700024] });
    // No secret: a secret is refused, and the assertion type is required.
    expect((await tokenRequest(sim, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: 'guess', scope: GRAPH_SCOPE })).json).toMatchObject({ error_codes: [7000215] });
    const untyped = await tokenRequest(sim, { ...form(clientAssertion(registered, { clientId: app.clientId, audience })), client_assertion_type: 'jwt' });
    expect(untyped.status).toBe(400);
  });

  it('serves the discovery documents MSAL reads, pointing back at the simulator', async () => {
    const authority = sim.authority(TENANT);
    const config: any = await (await fetch(`${authority}/v2.0/.well-known/openid-configuration`)).json();
    expect(config).toMatchObject({
      token_endpoint: sim.tokenUrl(TENANT),
      issuer: `${authority}/v2.0`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
    });
    expect((await fetch(config.jwks_uri)).status).toBe(200);
    const query = new URLSearchParams({ 'api-version': '1.1', authorization_endpoint: `${authority}/oauth2/v2.0/authorize` });
    const instance: any = await (await fetch(`${sim.url}/common/discovery/instance?${query}`)).json();
    expect(instance).toEqual({
      tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: sim.authorityHost, preferred_cache: sim.authorityHost, aliases: [sim.authorityHost] }],
    });
    const unknown = await fetch(`${sim.url}/nope.example/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error_codes).toEqual([90002]);
  });
});

describe('authentication and addressing', () => {
  it('requires a live bearer token and answers in Graph’s error envelope', async () => {
    const none = await call(sim, null, `/users/${ALICE}/events`, { headers: { 'client-request-id': 'req-1' } });
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    expect(none.json.error.innerError).toEqual({ date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), 'request-id': expect.any(String), 'client-request-id': 'req-1' });
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await call(sim, 'made-up', `/users/${ALICE}/events`)).status).toBe(401);
    expect((await call(sim, token, `/users/${ALICE}/events`)).status).toBe(200);
    sim.expireAccessTokens();
    const expired = await call(sim, token, `/users/${ALICE}/events`);
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toBe('Lifetime validation failed, the token is expired.');
    expect((await call(sim, await accessToken(sim), `/users/${ALICE}/events`)).status).toBe(200);
  });

  it('answers /me with 400 for app-only tokens, unknown users with 404, unknown paths with a 400 naming them', async () => {
    const me = await call(sim, token, '/me/events');
    expect(me.status).toBe(400);
    expect(me.json.error.message).toBe('/me request is only valid with delegated authentication flow.');
    expect((await call(sim, token, '/users/nobody@contoso.example/events')).json.error.code).toBe('ErrorInvalidUser');
    const { id } = sim.addMailbox('carol@contoso.example');
    expect((await call(sim, token, `/users/${id}/events`)).status).toBe(200);
    const unknown = await call(sim, token, `/users/${ALICE}/contacts`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('BadRequest');
    expect(unknown.json.error.message).toContain("segment 'contacts'");
    expect(unknown.json.error.message).toContain(`/v1.0/users/${ALICE}/contacts`);
    const filtered = await call(sim, token, `/users/${ALICE}/events?$filter=${encodeURIComponent("subject eq 'x'")}`);
    expect(filtered.status).toBe(400);
    expect(filtered.json.error.message).toContain('$filter');
    const outside = await fetch(`${sim.url}/beta/users/${ALICE}/events`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as any).error.message).toContain('/beta/users/');
  });

  it('refuses writes to an app granted only Calendars.Read', async () => {
    sim.addClient({ tenantId: TENANT, clientId: 'reader', clientSecret: 'r', roles: ['Calendars.Read'] });
    const reader = (await tokenRequest(sim, { grant_type: 'client_credentials', client_id: 'reader', client_secret: 'r', scope: GRAPH_SCOPE })).json.access_token;
    expect((await call(sim, reader, `/users/${ALICE}/events`)).status).toBe(200);
    const write = await call(sim, reader, `/users/${ALICE}/events`, { method: 'POST', body: utcEvent('x', 7) });
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('ErrorAccessDenied');
  });

  it('keeps an app inside its application access policy, checked on every call, also through /_sim/', async () => {
    const carol = sim.addMailbox('carol@contoso.example');
    sim.setApplicationAccessPolicy(CLIENT.clientId, { accessRight: 'RestrictAccess', mailboxes: [ALICE] });
    expect((await call(sim, token, `/users/${ALICE}/events`)).status).toBe(200);
    const outside = await call(sim, token, `/users/${carol.id}/events`);
    expect(outside.status).toBe(403);
    // auth-limit-mailbox-access.md, "Handling API errors".
    expect(outside.json.error).toMatchObject({ code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' });

    const deny = await fetch(`${sim.url}/_sim/access-policies/${CLIENT.clientId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessRight: 'DenyAccess', mailboxes: [ALICE] }),
    });
    expect(deny.status).toBe(204);
    expect((await call(sim, token, `/users/${ALICE}/events`)).status).toBe(403);
    expect((await call(sim, token, '/users/carol@contoso.example/events')).status).toBe(200);

    expect((await fetch(`${sim.url}/_sim/access-policies/${CLIENT.clientId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(sim, token, `/users/${ALICE}/events`)).status).toBe(200);
  });
});

describe('calendarView delta', () => {
  it('pages the first round by odata.maxpagesize to a deltaLink that carries the window', async () => {
    const ids = [3, 4, 5, 6, 7].map((d) => sim.userInsert(ALICE, utcEvent(`meeting ${d}`, d)).id);
    sim.userInsert(ALICE, { ...utcEvent('outside', 7), start: { dateTime: '2030-03-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-03-01T10:00:00', timeZone: 'UTC' } });
    const round = await deltaRound(sim, token, delta(), { prefer: 'odata.maxpagesize=2, outlook.timezone="UTC", IdType="ImmutableId"' });
    expect(round.pages.map((p) => p.value.length)).toEqual([2, 2, 1]);
    for (const page of round.pages.slice(0, -1)) {
      expect(page['@odata.nextLink']).toMatch(new RegExp(`^${sim.graphBaseUrl}/users/${ALICE}/calendarView/delta\\?\\$skiptoken=[\\w-]+$`));
      expect(page['@odata.deltaLink']).toBeUndefined();
    }
    expect(round.deltaLink).toMatch(/\/calendarView\/delta\?\$deltatoken=[\w-]+$/);
    expect(round.items.map((i) => i.id)).toEqual(ids);
    expect(round.items[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.event',
      type: 'singleInstance',
      subject: 'meeting 3',
      isOrganizer: true,
      start: { dateTime: '2030-01-03T09:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2030-01-03T10:00:00.0000000', timeZone: 'UTC' },
      organizer: { emailAddress: { address: ALICE } },
    });
    expect(round.items[0]).not.toHaveProperty('singleValueExtendedProperties');
    const first = await call(sim, token, delta(), { headers: { prefer: 'odata.maxpagesize=2' } });
    expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    expect(first.json['@odata.context']).toBe(`${sim.graphBaseUrl}/$metadata#Collection(event)`);
  });

  it('returns only changes in the next round: updates, creations, and @removed for deletions and items outside the window', async () => {
    const kept = sim.userInsert(ALICE, utcEvent('kept', 3));
    const edited = sim.userInsert(ALICE, utcEvent('edited', 4));
    const gone = sim.userInsert(ALICE, utcEvent('gone', 5));
    const leaving = sim.userInsert(ALICE, utcEvent('leaving', 6));
    const first = await deltaRound(sim, token, delta(), UTC);
    expect(first.items).toHaveLength(4);

    sim.userPatch(ALICE, edited.id, { subject: 'edited in Outlook' });
    sim.userDelete(ALICE, gone.id);
    sim.userPatch(ALICE, leaving.id, { start: { dateTime: '2030-05-06T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-05-06T10:00:00', timeZone: 'UTC' } });
    const added = sim.userInsert(ALICE, utcEvent('added', 8));
    const far = sim.userInsert(ALICE, { ...utcEvent('far away', 8), start: { dateTime: '2031-01-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-01-01T10:00:00', timeZone: 'UTC' } });

    const second = await deltaRound(sim, token, first.deltaLink, UTC);
    const byId = new Map(second.items.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([edited.id, gone.id, leaving.id, added.id, far.id].sort());
    expect(byId.has(kept.id)).toBe(false);
    expect(byId.get(edited.id)).toMatchObject({ subject: 'edited in Outlook' });
    for (const id of [gone.id, leaving.id, far.id]) {
      expect(byId.get(id)).toEqual({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
    }
    const third = await deltaRound(sim, token, second.deltaLink, UTC);
    expect(third.items).toEqual([]);
    expect(third.deltaLink).not.toBe(second.deltaLink);
  });

  it('answers an expired token with 410 syncStateNotFound and a Location of the initial query', async () => {
    sim.userInsert(ALICE, utcEvent('one', 3));
    const { deltaLink } = await deltaRound(sim, token, delta(), UTC);
    sim.expireDeltaTokens(ALICE);
    const gone = await call(sim, token, deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.json.error).toMatchObject({ code: 'syncStateNotFound' });
    expect(gone.headers.get('location')).toBe(`${sim.graphBaseUrl}/users/${ALICE}/calendarView/delta?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z`);
    const fresh = await deltaRound(sim, token, gone.headers.get('location')!, UTC);
    expect(fresh.items).toHaveLength(1);
    sim.injectDeltaGone(1, ALICE);
    expect((await call(sim, token, fresh.deltaLink)).status).toBe(410);
    expect((await call(sim, token, fresh.deltaLink)).status).toBe(200);
  });

  it('refuses $select, $expand and $filter on delta and asks for the window', async () => {
    for (const option of ['$select=subject', `$expand=singleValueExtendedProperties($filter=id eq '${STAMP}')`, "$filter=subject eq 'x'"]) {
      const answer = await call(sim, token, `${delta()}&${option}`);
      expect(answer.status, option).toBe(400);
    }
    const noWindow = await call(sim, token, `/users/${ALICE}/calendarView/delta`);
    expect(noWindow.status).toBe(400);
    expect(noWindow.json.error.message).toContain('StartDateTime and EndDateTime');
  });

  it('can strip occurrences to id/type/start/end/seriesMasterId and replay items within and across rounds', async () => {
    const series = sim.userInsert(ALICE, weeklySeries());
    const single = sim.userInsert(ALICE, utcEvent('single', 3));
    sim.injectStrippedDelta(ALICE);
    const stripped = await deltaRound(sim, token, delta(), UTC);
    const occurrence = stripped.items.find((i) => i.type === 'occurrence');
    expect(Object.keys(occurrence).sort()).toEqual(['@odata.type', 'end', 'id', 'seriesMasterId', 'start', 'type']);
    expect(occurrence.seriesMasterId).toBe(series.id);
    expect(stripped.items.find((i) => i.id === single.id)).toHaveProperty('subject', 'single');

    sim.injectDeltaReplay(ALICE, 'within-round');
    const replayed = await deltaRound(sim, token, delta(), { prefer: 'odata.maxpagesize=3, outlook.timezone="UTC"' });
    const counts = new Map<string, number>();
    for (const item of replayed.items) counts.set(item.id, (counts.get(item.id) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);

    sim.userPatch(ALICE, single.id, { subject: 'changed' });
    const changed = await deltaRound(sim, token, replayed.deltaLink, UTC);
    expect(changed.items.map((i) => i.id)).toEqual([single.id]);
    sim.injectDeltaReplay(ALICE, 'next-round');
    const again = await deltaRound(sim, token, changed.deltaLink, UTC);
    expect(again.items.map((i) => i.id)).toEqual([single.id]);
    expect(again.items[0].subject).toBe('changed');
  });

  it('keeps immutable ids across a move, while the REST id changes', async () => {
    const event = sim.userInsert(ALICE, utcEvent('movable', 3));
    const immutable = { prefer: 'IdType="ImmutableId"' };
    const rest = sim.restIdOf(ALICE, event.id);
    expect(event.id).toMatch(/^AAkALg/);
    expect(rest).toMatch(/^AAMkA/);
    const before = await deltaRound(sim, token, delta());
    expect(before.items[0].id).toBe(rest);
    const beforeImmutable = await deltaRound(sim, token, delta(), immutable);
    sim.userMoveEvent(ALICE, event.id);
    expect((await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(rest)}`)).json.error.code).toBe('ErrorItemNotFound');
    const got = await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(event.id)}`, { headers: immutable });
    expect(got.json.id).toBe(event.id);
    expect(got.headers.get('preference-applied')).toBe('IdType="ImmutableId"');
    expect((await deltaRound(sim, token, beforeImmutable.deltaLink, immutable)).items).toEqual([]);
    const afterRest = await deltaRound(sim, token, before.deltaLink);
    expect(afterRest.items.map((i) => [i.id, i['@removed'] ? 'removed' : 'item']).sort()).toEqual(
      [[rest, 'removed'], [sim.restIdOf(ALICE, event.id), 'item']].sort(),
    );
  });
});

describe('calendars and Deleted Items', () => {
  // An item deleted in Outlook moves to Deleted Items (learn.microsoft.com/office/vba/api/outlook.appointmentitem.delete);
  // its immutable id does not change on a move within the mailbox (learn.microsoft.com/graph/outlook-immutable-id);
  // /calendar/events/{id} and /calendars/{id}/events/{id} name an event of that calendar (event-get.md).
  const immutable = { headers: UTC };
  const get = (path: string) => call(sim, token, path, immutable);

  it('lists the mailbox calendars, the default one first, and serves /calendar and /calendars/{id}', async () => {
    const projects = sim.addCalendar(ALICE, 'Projects');
    const list = await get(`/users/${ALICE}/calendars`);
    expect(list.status).toBe(200);
    expect(list.json.value.map((c: { name: string; isDefaultCalendar: boolean }) => [c.name, c.isDefaultCalendar])).toEqual([['Calendar', true], ['Projects', false]]);
    expect((await get(`/users/${ALICE}/calendar`)).json).toMatchObject({ name: 'Calendar', isDefaultCalendar: true });
    expect((await get(`/users/${ALICE}/calendars/${encodeURIComponent(projects.id)}`)).json).toMatchObject({ id: projects.id, name: 'Projects' });
    expect((await get(`/users/${ALICE}/calendars/nope`)).json.error.code).toBe('ErrorItemNotFound');
  });

  it('moves a deleted event to Deleted Items: gone from the calendar and its delta, still answering /events/{id}', async () => {
    const event = sim.userInsert(ALICE, utcEvent('deleted in Outlook', 3));
    const first = await deltaRound(sim, token, delta(), UTC);
    expect(first.items.map((i) => i.id)).toEqual([event.id]);

    sim.userDelete(ALICE, event.id, { mode: 'deleted-items' });

    const byId = await get(`/users/${ALICE}/events/${encodeURIComponent(event.id)}`);
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({ id: event.id, subject: 'deleted in Outlook', isCancelled: false });
    expect((await get(`/users/${ALICE}/calendar/events/${encodeURIComponent(event.id)}`)).json.error.code).toBe('ErrorItemNotFound');
    const primary = sim.folders(ALICE).calendars[0]!.id;
    expect((await get(`/users/${ALICE}/calendars/${encodeURIComponent(primary)}/events/${encodeURIComponent(event.id)}`)).status).toBe(404);
    expect((await get(`/users/${ALICE}/calendarView?${WINDOW}`)).json.value).toEqual([]);
    expect((await get(`/users/${ALICE}/events`)).json.value).toEqual([]);
    const second = await deltaRound(sim, token, first.deltaLink, UTC);
    expect(second.items).toEqual([{ '@odata.type': '#microsoft.graph.event', id: event.id, '@removed': { reason: 'deleted' } }]);

    // Deleting it again, from Deleted Items, removes it for good.
    sim.userDelete(ALICE, event.id, { mode: 'deleted-items' });
    expect((await get(`/users/${ALICE}/events/${encodeURIComponent(event.id)}`)).json.error.code).toBe('ErrorItemNotFound');
  });

  it('moves an event to another calendar of the mailbox: it answers there and by /events/{id}, not in the default calendar', async () => {
    const projects = sim.addCalendar(ALICE, 'Projects');
    const event = sim.userInsert(ALICE, utcEvent('moved to Projects', 3));
    const first = await deltaRound(sim, token, delta(), UTC);

    sim.userMoveEventTo(ALICE, event.id, projects.id);

    expect((await get(`/users/${ALICE}/events/${encodeURIComponent(event.id)}`)).json.id).toBe(event.id);
    expect((await get(`/users/${ALICE}/calendars/${encodeURIComponent(projects.id)}/events/${encodeURIComponent(event.id)}`)).json.id).toBe(event.id);
    expect((await get(`/users/${ALICE}/calendar/events/${encodeURIComponent(event.id)}`)).status).toBe(404);
    expect((await get(`/users/${ALICE}/calendars/${encodeURIComponent(projects.id)}/calendarView?${WINDOW}`)).json.value.map((e: { id: string }) => e.id)).toEqual([event.id]);
    const second = await deltaRound(sim, token, first.deltaLink, UTC);
    expect(second.items).toEqual([{ '@odata.type': '#microsoft.graph.event', id: event.id, '@removed': { reason: 'deleted' } }]);
  });
});

describe('throttling', () => {
  it('answers injected 429 and 503 with Retry-After, then serves again', async () => {
    sim.injectThrottle(1, { retryAfterSeconds: 7 });
    const throttled = await call(sim, token, `/users/${ALICE}/events`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.json.error.code).toBe('TooManyRequests');
    sim.injectThrottle(1, { status: 503, retryAfterSeconds: 2, mailbox: BOB });
    expect((await call(sim, token, `/users/${ALICE}/events`)).status).toBe(200);
    const unavailable = await call(sim, token, `/users/${BOB}/events`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('2');
    expect((await call(sim, token, `/users/${BOB}/events`)).status).toBe(200);
  });

  it('counts concurrent requests per mailbox and answers 429 ApplicationThrottled beyond 4', async () => {
    sim.setLatency(150);
    const four = await Promise.all([1, 2, 3, 4].map(() => call(sim, token, `/users/${ALICE}/events`)));
    expect(four.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(sim.concurrency(ALICE)).toEqual({ inFlight: 0, max: 4 });
    const six = await Promise.all([1, 2, 3, 4, 5, 6].map(() => call(sim, token, `/users/${ALICE}/events`)));
    expect(six.filter((a) => a.status === 429)).toHaveLength(2);
    const refused = six.find((a) => a.status === 429)!;
    expect(refused.json.error).toMatchObject({ code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' });
    expect(refused.headers.get('retry-after')).toBe('1');
    // The refused requests leave at once, so the record is at least the 5th arrival.
    expect(sim.concurrency(ALICE).max).toBeGreaterThan(4);
    expect(sim.concurrency(BOB).max).toBe(0);
  });
});

describe('events', () => {
  it('returns the extended property only when $expand asks for it, and PATCH writes it', async () => {
    const event = sim.userInsert(ALICE, utcEvent('stamped', 3));
    const path = `/users/${ALICE}/events/${encodeURIComponent(event.id)}`;
    const patched = await call(sim, token, path, { method: 'PATCH', body: { singleValueExtendedProperties: [{ id: STAMP, value: 'meeting-42' }] } });
    expect(patched.status).toBe(200);
    expect(patched.json).not.toHaveProperty('singleValueExtendedProperties');
    expect((await call(sim, token, path)).json).not.toHaveProperty('singleValueExtendedProperties');
    const expand = (id: string) => `${path}?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${id}')`)}`;
    expect((await call(sim, token, expand(STAMP))).json.singleValueExtendedProperties).toEqual([{ id: STAMP, value: 'meeting-42' }]);
    // The GUID compares case-insensitively; the Name does not (singlevaluelegacyextendedproperty-get.md).
    expect((await call(sim, token, expand(STAMP.toUpperCase().replace('NAME MEETSYNCMEETINGID', 'Name meetsyncMeetingId')))).json.singleValueExtendedProperties).toHaveLength(1);
    expect((await call(sim, token, expand(STAMP.replace('meetsyncMeetingId', 'MEETSYNCMEETINGID')))).json.singleValueExtendedProperties).toEqual([]);
    const selected = await call(sim, token, `${expand(STAMP)}&$select=subject`);
    expect(Object.keys(selected.json).sort()).toEqual(['@odata.context', '@odata.etag', 'id', 'singleValueExtendedProperties', 'subject'].sort());
  });

  it('counts every API PATCH of an organizer’s meeting as an attendee notification, and returns bodies as HTML', async () => {
    const meeting = sim.userInsert(ALICE, utcEvent('planning', 3, 9, { attendees: [{ emailAddress: { address: BOB, name: 'Bob' }, type: 'required' }] }));
    const path = `/users/${ALICE}/events/${encodeURIComponent(meeting.id)}`;
    const patched = await call(sim, token, path, { method: 'PATCH', body: { body: { contentType: 'text', content: 'Join: https://meet.example/1' } } });
    expect(patched.json.body.contentType).toBe('html');
    expect(patched.json.body.content).toMatch(/^<html>\r\n<head>[\s\S]*<body>[\s\S]*Join: https:\/\/meet\.example\/1[\s\S]*<\/html>\r\n$/);
    expect(patched.json.bodyPreview).toBe('Join: https://meet.example/1');
    const text = await call(sim, token, path, { headers: { prefer: 'outlook.body-content-type="text"' } });
    expect(text.json.body).toEqual({ contentType: 'text', content: 'Join: https://meet.example/1' });
    await call(sim, token, path);
    sim.userPatch(ALICE, meeting.id, { subject: 'renamed by Alice in Outlook' });
    expect(sim.notifications(ALICE, meeting.id)).toEqual([{ kind: 'update', at: expect.any(Number), properties: ['body'], recipients: [BOB] }]);
    const stale = await call(sim, token, path, { method: 'PATCH', body: { subject: 'x' }, headers: { 'if-match': patched.json['@odata.etag'] } });
    expect(stale.status).toBe(412);
    expect(sim.notifications(ALICE, meeting.id)).toHaveLength(1);
  });

  it('puts a copy with isOrganizer false in an invited mailbox and sends the organizer’s changes to it', async () => {
    const created = await call(sim, token, `/users/${ALICE}/events`, {
      method: 'POST',
      body: utcEvent('review', 4, 14, { attendees: [{ emailAddress: { address: BOB } }], categories: ['Blue category'] }),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ isOrganizer: true, organizer: { emailAddress: { address: ALICE } } });
    const [copy] = sim.events(BOB);
    expect(copy).toMatchObject({ isOrganizer: false, iCalUId: created.json.iCalUId, subject: 'review', categories: [], responseStatus: { response: 'notResponded' } });
    expect(copy!.id).not.toBe(sim.getEvent(ALICE, created.json.id)!.id);
    await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(created.json.id)}`, { method: 'PATCH', body: { subject: 'review, moved' } });
    expect(sim.getEvent(BOB, copy!.id)!.subject).toBe('review, moved');
    const bobDelta = await deltaRound(sim, token, delta(BOB), UTC);
    expect(bobDelta.items).toMatchObject([{ subject: 'review, moved', isOrganizer: false }]);
    expect((await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(created.json.id)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(created.json.id)}`)).json.error.code).toBe('ErrorItemNotFound');
    expect(sim.getEvent(BOB, copy!.id)).toMatchObject({ isCancelled: true, subject: 'Canceled: review, moved' });

    const invitation = sim.userInsert(BOB, utcEvent('from outside', 5, 9, { organizer: { emailAddress: { address: 'zoe@fabrikam.example' } }, attendees: [{ emailAddress: { address: ALICE } }] }));
    expect(invitation).toMatchObject({ isOrganizer: false, organizer: { emailAddress: { address: 'zoe@fabrikam.example' } }, responseStatus: { response: 'notResponded' } });
    expect(sim.events(ALICE).some((e) => e.subject === 'from outside')).toBe(false);
  });

  it('gives start/end in the Prefer time zone, else UTC, and keeps the original zone', async () => {
    const event = sim.userInsert(ALICE, {
      subject: 'Orientation',
      start: { dateTime: '2030-01-15T10:00:00', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2030-01-15T12:00:00', timeZone: 'Pacific Standard Time' },
    });
    const path = `/users/${ALICE}/events/${encodeURIComponent(event.id)}`;
    const pacific = await call(sim, token, path, { headers: { prefer: 'outlook.timezone="Pacific Standard Time"' } });
    expect(pacific.json.start).toEqual({ dateTime: '2030-01-15T10:00:00.0000000', timeZone: 'Pacific Standard Time' });
    expect(pacific.headers.get('preference-applied')).toBe('outlook.timezone="Pacific Standard Time"');
    const utc = await call(sim, token, path);
    expect(utc.json.start).toEqual({ dateTime: '2030-01-15T18:00:00.0000000', timeZone: 'UTC' });
    expect(utc.json).toMatchObject({ originalStartTimeZone: 'Pacific Standard Time', originalEndTimeZone: 'Pacific Standard Time' });
    const berlin = await call(sim, token, path, { headers: { prefer: 'outlook.timezone="Europe/Berlin"' } });
    expect(berlin.json.start).toEqual({ dateTime: '2030-01-15T19:00:00.0000000', timeZone: 'Europe/Berlin' });
    const bad = await call(sim, token, `/users/${ALICE}/events`, { method: 'POST', body: { ...utcEvent('x', 3), start: { dateTime: '2030-01-03T09:00:00', timeZone: 'Mars/Olympus' } } });
    expect(bad.json.error.code).toBe('TimeZoneNotSupportedException');
    const noZone = await call(sim, token, `/users/${ALICE}/events`, { method: 'POST', body: { ...utcEvent('x', 3), end: { dateTime: '2030-01-03T10:00:00' } } });
    expect(noZone.json.error.code).toBe('TimeZoneNotSupportedException');
    const badPrefer = await call(sim, token, path, { headers: { prefer: 'outlook.timezone="Mars Standard Time"' } });
    expect(badPrefer.status).toBe(400);
    expect(badPrefer.json.error.code).toBe('TimeZoneNotSupportedException');
    const typo = await call(sim, token, `/users/${ALICE}/events`, { method: 'POST', body: { ...utcEvent('x', 3), subjet: 'typo' } });
    expect(typo.json.error.code).toBe('RequestBodyRead');
  });
});

describe('all-day events and the zone without a Prefer header', () => {
  it('keeps all-day events at midnight in any zone and refuses one that does not start at midnight', async () => {
    const day = sim.userInsert(ALICE, {
      subject: 'Offsite',
      isAllDay: true,
      start: { dateTime: '2030-01-10T00:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2030-01-12T00:00:00', timeZone: 'W. Europe Standard Time' },
    });
    const path = `/users/${ALICE}/events/${encodeURIComponent(day.id)}`;
    for (const zone of ['UTC', 'Pacific Standard Time']) {
      const got = await call(sim, token, path, { headers: { prefer: `outlook.timezone="${zone}"` } });
      expect(got.json).toMatchObject({ isAllDay: true, start: { dateTime: '2030-01-10T00:00:00.0000000', timeZone: zone }, end: { dateTime: '2030-01-12T00:00:00.0000000', timeZone: zone } });
    }
    const notMidnight = await call(sim, token, `/users/${ALICE}/events`, { method: 'POST', body: { ...utcEvent('x', 3), isAllDay: true } });
    expect(notMidnight.status).toBe(400);
  });

  it('answers in the event’s own zone without a Prefer header when told to (zoneWithoutPreference: original)', async () => {
    const local = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ALICE], zoneWithoutPreference: 'original' });
    await local.start();
    try {
      const event = local.userInsert(ALICE, {
        subject: 'local',
        start: { dateTime: '2030-01-15T10:00:00', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2030-01-15T11:00:00', timeZone: 'Pacific Standard Time' },
      });
      const got = await call(local, await accessToken(local), `/users/${ALICE}/events/${encodeURIComponent(event.id)}`);
      expect(got.json.start).toEqual({ dateTime: '2030-01-15T10:00:00.0000000', timeZone: 'Pacific Standard Time' });
    } finally {
      await local.stop();
    }
  });
});

function weeklySeries(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Weekly sync',
    start: { dateTime: '2030-01-07T09:00:00', timeZone: 'Pacific Standard Time' },
    end: { dateTime: '2030-01-07T09:30:00', timeZone: 'Pacific Standard Time' },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' },
      range: { type: 'endDate', startDate: '2030-01-07', endDate: '2030-04-29', recurrenceTimeZone: 'Pacific Standard Time' },
    },
    ...extra,
  };
}

describe('recurring series', () => {
  it('serves the master by id, occurrences and exceptions in calendarView, and instances', async () => {
    const series = sim.userInsert(ALICE, weeklySeries());
    const exception = sim.userEditOccurrence(ALICE, series.id, '2030-01-14', { subject: 'Weekly sync (moved)', start: { dateTime: '2030-01-15T09:00:00', timeZone: 'Pacific Standard Time' }, end: { dateTime: '2030-01-15T09:30:00', timeZone: 'Pacific Standard Time' } });
    sim.userCancelOccurrence(ALICE, series.id, '2030-01-21');

    const master = await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(series.id)}`, { headers: { prefer: 'IdType="ImmutableId"' } });
    expect(master.json).toMatchObject({ type: 'seriesMaster', seriesMasterId: null, recurrence: { pattern: { type: 'weekly', daysOfWeek: ['monday'], index: 'first', month: 0, dayOfMonth: 0 }, range: { type: 'endDate', endDate: '2030-04-29', numberOfOccurrences: 0 } } });

    const round = await deltaRound(sim, token, delta(), { prefer: 'outlook.timezone="UTC", IdType="ImmutableId"' });
    expect(round.items.some((i) => i.type === 'seriesMaster')).toBe(false);
    expect(round.items.map((i) => [i.type, i.start.dateTime])).toEqual([
      ['occurrence', '2030-01-07T17:00:00.0000000'],
      ['exception', '2030-01-15T17:00:00.0000000'],
      ['occurrence', '2030-01-28T17:00:00.0000000'],
    ]);
    expect(round.items.every((i) => i.seriesMasterId === series.id && i.recurrence === null)).toBe(true);
    expect(round.items[1]).toMatchObject({ id: exception.id, subject: 'Weekly sync (moved)', originalStart: '2030-01-14T17:00:00Z' });

    const instances = await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(series.id)}/instances?startDateTime=2030-03-01T00:00:00Z&endDateTime=2030-04-01T00:00:00Z`, { headers: { prefer: 'outlook.timezone="UTC"' } });
    // 09:00 Pacific is 17:00 UTC until the US DST change on 10 March 2030, 16:00 after.
    expect(instances.json.value.map((i: any) => i.start.dateTime)).toEqual(['2030-03-04T17:00:00.0000000', '2030-03-11T16:00:00.0000000', '2030-03-18T16:00:00.0000000', '2030-03-25T16:00:00.0000000']);
    const cancelled = sim.occurrenceId(ALICE, series.id, '2030-01-28');
    expect((await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(cancelled)}`)).json.type).toBe('occurrence');
    await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(cancelled)}`, { method: 'DELETE' });
    expect((await call(sim, token, `/users/${ALICE}/events/${encodeURIComponent(cancelled)}`)).status).toBe(404);
    const next = await deltaRound(sim, token, round.deltaLink, { prefer: 'IdType="ImmutableId"' });
    expect(next.items).toEqual([{ '@odata.type': '#microsoft.graph.event', id: cancelled, '@removed': { reason: 'deleted' } }]);
  });

  it('expands monthly and yearly patterns, the last weekday and numbered ranges', async () => {
    const make = (subject: string, start: string, pattern: Record<string, unknown>, range: Record<string, unknown>) =>
      sim.userInsert(ALICE, {
        subject,
        start: { dateTime: `${start}T12:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${start}T13:00:00`, timeZone: 'UTC' },
        recurrence: { pattern: { interval: 1, ...pattern }, range: { startDate: start, ...range } },
      });
    make('last friday', '2030-01-25', { type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' }, { type: 'noEnd' });
    make('day 31', '2030-01-31', { type: 'absoluteMonthly', dayOfMonth: 31 }, { type: 'numbered', numberOfOccurrences: 3 });
    make('yearly', '2030-02-01', { type: 'absoluteYearly', dayOfMonth: 1, month: 2 }, { type: 'noEnd' });
    make('2nd tue/wed', '2030-01-01', { type: 'relativeMonthly', daysOfWeek: ['tuesday', 'wednesday'], index: 'second' }, { type: 'endDate', endDate: '2030-03-31' });
    const view = await call(sim, token, `/users/${ALICE}/calendarView?startDateTime=2030-01-01T00:00:00Z&endDateTime=2031-03-01T00:00:00Z&$top=50`, { headers: UTC });
    const dates = (subject: string) => view.json.value.filter((i: any) => i.subject === subject).map((i: any) => i.start.dateTime.slice(0, 10));
    expect(dates('last friday').slice(0, 3)).toEqual(['2030-01-25', '2030-02-22', '2030-03-29']);
    expect(dates('day 31')).toEqual(['2030-01-31', '2030-02-28', '2030-03-31']);
    expect(dates('yearly')).toEqual(['2030-02-01', '2031-02-01']);
    expect(dates('2nd tue/wed')).toEqual(['2030-01-08', '2030-02-12', '2030-03-12']);
    const invalid = await call(sim, token, `/users/${ALICE}/events`, { method: 'POST', body: { ...utcEvent('bad', 3), recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd', startDate: '2030-01-03' } } } });
    expect(invalid.status).toBe(400);
  });
});

describe('control endpoints (/_sim/)', () => {
  it('seeds mailboxes and events, acts as the user, and reads notifications over HTTP', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}/_sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('mailboxes/dave@contoso.example', { displayName: 'Dave' })).status).toBe(201);
    const created: any = await (await post('mailboxes/dave@contoso.example/events', utcEvent('from control', 9))).json();
    expect(created).toMatchObject({ subject: 'from control', organizer: { emailAddress: { name: 'Dave', address: 'dave@contoso.example' } } });
    const listed: any = await (await fetch(`${sim.url}/_sim/mailboxes/dave@contoso.example/events`)).json();
    expect(listed.map((e: any) => e.id)).toEqual([created.id]);
    expect((await post(`mailboxes/dave@contoso.example/events/${encodeURIComponent(created.id)}/move`, {})).status).toBe(204);
    expect((await post('throttle', { count: 1, status: 503, retryAfterSeconds: 3 })).status).toBe(204);
    expect((await call(sim, token, '/users/dave@contoso.example/events')).status).toBe(503);
    const notifications = await fetch(`${sim.url}/_sim/mailboxes/dave@contoso.example/events/${encodeURIComponent(created.id)}/notifications`);
    expect(await notifications.json()).toEqual([]);
    const wrong = await post('nothing-here', {});
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as any).error).toContain('known:');
    expect(sim.server.received('GET', '/users/dave@contoso.example/events')).toHaveLength(1);
  });
});
