import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { accessToken, call, CLIENT, GRAPH_SCOPE, TENANT, tokenRequest, utcEvent } from '../support/graph-client.js';
import { until, WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The Graph simulator's change notifications, driven with plain HTTP: the API over https with
 * fetch, and a node:http receiver on loopback as the subscriber's endpoint. What is expected comes
 * from learn.microsoft.com/graph: change-notifications-delivery-webhooks (validation handshake,
 * notification body, retries), change-notifications-lifecycle-events, api/resources/subscription
 * (10,080 minutes at most for Outlook events) and outlook-immutable-id.
 */

const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
const ALICE = 'alice@contoso.example';
const BOB = 'bob@contoso.example';
const CLIENT_STATE = 'secret-client-state-9f1c';
const MINUTE = 60_000;

let sim: GraphSimulator;
let receiver: WebhookReceiver;
let token: string;

beforeEach(async () => {
  sim = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ALICE, BOB], notifications: { retryDelaysMs: [50, 100], validationTimeoutMs: 1_000 } });
  await sim.start();
  receiver = new WebhookReceiver();
  await receiver.start();
  token = await accessToken(sim);
});

afterEach(async () => {
  await sim.stop();
  await receiver.stop();
});

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * MINUTE).toISOString();

function subscribe(fields: Record<string, unknown> = {}, headers: Record<string, string> = { prefer: 'IdType="ImmutableId"' }) {
  return call(sim, token, '/subscriptions', {
    method: 'POST',
    headers,
    body: {
      changeType: 'created,updated,deleted',
      notificationUrl: `${receiver.url}/notify`,
      lifecycleNotificationUrl: `${receiver.url}/lifecycle`,
      resource: `/users/${ALICE}/events`,
      expirationDateTime: inMinutes(60),
      clientState: CLIENT_STATE,
      ...fields,
    },
  });
}

