import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';
import { metric, startDaemon, startProxy, until, type Daemon, type Proxy } from '../support/push-daemon.js';

/**
 * `meetsync run` with push on (issue 18) and an Outlook source: Graph change notifications from the
 * Graph simulator (POST /subscriptions with its validation handshake, notifications carrying
 * clientState, lifecycle notifications) through a loopback "reverse proxy" (push.publicUrl) to the
 * daemon's http.listen.
 */

const DAVE = 'dave@example.com';
/** A schedule that never comes during a test: a cycle runs at start, then only push reads. */
const NEVER = '0 0 1 1 *';

describe('meetsync run with push: Graph subscriptions and notifications', () => {
  let w: CliWorld;
  let proxy: Proxy;
  let daemon: Daemon;
  let original = '';
  const graph = () => w.graph!;
  const bob = () => w.mailbox!;

  const writeConfig = (mailboxes: string[]) => {
    const config = original.replace('schedule: "*/5 * * * *"', `schedule: "${NEVER}"`).replace(`mailboxes: [${bob()}]`, `mailboxes: [${mailboxes.join(', ')}]`);
    writeFileSync(w.configPath, `${config}http: { listen: "127.0.0.1:0" }\npush: { publicUrl: "${proxy.url}" }\n`);
  };
  const subscriptionOf = (mailbox: string) => {
    const s = graph().subscriptions().find((x) => x.mailbox === mailbox);
    if (!s) throw new Error(`no subscription for ${mailbox}`);
    return s;
  };
  /** The clientState meetsync sent when it created the mailbox's live subscription (the simulator's record of the POST). */
  const clientStateOf = (mailbox: string): string => {
    const posts = graph().server.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/subscriptions' && r.body.includes(`/users/${mailbox}/events`));
    return (JSON.parse(posts.at(-1)!.body) as { clientState: string }).clientState;
  };
  /** Delta reads the Graph simulator answered for one mailbox. */
  const reads = (mailbox: string) => graph().server.requests.filter((r) => r.method === 'GET' && r.path.includes('/calendarView/delta') && decodeURIComponent(r.path).includes(mailbox)).length;
  const pushReadsOk = () => metric(daemon.base, 'meetsync_push_reads_total{result="ok"}');
  const notify = (body: unknown, query = '') =>
    fetch(`${proxy.url}/push/graph${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const change = (subscriptionId: string, clientState: string | null) => ({
    value: [{ subscriptionId, clientState, changeType: 'updated', resource: 'Users/x/Events/y', subscriptionExpirationDateTime: new Date(Date.now() + 3_600_000).toISOString(), tenantId: 't' }],
  });
  const tagged = (subject: string, day: number) => ({
    subject,
    categories: ['Web Meeting'],
    start: { dateTime: `2030-03-${String(day).padStart(2, '0')}T09:00:00`, timeZone: 'UTC' },
    end: { dateTime: `2030-03-${String(day).padStart(2, '0')}T10:00:00`, timeZone: 'UTC' },
  });
  const hasLink = (mailbox: string, eventId: string) => (graph().getEvent(mailbox, eventId)?.location?.displayName ?? '').startsWith(w.webMeeting.url);

  beforeAll(async () => {
    w = await startCliWorld({ outlook: true, graph: { moreMailboxes: [DAVE], notifications: { retryDelaysMs: [200, 400] } } });
    for (const [email, first] of [[w.calendar, 'Alice'], [bob(), 'Bob'], [DAVE, 'Dave']] as const) {
      expect((await runCli(['--config', w.configPath, 'accounts', 'create', '--email', email, '--first', first, '--last', 'A'], { cwd: w.dir })).code).toBe(0);
    }
    proxy = await startProxy();
    original = readFileSync(w.configPath, 'utf8');
    writeConfig([bob(), DAVE]);
    daemon = await startDaemon(w, proxy);
    await until(() => graph().subscriptions().length === 2, 'a subscription per mailbox');
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await w?.close();
  });

  it('creates one subscription per mailbox after its first read, both URLs validated, and keeps only a hash of its clientState', async () => {
    for (const mailbox of [bob(), DAVE]) {
      const s = subscriptionOf(mailbox);
      expect(s).toMatchObject({ resource: `/users/${mailbox}/events`, changeType: 'created,updated,deleted', notificationUrl: `${proxy.url}/push/graph`, lifecycleNotificationUrl: `${proxy.url}/push/graph` });
      expect(new Date(s.expirationDateTime).getTime()).toBeGreaterThan(Date.now() + 24 * 3_600_000);
    }
    // The handshake: Graph created them only after both URLs echoed their validation token.
    const validations = graph().deliveries().filter((d) => d.kind === 'validation');
    expect(validations).toHaveLength(4);
    expect(validations.every((d) => d.status === 200)).toBe(true);
    const db = new Database(w.dbPath, { readonly: true });
    const rows = db.prepare("SELECT * FROM push_channels WHERE provider = 'graph'").all() as Array<Record<string, string>>;
    db.close();
    expect(rows.map((r) => r.channel_id).sort()).toEqual([subscriptionOf(bob()).id, subscriptionOf(DAVE).id].sort());
    for (const mailbox of [bob(), DAVE]) {
      const secret = clientStateOf(mailbox);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(rows.find((r) => r.calendar_id === mailbox)!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(readFileSync(w.dbPath).includes(Buffer.from(secret))).toBe(false);
      expect(daemon.stderr()).not.toContain(secret);
    }
    const status = await runCli(['--config', w.configPath, 'status'], { cwd: w.dir });
    expect((status.stdout.match(/push: +graph subscription open until \d{4}-/g) ?? []).length).toBe(2);
    expect(await metric(daemon.base, 'meetsync_push_channels{provider="graph"}')).toBe(2);
  });

  it('answers the validation handshake with the decoded token as text/plain', async () => {
    const res = await notify('', `?validationToken=${encodeURIComponent('Validation: Testing client application reachability for subscription Request-Id: 1d2e <&>')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('Validation: Testing client application reachability for subscription Request-Id: 1d2e <&>');
  });

  it("doctor: the public address passes Graph's validation handshake, and fails where something else answers", async () => {
    const up = await runCli(['--config', w.configPath, 'doctor'], { cwd: w.dir });
    expect(up.stdout).toContain(`ok    push: ${proxy.url}/push/graph answers Microsoft Graph's validation handshake`);
    // An address where something else answers (the status page's 405): Graph would refuse every subscription.
    const config = readFileSync(w.configPath, 'utf8');
    writeFileSync(w.configPath, config.replace(`publicUrl: "${proxy.url}"`, `publicUrl: "${daemon.base}/not-here"`));
    try {
      const wrong = await runCli(['--config', w.configPath, 'doctor'], { cwd: w.dir });
      expect(wrong.stdout).toContain(`FAIL  push: ${daemon.base}/not-here/push/graph does not pass Microsoft Graph's validation handshake (HTTP 405)`);
      expect(wrong.code).toBe(1);
    } finally {
      writeFileSync(w.configPath, config);
    }
  });

  it('refuses forged notifications with a 4xx and reads nothing for them', async () => {
    const bobs = subscriptionOf(bob());
    const before = reads(bob());
    const rejected = (reason: string) => metric(daemon.base, `meetsync_push_notifications_rejected_total{provider="graph",reason="${reason}"}`);
    const [badToken, unknown, malformed] = [await rejected('bad-token'), await rejected('unknown-channel'), await rejected('malformed')];
    expect((await notify(change('00000000-0000-4000-8000-000000000000', clientStateOf(bob())))).status).toBe(404);
    expect((await notify(change(bobs.id, 'guessed-client-state'))).status).toBe(403);
    expect((await notify(change(bobs.id, null))).status).toBe(403);
    // One forged item spoils the batch: the genuine item beside it queues nothing either.
    const mixed = { value: [...change(bobs.id, clientStateOf(bob())).value, ...change(subscriptionOf(DAVE).id, 'wrong').value] };
    expect((await notify(mixed)).status).toBe(403);
    expect((await notify('not json')).status).toBe(400);
    expect((await notify({ value: [] })).status).toBe(400);
    // A batch of 200 items (about 60 KiB) is read; one over 256 KiB is refused unread.
    expect((await notify({ value: Array.from({ length: 200 }, () => change(bobs.id, 'guessed-client-state').value[0]) })).status).toBe(403);
    // (Straight to http.listen: the test proxy answers 502 when the daemon closes the connection mid-body.)
    const huge = JSON.stringify({ value: Array.from({ length: 1_000 }, () => change(bobs.id, 'x'.repeat(300)).value[0]) });
    expect((await fetch(`${daemon.base}/push/graph`, { method: 'POST', body: huge })).status).toBe(413);
    // Then a genuine one for Dave: once his read is done, a read the forgeries queued would have run too.
    const daves = reads(DAVE);
    const done = await pushReadsOk();
    const ok = await notify(change(subscriptionOf(DAVE).id, clientStateOf(DAVE)));
    expect(ok.status).toBe(202);
    await until(async () => (await pushReadsOk()) > done, "the push read of Dave's mailbox");
    expect(reads(DAVE)).toBe(daves + 1);
    expect(reads(bob())).toBe(before);
    expect((await rejected('bad-token')) - badToken).toBe(4);
    expect((await rejected('unknown-channel')) - unknown).toBe(1);
    expect((await rejected('malformed')) - malformed).toBe(2);
  });

  it("writes the join link within the notification's read, on a schedule that never comes, reading that mailbox only", async () => {
    const daves = reads(DAVE);
    const before = reads(bob());
    const event = graph().userInsert(bob(), tagged('Quarterly planning', 3));
    await until(() => hasLink(bob(), event.id), 'the join link written into the Outlook event');
    expect(reads(bob())).toBeGreaterThan(before);
    expect(reads(DAVE)).toBe(daves);
    expect(graph().deliveries().some((d) => d.kind === 'change' && d.status === 202)).toBe(true);
  });

  it('reads the mailbox on a lifecycle notification "missed"', async () => {
    const before = reads(DAVE);
    const done = await pushReadsOk();
    graph().sendLifecycleNotification(subscriptionOf(DAVE).id, 'missed');
    await until(async () => (await pushReadsOk()) > done && reads(DAVE) > before, "a read of Dave's mailbox");
  });

  it('renews the subscription (PATCH expirationDateTime) on "reauthorizationRequired", keeping its id, then reads what changed while delivery was paused', async () => {
    const s = subscriptionOf(DAVE);
    graph().sendLifecycleNotification(s.id, 'reauthorizationRequired', { pauseDelivery: true });
    // Delivery is paused from now until the renewal: this change's notification is never sent.
    const unseen = graph().userInsert(DAVE, tagged('Changed while paused', 6));
    await until(() => graph().server.requests.some((r) => r.method === 'PATCH' && r.path === `/v1.0/subscriptions/${s.id}`), 'the PATCH of the subscription');
    await until(() => subscriptionOf(DAVE).paused === false, 'delivery resumed');
    expect(subscriptionOf(DAVE).id).toBe(s.id);
    // Delivery resumed: a change in Dave's mailbox gets its link by push.
    await until(() => hasLink(DAVE, unseen.id), 'the join link of the change made while delivery was paused');
    const event = graph().userInsert(DAVE, tagged('After reauthorization', 4));
    await until(() => hasLink(DAVE, event.id), "the join link in Dave's event");
  });

  it('creates a new subscription after "subscriptionRemoved", and the old id is refused from then on', async () => {
    const old = subscriptionOf(bob());
    const secret = clientStateOf(bob());
    graph().sendLifecycleNotification(old.id, 'subscriptionRemoved');
    await until(() => graph().subscriptions().some((x) => x.mailbox === bob() && x.id !== old.id), 'a new subscription for Bob');
    expect((await notify(change(old.id, secret))).status).toBe(404);
    const event = graph().userInsert(bob(), tagged('After removal', 5));
    await until(() => hasLink(bob(), event.id), "the join link in Bob's event through the new subscription");
  });

  it('deletes the subscription of a mailbox taken out of the config, and keeps the others across the restart', async () => {
    const daves = subscriptionOf(DAVE).id;
    const bobs = subscriptionOf(bob()).id;
    await daemon.stop();
    writeConfig([bob()]);
    daemon = await startDaemon(w, proxy);
    await until(() => !graph().subscriptions().some((x) => x.mailbox === DAVE), "Dave's subscription deleted");
    expect(graph().server.requests.some((r) => r.method === 'DELETE' && r.path === `/v1.0/subscriptions/${daves}`)).toBe(true);
    expect(subscriptionOf(bob()).id).toBe(bobs);
    // Forgotten here once Graph answered the DELETE.
    const graphRows = () => {
      const db = new Database(w.dbPath, { readonly: true });
      try {
        return db.prepare("SELECT calendar_id FROM push_channels WHERE provider = 'graph'").all() as Array<{ calendar_id: string }>;
      } finally {
        db.close();
      }
    };
    await until(() => graphRows().length === 1, "Dave's row removed");
    expect(graphRows()).toEqual([{ calendar_id: bob() }]);
  });
});
