import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { OutlookSource } from '../../src/calendars/outlook/source.js';
import { ChannelKeeper } from '../../src/daemon/push/channels.js';
import { pickUpPokes } from '../../src/daemon/push/pokes.js';
import { PushQueue } from '../../src/daemon/push/queue.js';
import { PushReceiver } from '../../src/daemon/push/receiver.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { leaseKey } from '../../src/store/leases.js';
import { PushChannelStore } from '../../src/store/push-channels.js';
import type { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';
import { openTestStore, type TestStore } from '../support/test-store.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const OAUTH = { clientId: 'cid', clientSecret: 'engine-push-secret', refreshToken: 'engine-push-refresh' };
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const PUBLIC = 'https://meetsync.example.com';

/**
 * Push on the engine's side (issue 18), on SQLite and on PostgreSQL: a cycle limited to the
 * calendars notifications named, and the channels kept in the database (opened on a calendar's
 * first read, reused after a restart, renewed at half their lifetime, stopped when the calendar
 * leaves the config). The simulator's channels address a host nobody listens on: what is
 * delivered does not matter here, only what is opened and stopped.
 */
describe('push: the engine reads only the calendars asked for; channels kept in the database', () => {
  let google: GoogleCalendarSimulator;
  let wm: WebMeetingSimulator;
  let test: TestStore;
  let store: Store;
  let source: GoogleSource;
  let engine: SyncEngine;
  let now: Date;

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH], push: { channelTtlMs: 3_600_000, maxAttempts: 1 } });
    wm = new WebMeetingSimulator({ apiKey: 'engine-push-api-key', tls });
    await google.start();
    await wm.start();
    google.addCalendar(ALICE);
    google.addCalendar(BOB);
    const { account } = wm.seedAccount({ adminEmail: ALICE });
    wm.addUser(account.id, { email: BOB });
    const platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: 'engine-push-api-key', retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    test = await openTestStore();
    store = test.store;
    await refreshOrganizers(platform, store, [account.id], new Date());
    source = new GoogleSource({ name: 'corp-google', calendars: [ALICE, BOB], auth: { type: 'oauth', ...OAUTH }, rootUrl: google.rootUrl, tokenUrl: google.tokenUrl, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    engine = new SyncEngine({ store, platform, sources: [source], settings: settings({ accountIds: [account.id] }), logger: silentLogger() });
    now = new Date();
  });
  afterEach(async () => {
    await test.close();
    await google.stop();
    await wm.stop();
  });

  const listed = (calendarId: string) => google.server.requests.filter((r) => r.method === 'GET' && r.path === `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`).length;
  const keeper = (sources = [source]) => new ChannelKeeper({ store, sources, publicUrl: PUBLIC, logger: silentLogger(), now: () => now });
  const tagged = (summary: string) => ({ summary: `${summary} #webmeeting`, start: { dateTime: '2030-03-25T09:00:00Z' }, end: { dateTime: '2030-03-25T10:00:00Z' } });

  it("a cycle limited to one calendar reads and acts on that calendar only, and leaves the other's changes to a later cycle", async () => {
    await engine.runCycle();
    const a = google.userInsert(ALICE, tagged('Alice'));
    const b = google.userInsert(BOB, tagged('Bob'));
    const [alice, bob] = [listed(ALICE), listed(BOB)];
    const report = await engine.runCycle({ only: new Set([leaseKey({ source: 'corp-google', calendarId: ALICE })]) });
    expect(report.calendars.map((c) => c.calendarId)).toEqual([ALICE]);
    expect(report.counts.created).toBe(1);
    expect(listed(ALICE)).toBe(alice + 1);
    expect(listed(BOB)).toBe(bob);
    expect(google.getEvent(ALICE, a.id)?.description).toContain('Join: ');
    expect(google.getEvent(BOB, b.id)?.description ?? '').not.toContain('Join: ');
    // The full cycle after it finds Bob's change (the cursor kept), and nothing new of Alice's.
    const full = await engine.runCycle();
    expect(full.counts.created).toBe(1);
    expect(google.getEvent(BOB, b.id)?.description).toContain('Join: ');
  });

  it('opens a channel per calendar read, none for a calendar whose read failed, and reuses them after a restart', async () => {
    // Bob's read fails (both attempts answered 503).
    google.server.inject({ kind: 'status', status: 503, count: 2, method: 'GET', pathIncludes: `/calendars/${encodeURIComponent(BOB)}/events`, body: { error: { code: 503, message: 'Backend Error', errors: [] } } });
    const first = await engine.runCycle();
    expect(first.calendars.filter((c) => !c.ok).map((c) => c.calendarId)).toEqual([BOB]);
    await keeper().afterCycle(first, true);
    const channels = new PushChannelStore(store).all();
    expect(channels.map((c) => c.calendarId)).toEqual([ALICE]);
    const second = await engine.runCycle();
    await keeper().afterCycle(second, true);
    const opened = new PushChannelStore(store).all();
    expect(opened.map((c) => c.calendarId).sort()).toEqual([ALICE, BOB]);
    for (const c of channels) expect(opened.find((o) => o.calendarId === c.calendarId)?.channelId).toBe(c.channelId);
    for (const c of opened) {
      expect(c.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(c.resourceId).toBe(google.openChannels().find((o) => o.id === c.channelId)?.resourceId);
      expect(c.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    }
    // A new process (a restart) with the same database opens nothing new.
    const watches = () => google.server.requests.filter((r) => r.path.endsWith('/events/watch')).length;
    const before = watches();
    await keeper().afterCycle(await engine.runCycle(), true);
    expect(watches()).toBe(before);
    expect(google.openChannels()).toHaveLength(2);
  });

  it('renews a channel past half its lifetime (a new one, then channels.stop of the old), and stops the channels of calendars out of the config', async () => {
    const report = await engine.runCycle();
    await keeper().afterCycle(report, true);
    const old = new PushChannelStore(store).all().find((c) => c.calendarId === ALICE)!;
    // Not yet half-way: nothing changes.
    now = new Date(now.getTime() + 20 * 60_000);
    await keeper().afterCycle(report, false);
    expect(new PushChannelStore(store).all().find((c) => c.calendarId === ALICE)?.channelId).toBe(old.channelId);
    now = new Date(now.getTime() + 15 * 60_000);
    await keeper().afterCycle(report, false);
    const renewed = new PushChannelStore(store).all().filter((c) => c.calendarId === ALICE);
    expect(renewed).toHaveLength(1);
    expect(renewed[0]!.channelId).not.toBe(old.channelId);
    expect(google.openChannels().map((c) => c.id)).not.toContain(old.channelId);
    expect(google.openChannels().map((c) => c.id)).toContain(renewed[0]!.channelId);

    // Bob leaves the config: a full cycle's keeping stops his channel.
    const aliceOnly = new GoogleSource({ name: 'corp-google', calendars: [ALICE], auth: { type: 'oauth', ...OAUTH }, rootUrl: google.rootUrl, tokenUrl: google.tokenUrl });
    await keeper([aliceOnly]).afterCycle({ calendars: [] }, true);
    expect(new PushChannelStore(store).all().map((c) => c.calendarId)).toEqual([ALICE]);
    expect(google.openChannels().map((c) => c.calendarId)).toEqual([ALICE.toLowerCase()]);
  });

  it("checks a notification against the channel in the database: the token's hash, the resource id, a configured calendar", async () => {
    await keeper().afterCycle(await engine.runCycle(), true);
    const sim = google.openChannels().find((c) => c.calendarId === ALICE)!;
    const queue = new PushQueue();
    let configured = true;
    const receiver = new PushReceiver({ channels: new PushChannelStore(store), queue, configured: () => configured, logger: silentLogger() });
    const headers = (over: Record<string, string | undefined> = {}) =>
      Object.fromEntries(Object.entries({ 'x-goog-channel-id': sim.id, 'x-goog-resource-id': sim.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-channel-token': sim.token, ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(receiver.receive('google', headers({ 'x-goog-resource-state': 'sync' })).status).toBe(200);
    expect(queue.size).toBe(0);
    expect(receiver.receive('google', headers({ 'x-goog-channel-token': `${sim.token}x` })).status).toBe(403);
    expect(receiver.receive('google', headers({ 'x-goog-resource-id': 'other' })).status).toBe(403);
    expect(receiver.receive('google', headers({ 'x-goog-resource-state': 'deleted' })).status).toBe(400);
    expect(queue.size).toBe(0);
    expect(receiver.receive('google', headers()).body).toEqual({ ok: true, read: 'queued' });
    expect(receiver.receive('google', headers()).body).toEqual({ ok: true, read: 'coalesced' });
    expect([...queue.take()]).toEqual([leaseKey({ source: 'corp-google', calendarId: ALICE })]);
    // During that read, one more notification queues one follow-up; a failed read (lock busy) puts its calendars back.
    expect(receiver.receive('google', headers()).body).toEqual({ ok: true, read: 'queued' });
    queue.done(true);
    expect(queue.size).toBe(1);
    configured = false;
    expect(receiver.receive('google', headers()).status).toBe(404);
  });

  it("replicas: a notification for a calendar another replica holds is handed over through the database, read by the holder only", async () => {
    await keeper().afterCycle(await engine.runCycle(), true);
    const sim = google.openChannels().find((c) => c.calendarId === ALICE)!;
    const channels = new PushChannelStore(store);
    const headers = { 'x-goog-channel-id': sim.id, 'x-goog-resource-id': sim.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-channel-token': sim.token! };
    // The replica that receives it does not hold Alice's calendar.
    const elsewhere = new PushQueue();
    const receiving = new PushReceiver({ channels, queue: elsewhere, configured: () => true, logger: silentLogger(), holds: () => false, handOver: (source, calendarId) => channels.poke(source, calendarId, new Date()) });
    expect(receiving.receive('google', headers).body).toEqual({ ok: true, read: 'handed-over' });
    expect(receiving.receive('google', headers).body).toEqual({ ok: true, read: 'handed-over' });
    expect(elsewhere.size).toBe(0);
    // Another replica that does not hold it either leaves the poke; the holder takes it, once.
    expect(channels.takePokes(() => false)).toEqual([]);
    const holder = new PushQueue();
    let read = 0;
    holder.onPoke(() => (read += 1));
    const stop = pickUpPokes({ channels, queue: holder, holds: (_s, calendarId) => calendarId === ALICE, logger: silentLogger(), everyMs: 20 });
    try {
      while (read === 0) await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop();
    }
    expect([...holder.take()]).toEqual([leaseKey({ source: 'corp-google', calendarId: ALICE })]);
    expect(channels.takePokes(() => true)).toEqual([]);
  });
});

/**
 * Graph subscriptions kept in the database (issue 18), on SQLite and on PostgreSQL: created with
 * the real Graph client against the Graph simulator, which validates the notification URL (a
 * loopback receiver standing in for push.publicUrl) before it answers.
 */
describe('push: Graph subscriptions kept in the database', () => {
  const GRAPH_APP = { tenantId: '0c0ffee0-0000-4000-8000-00000000f00d', clientId: '1d2e3f40-5555-4666-8777-88889999f00d', clientSecret: 'engine~push~graph~secret' };
  let graph: GraphSimulator;
  let receiver: WebhookReceiver;
  let test: TestStore;
  let store: Store;
  let now: Date;

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: [ALICE, BOB] });
    receiver = new WebhookReceiver();
    await Promise.all([graph.start(), receiver.start()]);
    test = await openTestStore();
    store = test.store;
    now = new Date();
  });
  afterEach(async () => {
    await test.close();
    await Promise.all([graph.stop(), receiver.stop()]);
  });

  const outlook = (mailboxes = [ALICE, BOB]) =>
    new OutlookSource({ name: 'corp-m365', mailboxes, auth: GRAPH_APP, graphBaseUrl: graph.url, authorityHost: graph.url, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
  const keeper = (source = outlook()) => new ChannelKeeper({ store, sources: [source], publicUrl: receiver.url, logger: silentLogger(), now: () => now });
  const read = (...mailboxes: string[]) => ({ calendars: mailboxes.map((calendarId) => ({ source: 'corp-m365', calendarId, ok: true })) });
  const rows = () => new PushChannelStore(store).all();
  const calls = (method: string, path = '/v1.0/subscriptions') => graph.server.requests.filter((r) => r.method === method && r.path.startsWith(path)).length;

  it('creates a subscription per mailbox read (none for one whose read failed), stored under Graph\'s id, and reuses it after a restart', async () => {
    await keeper().afterCycle({ calendars: [...read(ALICE).calendars, { source: 'corp-m365', calendarId: BOB, ok: false }] }, true);
    expect(graph.subscriptions().map((s) => s.mailbox)).toEqual([ALICE]);
    const [row] = rows();
    expect(row).toMatchObject({ provider: 'graph', calendarId: ALICE, channelId: graph.subscriptions()[0]!.id, resourceId: `/users/${ALICE}/events` });
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.expiresAt!.toISOString()).toBe(new Date(graph.subscriptions()[0]!.expirationDateTime).toISOString());
    expect(receiver.validations('/push/graph')).toHaveLength(2);
    // A new process with the same database creates only Bob's.
    await keeper().afterCycle(read(ALICE, BOB), true);
    expect(calls('POST')).toBe(2);
    expect(graph.subscriptions().map((s) => s.mailbox).sort()).toEqual([ALICE, BOB]);
    expect(rows().find((r) => r.calendarId === ALICE)?.channelId).toBe(row!.channelId);
  });

  it('renews a subscription past half its lifetime with PATCH (same id, later end), replaces one Graph no longer has, and deletes those of mailboxes out of the config', async () => {
    await keeper().afterCycle(read(ALICE, BOB), true);
    const first = rows();
    const lifetime = first[0]!.expiresAt!.getTime() - now.getTime();
    now = new Date(now.getTime() + lifetime * 0.4);
    await keeper().afterCycle(read(ALICE), false);
    expect(calls('PATCH')).toBe(0);
    now = new Date(now.getTime() + lifetime * 0.2);
    await keeper().afterCycle(read(ALICE), false);
    expect(calls('PATCH')).toBe(1);
    const alice = rows().find((r) => r.calendarId === ALICE)!;
    expect(alice.channelId).toBe(first.find((r) => r.calendarId === ALICE)!.channelId);
    expect(alice.createdAt.getTime()).toBe(now.getTime());
    expect(alice.expiresAt!.toISOString()).toBe(new Date(graph.subscriptions().find((s) => s.mailbox === ALICE)!.expirationDateTime).toISOString());

    // Bob's ended at Graph meanwhile: the PATCH answers 404, and a new subscription takes its place.
    const bobsOld = first.find((r) => r.calendarId === BOB)!.channelId;
    graph.expireSubscription(bobsOld);
    await keeper().afterCycle(read(BOB), false);
    const bob = rows().filter((r) => r.calendarId === BOB);
    expect(bob).toHaveLength(1);
    expect(bob[0]!.channelId).not.toBe(bobsOld);
    expect(graph.subscriptions().find((s) => s.mailbox === BOB)?.id).toBe(bob[0]!.channelId);

    // Bob leaves the config: his subscription is deleted at Graph and forgotten here.
    await keeper(outlook([ALICE])).afterCycle({ calendars: [] }, true);
    expect(calls('DELETE', `/v1.0/subscriptions/${bob[0]!.channelId}`)).toBe(1);
    expect(graph.subscriptions().map((s) => s.mailbox)).toEqual([ALICE]);
    expect(rows().map((r) => r.calendarId)).toEqual([ALICE]);
  });

  it("checks a notification's subscription and clientState against the database, and queues one read per mailbox of a batch", async () => {
    await keeper().afterCycle(read(ALICE, BOB), true);
    const clientState = (mailbox: string) => (JSON.parse(graph.server.requests.find((r) => r.method === 'POST' && r.body.includes(`/users/${mailbox}/events`))!.body) as { clientState: string }).clientState;
    const id = (mailbox: string) => rows().find((r) => r.calendarId === mailbox)!.channelId;
    const queue = new PushQueue();
    let configured = true;
    const receiver = new PushReceiver({ channels: new PushChannelStore(store), queue, configured: () => configured, logger: silentLogger() });
    const body = (...items: Array<[string, string | null]>) => JSON.stringify({ value: items.map(([subscriptionId, clientState]) => ({ subscriptionId, clientState, changeType: 'updated' })) });
    expect(receiver.receive('graph', {}, '', new URLSearchParams({ validationToken: 'echo me' }))).toMatchObject({ status: 200, text: 'echo me' });
    expect(receiver.receive('graph', {}, body([id(ALICE), clientState(BOB)])).status).toBe(403);
    expect(receiver.receive('graph', {}, body([id(ALICE), null])).status).toBe(403);
    expect(receiver.receive('graph', {}, body(['unknown', clientState(ALICE)])).status).toBe(404);
    expect(receiver.receive('graph', {}, '{"value": [{}]}').status).toBe(400);
    expect(queue.size).toBe(0);
    const batch = body([id(ALICE), clientState(ALICE)], [id(BOB), clientState(BOB)], [id(ALICE), clientState(ALICE)]);
    expect(receiver.receive('graph', {}, batch)).toMatchObject({ status: 202, result: { kind: 'accepted', read: 'queued' } });
    expect([...queue.take()].sort()).toEqual([ALICE, BOB].map((calendarId) => leaseKey({ source: 'corp-m365', calendarId })).sort());
    configured = false;
    expect(receiver.receive('graph', {}, body([id(ALICE), clientState(ALICE)])).status).toBe(404);
  });
});