async function subscribed(fields: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<string> {
  const created = await subscribe(fields, headers);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return created.json.id as string;
}

const allNotifications = (path = '/notify') => receiver.notifications(path).flatMap((body) => body.value as any[]);

describe('Graph change notifications: subscriptions', () => {
  it('validates both endpoints with a URL-encoded token echoed as text/plain before answering 201', async () => {
    const created = await subscribe();

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.any(String),
      resource: `/users/${ALICE}/events`,
      changeType: 'created,updated,deleted',
      clientState: CLIENT_STATE,
      notificationUrl: `${receiver.url}/notify`,
      lifecycleNotificationUrl: `${receiver.url}/lifecycle`,
      applicationId: CLIENT.clientId,
    });
    const [notify, lifecycle] = [receiver.validations('/notify'), receiver.validations('/lifecycle')];
    expect(notify).toHaveLength(1);
    expect(lifecycle).toHaveLength(1);
    expect(notify[0]!.method).toBe('POST');
    expect(notify[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
    // Opaque, with characters that must be URL-decoded before the echo.
    expect(notify[0]!.query.get('validationToken')).toMatch(/\s/);
    const listed = await call(sim, token, '/subscriptions');
    expect(listed.json.value.map((s: any) => s.id)).toEqual([created.json.id]);
  });

  it('refuses a subscription beyond the active ones a mailbox may have, with 403; an expired one frees its place', async () => {
    await sim.stop();
    sim = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ALICE, BOB], notifications: { maxSubscriptionsPerMailbox: 2 } });
    await sim.start();
    token = await accessToken(sim);
    const first = await subscribed();
    await subscribed();

    const third = await subscribe();
    expect(third.status).toBe(403);
    expect(third.json.error.message).toMatch(/2 active subscriptions/);
    expect((await subscribe({ resource: `/users/${BOB}/events` })).status).toBe(201);
    sim.expireSubscription(first);
    expect((await subscribe()).status).toBe(201);
  });

  it("shows an app only the subscriptions it created, and refuses one without a calendar permission", async () => {
    const id = await subscribed();
    const other = { tenantId: TENANT, clientId: '0b0e5f7a-0000-4000-8000-00000000beef', clientSecret: 'other~secret', roles: ['Mail.Read'] };
    sim.addClient(other);
    const otherToken = (await tokenRequest(sim, { grant_type: 'client_credentials', client_id: other.clientId, client_secret: other.clientSecret, scope: GRAPH_SCOPE })).json.access_token;

    expect((await call(sim, otherToken, '/subscriptions')).json.value).toEqual([]);
    expect((await call(sim, otherToken, `/subscriptions/${id}`)).status).toBe(404);
    expect((await call(sim, otherToken, `/subscriptions/${id}`, { method: 'DELETE' })).status).toBe(404);
    const refused = await call(sim, otherToken, '/subscriptions', {
      method: 'POST',
      body: { changeType: 'created', notificationUrl: `${receiver.url}/notify`, resource: `/users/${ALICE}/events`, expirationDateTime: inMinutes(60) },
    });
    expect(refused.status).toBe(403);
    expect((await call(sim, token, `/subscriptions/${id}`)).status).toBe(200);
  });

  it('keeps a query the subscriber put in its notificationUrl', async () => {
    await subscribed({ notificationUrl: `${receiver.url}/notify?tenant=contoso` });

    expect(receiver.validations('/notify')[0]!.query.get('tenant')).toBe('contoso');
  });

  it('refuses the subscription with ValidationError when the token comes back encoded or not as text/plain, and creates nothing', async () => {
    for (const mode of ['echo-encoded', 'echo-as-json'] as const) {
      receiver.validation = mode;
      const refused = await subscribe();

      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatchObject({
        code: 'ValidationError',
        message: 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      });
    }
    expect((await call(sim, token, '/subscriptions')).json.value).toEqual([]);
    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    // The refused subscriptions send nothing: a live one on Bob's mailbox proves delivery ran.
    receiver.validation = 'echo';
    const bob = await subscribed({ resource: `/users/${BOB}/events` });
    sim.userInsert(BOB, utcEvent('Review', 11, 9));
    await until(() => allNotifications().length > 0, 'a notification for Bob');
    expect(allNotifications().map((n) => n.subscriptionId)).toEqual([bob]);
  });

  it('refuses the subscription with "validation request timed out" when the endpoint does not answer in time', async () => {
    receiver.validation = 'hang';
    const refused = await subscribe();

    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'InvalidRequest', message: 'Subscription validation request timed out.' });
  });

  it('refuses an expiry beyond 10,080 minutes for Outlook events, or in the past, and plain http off loopback', async () => {
    const far = await subscribe({ expirationDateTime: inMinutes(10_081) });
    expect(far.status).toBe(400);
    expect(far.json.error).toMatchObject({ code: 'ExtensionError', message: 'Subscription expiration can only be 10080 minutes in the future.' });
    expect((await subscribe({ expirationDateTime: inMinutes(-1) })).status).toBe(400);
    expect((await subscribe({ notificationUrl: 'http://hooks.contoso.example/notify' })).status).toBe(400);
    expect((await subscribe({ resource: '/me/events' })).status).toBe(400);
    // Rich notifications (resource data, encrypted) are not simulated: refused loudly, not ignored.
    expect((await subscribe({ includeResourceData: true })).status).toBe(400);
    expect((await subscribe({ expirationDateTime: inMinutes(10_079) })).status).toBe(201);
  });
});

