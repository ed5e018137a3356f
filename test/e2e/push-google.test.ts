import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';
import { metric, startDaemon, startProxy, until, type Daemon } from '../support/push-daemon.js';

/**
 * `meetsync run` with push on (issue 18), as a process, with Google's notifications coming from
 * the Google simulator (events.watch, channels.stop, X-Goog-* POSTs) through a loopback "reverse
 * proxy" (push.publicUrl) to the daemon's http.listen.
 */

const CAROL = 'carol@example.com';
/** A schedule that never comes during a test: a cycle runs at start, then only push reads. */
const NEVER = '0 0 1 1 *';

function writeConfig(w: CliWorld, original: string, calendars: string[], publicUrl: string, schedule: string): void {
  const config = original.replace('schedule: "*/5 * * * *"', `schedule: "${schedule}"`).replace(`calendars: [${w.calendar}]`, `calendars: [${calendars.join(', ')}]`);
  writeFileSync(w.configPath, `${config}http: { listen: "127.0.0.1:0" }\npush: { publicUrl: "${publicUrl}" }\n`);
}

const tagged = (summary: string, day: number) => ({
  summary: `${summary} #webmeeting`,
  start: { dateTime: `2030-02-${String(day).padStart(2, '0')}T09:00:00Z` },
  end: { dateTime: `2030-02-${String(day).padStart(2, '0')}T10:00:00Z` },
});

const hasLink = (w: CliWorld, calendarId: string, eventId: string) => /Join: /.test(w.google.getEvent(calendarId, eventId)?.description ?? '');

/** events.list requests the Google simulator answered for one calendar. */
const reads = (w: CliWorld, calendarId: string) =>
  w.google.server.requests.filter((r) => r.method === 'GET' && r.path === `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`).length;

const watches = (w: CliWorld, calendarId: string) => w.google.server.requests.filter((r) => r.method === 'POST' && r.path === `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events/watch`).length;

/** A notification as Google sends it, for a channel the simulator holds (its real token unless `token` is given). */
function notify(url: string, channel: { id: string; resourceId: string; resourceUri: string; token?: string }, state = 'exists', token = channel.token): Promise<Response> {
  return fetch(`${url}/push/google`, {
    method: 'POST',
    headers: {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Message-Number': '7',
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-State': state,
      'X-Goog-Resource-URI': channel.resourceUri,
      ...(token !== undefined ? { 'X-Goog-Channel-Token': token } : {}),
    },
  });
}

