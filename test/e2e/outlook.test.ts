import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { STAMP_PROPERTY_ID } from '../../src/calendars/outlook/event.js';
import { GRAPH_APP, runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';

/** `meetsync` as a user runs it with a Google calendar and an Outlook mailbox in one config. */
describe('meetsync CLI with an Outlook source', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld({ outlook: true });
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const graph = () => w.graph!;
  const mailbox = () => w.mailbox!;
  const createOrganizers = async () => {
    for (const [email, first] of [[w.calendar, 'Alice'], [mailbox(), 'Bob']] as const) {
      expect((await cli('accounts', 'create', '--email', email, '--first', first, '--last', 'Example')).code).toBe(0);
    }
  };
  const googleEvent = () =>
    w.google.userInsert(w.calendar, {
      summary: 'Planning #webmeeting',
      start: { dateTime: '2030-01-07T09:00:00Z', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-01-07T10:00:00Z', timeZone: 'Europe/Berlin' },
    });
  const outlookEvent = () =>
    graph().userInsert(mailbox(), {
      subject: 'Budget review',
      categories: ['Web Meeting'],
      body: { contentType: 'html', content: '<html><body><p>Agenda: numbers</p></body></html>' },
      start: { dateTime: '2030-01-08T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2030-01-08T10:00:00', timeZone: 'W. Europe Standard Time' },
      attendees: [{ emailAddress: { address: 'carol@partner.example' } }],
    });
  const graphWrites = () => graph().server.requests.filter((r) => r.path.startsWith('/v1.0/') && r.method !== 'GET');

  it('syncs both sources in one run, writes back once into Outlook, then stays quiet; status lists the mailbox', async () => {
    await createOrganizers();
    googleEvent();
    const event = outlookEvent();

    const first = await cli('sync', '--json');

    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ created: 2, failed: 0 });
    expect(report.outcomes.find((o: { eventId: string }) => o.eventId === event.id)).toMatchObject({ source: 'corp-m365', calendarId: mailbox(), outcome: 'created' });
    expect(w.webMeeting.meetings().map((m) => m.topic).sort()).toEqual(['Budget review', 'Planning']);
    const meeting = w.webMeeting.meetings().find((m) => m.topic === 'Budget review')!;
    expect(meeting.startTime).toBe('2030-01-08T08:00:00.000Z');
    const written = graph().getEvent(mailbox(), event.id)!;
    // The join link (webMeeting.joinUrlTemplate default: <baseUrl>/meeting/<number>) in the location.
    expect(written.location.displayName).toBe(`${w.webMeeting.url}/meeting/${meeting.meetingId}`);
    expect(written.body.content).toContain('<p>Agenda: numbers</p>');
    expect(written.body.content.split(BLOCK_START)).toHaveLength(2);
    expect(written.singleValueExtendedProperties).toEqual([{ id: STAMP_PROPERTY_ID, value: expect.stringContaining(meeting.id) }]);
    expect(graphWrites()).toHaveLength(1);
    expect(graph().notifications(mailbox(), event.id)).toHaveLength(1);

    const platformCalls = w.webMeeting.server.requests.length;
    const second = await cli('sync', '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0, cancelled: 0, failed: 0 });
    expect(w.webMeeting.server.requests.length).toBe(platformCalls);
    expect(graphWrites()).toHaveLength(1);
    expect(graph().notifications(mailbox(), event.id)).toHaveLength(1);

    const status = await cli('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`corp-m365 / ${mailbox()}: ok`);
    expect(status.stdout).toContain(`corp-google / ${w.calendar}: ok`);
    expect(status.stdout.split(`corp-m365 / ${mailbox()}`)[1]).toMatch(/meetings: 1 active/);
  });

  it('runs as a daemon over both sources and exits 0 on SIGINT after its cycle', async () => {
    await createOrganizers();
    googleEvent();
    const event = outlookEvent();

    const r = await runCli(['--config', w.configPath, 'run'], {
      cwd: w.dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (w.google.server.received('PATCH').length === 1 && graphWrites().length === 1) {
            clearInterval(timer);
            setTimeout(() => child.kill('SIGINT'), 200);
          }
        }, 20);
      },
    });

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('meetsync daemon stopped');
    expect(r.stderr).not.toContain(GRAPH_APP.clientSecret);
    expect(w.webMeeting.meetings()).toHaveLength(2);
    expect(graph().notifications(mailbox(), event.id)).toHaveLength(1);
  });

  it('reports a wrong Outlook client secret as CREDENTIAL BROKEN for the mailbox alone, never printing it; Google goes on', async () => {
    await createOrganizers();
    googleEvent();
    outlookEvent();
    const wrong = 'wrong~graph~secret~0000';
    process.env.TEST_GRAPH_SECRET = wrong;

    const r = await cli('sync');

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`CREDENTIAL BROKEN corp-m365/${mailbox()}: .*AADSTS7000215.*sources\\[1\\]\\.auth\\.clientSecret`));
    expect(r.stdout).toContain('1 created');
    expect(w.webMeeting.meetings().map((m) => m.topic)).toEqual(['Planning']);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(graph().server.requests.filter((q) => q.path.startsWith('/v1.0/'))).toHaveLength(0);
    const status = await cli('status', '--json');
    expect(status.code).toBe(1);
    const calendars = JSON.parse(status.stdout).calendars as Array<{ source: string; consecutiveFailures: number; lastError?: string }>;
    expect(calendars.find((c) => c.source === 'corp-google')).toMatchObject({ consecutiveFailures: 0 });
    expect(calendars.find((c) => c.source === 'corp-m365')).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringMatching(/AADSTS7000215/) });
  });
});