describe('Graph change notifications: delivery', () => {
  it('notifies a create, an update and a delete in the subscribed mailbox, with clientState, ids and etag', async () => {
    const id = await subscribed();
    const expiry = (await call(sim, token, `/subscriptions/${id}`)).json.expirationDateTime;
    const mailboxId = sim.addMailbox(ALICE).id;

    const event = sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    await until(() => allNotifications().length === 1, 'the created notification');
    sim.userPatch(ALICE, event.id, { subject: 'Planning (moved)' });
    await until(() => allNotifications().length === 2, 'the updated notification');
    sim.userDelete(ALICE, event.id);
    await until(() => allNotifications().length === 3, 'the deleted notification');

    const [created, updated, deleted] = allNotifications();
    expect(created).toEqual({
      subscriptionId: id,
      subscriptionExpirationDateTime: expiry,
      changeType: 'created',
      resource: `Users/${mailboxId}/Events/${event.id}`,
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Event',
        '@odata.id': `Users/${mailboxId}/Events/${event.id}`,
        '@odata.etag': expect.stringMatching(/^W\/".+"$/),
        id: event.id,
      },
      clientState: CLIENT_STATE,
      tenantId: TENANT,
    });
    expect(updated).toMatchObject({ changeType: 'updated', clientState: CLIENT_STATE, resourceData: { id: event.id } });
    expect(updated.resourceData['@odata.etag']).not.toBe(created.resourceData['@odata.etag']);
    expect(deleted).toMatchObject({ changeType: 'deleted', clientState: CLIENT_STATE, resourceData: { id: event.id } });
    const posted = receiver.received.find((r) => r.path === '/notify' && !r.query.has('validationToken'))!;
    expect(posted.headers['content-type']).toMatch(/^application\/json/);
  });

  it('notifies changes made through the API too, in the id format the subscription asked for, and only its change types', async () => {
    await subscribed({ changeType: 'created', resource: `users/${BOB}/events` }, {});
    const created = await call(sim, token, `/users/${BOB}/events`, { method: 'POST', body: utcEvent('Standup', 12, 9) });
    expect(created.status).toBe(201);
    await until(() => allNotifications().length === 1, 'the created notification');
    await call(sim, token, `/users/${BOB}/events/${created.json.id}`, { method: 'PATCH', body: { subject: 'Standup (new room)' } });
    // An update is not asked for: a later creation's notification comes alone.
    sim.userInsert(BOB, utcEvent('Retro', 13, 9));
    await until(() => allNotifications().length === 2, 'the second created notification');

    expect(allNotifications().map((n) => n.changeType)).toEqual(['created', 'created']);
    // Created without Prefer: IdType="ImmutableId": the default (REST) id, as the POST answered.
    expect(allNotifications()[0].resourceData.id).toBe(created.json.id);
  });

  it('sends nothing for a subscription past its expiry, which then answers 404', async () => {
    const expired = await subscribed();
    const live = await subscribed({ resource: `/users/${BOB}/events` });
    sim.expireSubscription(expired);

    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    sim.userInsert(BOB, utcEvent('Review', 11, 9));
    await until(() => allNotifications().length > 0, "the live subscription's notification");

    expect(allNotifications().map((n) => n.subscriptionId)).toEqual([live]);
    expect((await call(sim, token, `/subscriptions/${expired}`)).status).toBe(404);
    expect((await call(sim, token, `/subscriptions/${expired}`, { method: 'PATCH', body: { expirationDateTime: inMinutes(60) } })).status).toBe(404);
    expect((await call(sim, token, '/subscriptions')).json.value.map((s: any) => s.id)).toEqual([live]);
  });

  it('renews with PATCH (validating the endpoint again) up to the maximum, and stops after DELETE', async () => {
    const id = await subscribed();
    const later = inMinutes(3 * 24 * 60);

    const renewed = await call(sim, token, `/subscriptions/${id}`, { method: 'PATCH', body: { expirationDateTime: later } });
    expect(renewed.status).toBe(200);
    expect(renewed.json).toMatchObject({ id, expirationDateTime: new Date(later).toISOString() });
    expect(receiver.validations('/notify')).toHaveLength(2);
    const tooFar = await call(sim, token, `/subscriptions/${id}`, { method: 'PATCH', body: { expirationDateTime: inMinutes(10_081) } });
    expect(tooFar.json.error.code).toBe('ExtensionError');

    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    await until(() => allNotifications().length === 1, 'a notification after renewal');
    expect(allNotifications()[0].subscriptionExpirationDateTime).toBe(new Date(later).toISOString());

    expect((await call(sim, token, `/subscriptions/${id}`, { method: 'DELETE' })).status).toBe(204);
    const other = await subscribed({ resource: `/users/${BOB}/events` });
    sim.userInsert(ALICE, utcEvent('After delete', 14, 9));
    sim.userInsert(BOB, utcEvent('Review', 11, 9));
    await until(() => allNotifications().length === 2, "the other subscription's notification");
    expect(allNotifications()[1].subscriptionId).toBe(other);
  });

  it('retries a notification answered 5xx until it is answered 2xx, with the same body', async () => {
    await subscribed();
    receiver.statuses = [503, 500];

    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    await until(() => sim.deliveries().some((d) => d.kind === 'change' && d.status === 202), 'the second retry answered 202');

    const bodies = receiver.received.filter((r) => r.path === '/notify' && !r.query.has('validationToken')).map((r) => r.body);
    expect(new Set(bodies).size).toBe(1);
    expect(sim.deliveries().filter((d) => d.kind === 'change').map((d) => [d.attempt, d.status])).toEqual([[1, 503], [2, 500], [3, 202]]);
  });

  it('retries a notification not answered within its deadline (3 s at Graph)', async () => {
    await sim.stop();
    sim = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ALICE, BOB], notifications: { retryDelaysMs: [50], timeoutMs: 300 } });
    await sim.start();
    token = await accessToken(sim);
    await subscribed();
    receiver.holdNotifications = 1;

    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    await until(() => sim.deliveries().some((d) => d.kind === 'change' && d.status === 202), 'the retry answered 202');

    expect(sim.deliveries().filter((d) => d.kind === 'change').map((d) => [d.attempt, d.status ?? d.error])).toEqual([[1, 'timeout'], [2, 202]]);
  });

  it('gives up after its last retry and tells the lifecycle endpoint that notifications were missed', async () => {
    const id = await subscribed();
    receiver.statuses = [500, 500, 500];

    sim.userInsert(ALICE, utcEvent('Planning', 10, 9));
    await until(() => receiver.notifications('/lifecycle').length === 1, 'the missed lifecycle notification');

    expect(receiver.notifications('/notify')).toHaveLength(3);
    expect(receiver.notifications('/lifecycle')[0].value).toEqual([
      { subscriptionId: id, subscriptionExpirationDateTime: expect.any(String), tenantId: TENANT, clientState: CLIENT_STATE, lifecycleEvent: 'missed' },
    ]);
  });
});