describe('meetsync run with push: Google watch channels and notifications', () => {
  let w: CliWorld;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let daemon: Daemon;
  let original = '';
  const channelOf = (calendarId: string) => {
    const c = w.google.openChannels().find((x) => x.calendarId === calendarId.toLowerCase());
    if (!c) throw new Error(`no channel open for ${calendarId}`);
    return c;
  };

  beforeAll(async () => {
    w = await startCliWorld();
    w.google.addCalendar(CAROL);
    for (const [email, first] of [[w.calendar, 'Alice'], [CAROL, 'Carol']] as const) {
      expect((await runCli(['--config', w.configPath, 'accounts', 'create', '--email', email, '--first', first, '--last', 'A'], { cwd: w.dir })).code).toBe(0);
    }
    proxy = await startProxy();
    original = readFileSync(w.configPath, 'utf8');
    writeConfig(w, original, [w.calendar, CAROL], proxy.url, NEVER);
    daemon = await startDaemon(w, proxy);
    await until(() => w.google.openChannels().length === 2, 'a channel per calendar');
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await w?.close();
  });

  it('opens one channel per calendar on its first cycle, to <publicUrl>/push/google, and keeps only a hash of its token', async () => {
    const channels = w.google.openChannels();
    expect(channels.map((c) => c.calendarId).sort()).toEqual([w.calendar, CAROL].sort());
    for (const c of channels) {
      expect(c.address).toBe(`${proxy.url}/push/google`);
      expect(c.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    }
    // Both sync messages were answered 200 (the first message of a channel reads nothing).
    await until(() => w.google.pushDeliveries().filter((d) => d.state === 'sync' && d.status === 200).length === 2, 'the sync messages answered');
    const db = new Database(w.dbPath, { readonly: true });
    const rows = db.prepare('SELECT * FROM push_channels').all() as Array<Record<string, string>>;
    db.close();
    expect(rows).toHaveLength(2);
    for (const c of channels) {
      const row = rows.find((r) => r.channel_id === c.id)!;
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.resource_id).toBe(c.resourceId);
      expect(JSON.stringify(rows)).not.toContain(c.token!);
      expect(readFileSync(w.dbPath).includes(Buffer.from(c.token!))).toBe(false);
      expect(daemon.stderr()).not.toContain(c.token!);
    }
    // `status` and the status page show each calendar's channel and when it ends.
    const status = await runCli(['--config', w.configPath, 'status'], { cwd: w.dir });
    expect(status.stdout).toMatch(new RegExp(`${w.calendar}: ok\\n(.*\\n)*?  push: +google channel open until \\d{4}-`));
    expect((status.stdout.match(/push: +google channel open until/g) ?? []).length).toBe(2);
    const page = await (await fetch(`${daemon.base}/`)).text();
    expect(page).toContain('<th>Push channel</th>');
  });

  it("doctor: the public address reaches meetsync's notification endpoint, and says so when it does not", async () => {
    const up = await runCli(['--config', w.configPath, 'doctor'], { cwd: w.dir });
    expect(up.stdout).toContain(`ok    push: ${proxy.url}/push/google reaches meetsync's notification endpoint`);
    const elsewhere = readFileSync(w.configPath, 'utf8');
    writeFileSync(w.configPath, elsewhere.replace(`publicUrl: "${proxy.url}"`, `publicUrl: "${daemon.base}/not-here"`));
    try {
      const wrong = await runCli(['--config', w.configPath, 'doctor'], { cwd: w.dir });
      expect(wrong.stdout).toContain(`FAIL  push: ${daemon.base}/not-here/push/google answers HTTP 405, not meetsync's notification endpoint`);
      expect(wrong.code).toBe(1);
    } finally {
      writeFileSync(w.configPath, elsewhere);
    }
  });

  it('refuses a forged notification with a 4xx and reads nothing for it', async () => {
    const alice = channelOf(w.calendar);
    const before = reads(w, w.calendar);
    const rejected = (reason: string) => metric(daemon.base, `meetsync_push_notifications_rejected_total{provider="google",reason="${reason}"}`);
    const rejectedBefore = Object.fromEntries(await Promise.all(['bad-token', 'unknown-channel', 'malformed', 'too-large'].map(async (r) => [r, await rejected(r)] as const)));
    expect((await notify(proxy.url, { ...alice, id: 'not-a-channel-of-ours' })).status).toBe(404);
    expect((await notify(proxy.url, alice, 'exists', 'guessed-token')).status).toBe(403);
    expect((await notify(proxy.url, alice, 'exists', '')).status).toBe(403);
    expect((await notify(proxy.url, { ...alice, token: undefined })).status).toBe(403);
    expect((await notify(proxy.url, { ...alice, resourceId: 'another-resource' })).status).toBe(403);
    expect((await fetch(`${proxy.url}/push/google`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${proxy.url}/push/google`, { method: 'POST', headers: { 'X-Goog-Channel-ID': alice.id, 'X-Goog-Resource-ID': alice.resourceId, 'X-Goog-Resource-State': 'exists', 'X-Goog-Channel-Token': alice.token! }, body: 'x'.repeat(64 * 1024) })).status).toBe(413);
    expect((await fetch(`${proxy.url}/push/google`)).status).toBe(405);
    expect((await fetch(`${proxy.url}/`, { method: 'POST' })).status).toBe(405);
    // Then a valid one for Carol: once her read is done, a read Alice's forgeries queued would have run too.
    const carolReadsBefore = reads(w, CAROL);
    const done = await metric(daemon.base, 'meetsync_push_reads_total{result="ok"}');
    expect((await notify(proxy.url, channelOf(CAROL))).status).toBe(200);
    await until(async () => (await metric(daemon.base, 'meetsync_push_reads_total{result="ok"}')) > done, 'the push read of Carol');
    expect(reads(w, CAROL)).toBe(carolReadsBefore + 1);
    expect(reads(w, w.calendar)).toBe(before);
    expect((await rejected('bad-token')) - rejectedBefore['bad-token']!).toBe(4);
    expect((await rejected('unknown-channel')) - rejectedBefore['unknown-channel']!).toBe(1);
    expect((await rejected('malformed')) - rejectedBefore.malformed!).toBe(1);
    expect((await rejected('too-large')) - rejectedBefore['too-large']!).toBe(1);
  });

  it("writes the join link within the notification's read, on a schedule that never comes, reading that calendar only", async () => {
    const alice = reads(w, w.calendar);
    const carol = reads(w, CAROL);
    const event = w.google.userInsert(w.calendar, tagged('Design review', 3));
    await until(() => hasLink(w, w.calendar, event.id), 'the join link written into the event');
    expect(reads(w, w.calendar)).toBeGreaterThan(alice);
    expect(reads(w, CAROL)).toBe(carol);
    expect(await metric(daemon.base, 'meetsync_push_channels{provider="google"}')).toBe(2);
    expect(await metric(daemon.base, 'meetsync_push_channel_next_expiry_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000);
  });

  it('folds a flood of notifications for one calendar into at most one read beyond the one in flight', async () => {
    const alice = channelOf(w.calendar);
    const before = reads(w, w.calendar);
    const coalescedBefore = await metric(daemon.base, 'meetsync_push_notifications_coalesced_total{provider="google"}');
    // The first read takes a while (the simulator answers it late): the flood arrives while it is in flight.
    w.google.injectSlow(1_500, 1);
    const answers = await Promise.all(Array.from({ length: 40 }, () => notify(proxy.url, alice)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // A change of Carol's after the flood: once its link is written, every read the flood queued is done.
    const event = w.google.userInsert(CAROL, tagged('Budget', 4));
    await until(() => hasLink(w, CAROL, event.id), "Carol's join link");
    const extra = reads(w, w.calendar) - before;
    expect(extra).toBeGreaterThanOrEqual(1);
    expect(extra).toBeLessThanOrEqual(2);
    expect((await metric(daemon.base, 'meetsync_push_notifications_coalesced_total{provider="google"}')) - coalescedBefore).toBeGreaterThanOrEqual(40 - 2);
  });

  it('keeps its channels across a restart, reads a change that came during a cycle right after it, and stops the channel of a calendar taken out of the config', async () => {
    const aliceChannel = channelOf(w.calendar).id;
    const carolChannel = channelOf(CAROL).id;
    const watchesBefore = watches(w, w.calendar);
    await daemon.stop();
    const down = await runCli(['--config', w.configPath, 'doctor'], { cwd: w.dir });
    expect(down.stdout).toContain(`WARN  push: ${proxy.url}/push/google answers HTTP 502: the proxy is there, but meetsync is not answering behind it`);
    // While it is down: a change whose notification is lost (the proxy has no daemon behind it).
    w.google.dropNotifications(1);
    const during = w.google.userInsert(w.calendar, tagged('Offsite', 5));
    // The next start's cycle creates that meeting slowly; meanwhile another change is notified.
    w.webMeeting.server.inject({ kind: 'delay', ms: 1500, method: 'POST', count: 1 });
    let later: { id: string } | undefined;
    w.webMeeting.server.onRequest = (req) => {
      if (req.method === 'POST' && !later) later = w.google.userInsert(w.calendar, tagged('Retro', 6));
    };
    writeConfig(w, original, [w.calendar], proxy.url, NEVER);
    daemon = await startDaemon(w, proxy);
    await until(() => hasLink(w, w.calendar, during.id), 'the link of the change made while stopped (the start cycle)');
    await until(() => later !== undefined && hasLink(w, w.calendar, later.id), 'the link of the change notified during the cycle');
    w.webMeeting.server.onRequest = undefined;
    await until(() => !w.google.openChannels().some((c) => c.calendarId === CAROL), "Carol's channel stopped");
    expect(w.google.server.requests.some((r) => r.path === '/calendar/v3/channels/stop' && r.body.includes(carolChannel))).toBe(true);
    expect(channelOf(w.calendar).id).toBe(aliceChannel);
    expect(watches(w, w.calendar)).toBe(watchesBefore);
    // A notification of the stopped channel is refused (its calendar is out of the config, its row gone).
    const db = new Database(w.dbPath, { readonly: true });
    expect(db.prepare('SELECT calendar_id FROM push_channels').all()).toEqual([{ calendar_id: w.calendar }]);
    db.close();
  });
});

describe('meetsync run with push: renewal, and polling as the safety net', () => {
  let w: CliWorld;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let daemon: Daemon;

  beforeAll(async () => {
    // Channels that live 6 seconds, and a cycle every second: renewed at half their lifetime.
    w = await startCliWorld({ google: { push: { channelTtlMs: 6_000, retryBaseMs: 50 } } });
    expect((await runCli(['--config', w.configPath, 'accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'A'], { cwd: w.dir })).code).toBe(0);
    proxy = await startProxy();
    writeConfig(w, readFileSync(w.configPath, 'utf8'), [w.calendar], proxy.url, '* * * * * *');
    daemon = await startDaemon(w, proxy);
    await until(() => w.google.openChannels().length === 1, 'a channel');
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await w?.close();
  });

  it('opens a new channel before the old one ends, then stops the old one', async () => {
    const first = w.google.openChannels()[0]!;
    await until(() => w.google.openChannels().some((c) => c.id !== first.id), 'a new channel');
    const renewedAt = Date.now();
    expect(renewedAt).toBeLessThan(first.expiration);
    await until(() => w.google.server.requests.some((r) => r.path === '/calendar/v3/channels/stop' && r.body.includes(first.id)), 'channels.stop of the old one');
    expect(w.google.openChannels().map((c) => c.id)).not.toContain(first.id);
  });

  it('writes the join link of a change whose notification was lost, at the next scheduled cycle', async () => {
    w.google.dropNotifications(1);
    const event = w.google.userInsert(w.calendar, tagged('Lost notification', 7));
    await until(() => hasLink(w, w.calendar, event.id), 'the join link by polling');
  });
});