describe('meetsync simulate', () => {
  let child: ChildProcess | undefined;
  let done: Promise<CliResult> | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await done;
  });

  it('runs the three simulators and writes a config with both sources that sync and status use as printed', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-simulate-'));
    // simulate keeps the CA it finds in its state dir; this one is the run's, which this process trusts.
    for (const file of ['ca.pem', 'server-key.pem', 'server-cert.pem']) copyFileSync(path.join(process.env.MEETSYNC_TEST_TLS_DIR!, file), path.join(stateDir, file));
    let printed = '';
    const started = new Promise<Record<string, any>>((resolve) => {
      done = runCli(['simulate', '--port', '0', '--state-dir', stateDir, '--json'], {
        cwd: stateDir,
        onSpawn: (c) => {
          child = c;
          c.stdout!.on('data', (d: Buffer) => {
            printed += d.toString();
            if (printed.includes('\n')) resolve(JSON.parse(printed.split('\n')[0]!) as Record<string, any>);
          });
        },
      });
    });
    const info = await started;
    const config = readFileSync(info.config, 'utf8');
    expect(config).toContain('kind: outlook');
    expect(config).toContain('mailboxes: [bob@example.com]');
    expect(config).toContain(`graphBaseUrl: ${info.graph.url}`);
    expect(config).toContain(`authorityHost: ${info.graph.url}`);
    expect(info.graph.graphBaseUrl).toBe(`${info.graph.url}/v1.0`);

    const env = { MEETSYNC_CONFIG: info.config, NODE_EXTRA_CA_CERTS: info.caCertificate };
    const meetsync = (...args: string[]) => runCli(args, { cwd: stateDir, env });
    expect((await meetsync('accounts', 'create', '--email', 'bob@example.com', '--first', 'Bob', '--last', 'Example')).code).toBe(0);
    const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const added = await fetch(`${info.graph.url}/_sim/mailboxes/bob@example.com/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'Budget review', categories: ['Web Meeting'], start: { dateTime: `${day}T09:00:00`, timeZone: 'UTC' }, end: { dateTime: `${day}T10:00:00`, timeZone: 'UTC' } }),
    });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };

    const sync = await meetsync('sync', '--json');
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ created: 1, failed: 0 });
    const events = (await (await fetch(`${info.graph.url}/_sim/mailboxes/bob@example.com/events`)).json()) as Array<{ id: string; location: { displayName: string } }>;
    expect(events.find((e) => e.id === id)?.location.displayName).toMatch(new RegExp(`^${info.webMeeting.url}/meeting/\\d{4}-\\d{4}-\\d{4}-\\d{4}$`));
    const status = await meetsync('status');
    expect(status.stdout).toContain('sim-outlook / bob@example.com: ok');
    expect(status.stdout).toContain('sim-google / alice@example.com: ok');

    child!.kill('SIGTERM');
    expect((await done!).code).toBe(0);
  });
});