describe('Graph change notifications: lifecycle', () => {
  it('sends reauthorizationRequired, holds notifications while paused, and resumes after /reauthorize', async () => {
    const id = await subscribed();

    // Through the control endpoint, as a test in another process would.
    const control = await fetch(`${sim.url}/_sim/subscriptions/${id}/lifecycle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lifecycleEvent: 'reauthorizationRequired', pauseDelivery: true }),
    });
    expect(control.status).toBe(204);
    await until(() => receiver.notifications('/lifecycle').length === 1, 'the lifecycle notification');
    expect(receiver.notifications('/lifecycle')[0].value[0]).toEqual({
      subscriptionId: id,
      subscriptionExpirationDateTime: expect.any(String),
      tenantId: TENANT,
      clientState: CLIENT_STATE,
      lifecycleEvent: 'reauthorizationRequired',
    });

    sim.userInsert(ALICE, utcEvent('Lost while paused', 10, 9));
    expect((await call(sim, token, `/subscriptions/${id}/reauthorize`, { method: 'POST' })).status).toBe(204);
    sim.userInsert(ALICE, utcEvent('After reauthorizing', 11, 9));
    await until(() => allNotifications().length > 0, 'a notification after reauthorizing');

    expect(allNotifications()).toHaveLength(1);
    expect(allNotifications()[0].resourceData.id).toBe(sim.events(ALICE).find((e) => e.subject === 'After reauthorizing')!.id);
  });

  it('removes the subscription after subscriptionRemoved, and passes on missed', async () => {
    const removed = await subscribed();
    const kept = await subscribed({ resource: `/users/${BOB}/events` });

    sim.sendLifecycleNotification(kept, 'missed');
    sim.sendLifecycleNotification(removed, 'subscriptionRemoved');
    await until(() => receiver.notifications('/lifecycle').length === 2, 'two lifecycle notifications');

    const events = receiver.notifications('/lifecycle').map((b) => [b.value[0].subscriptionId, b.value[0].lifecycleEvent]);
    expect(events).toEqual(expect.arrayContaining([[kept, 'missed'], [removed, 'subscriptionRemoved']]));
    expect((await call(sim, token, `/subscriptions/${removed}`)).status).toBe(404);
    expect((await call(sim, token, `/subscriptions/${kept}`)).status).toBe(200);
  });
});
