import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_API_KEY, runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { launchChromium } from '../support/browser.js';
import { until } from '../support/push-daemon.js';

/** A title as hostile as an outside invitation can make it: markup, a script, an event handler. */
const HOSTILE = `<img src=/x onerror="document.title='pwned'"><script>document.title='pwned'</script>Board & "friends" #webmeeting`;
const HOSTILE_SHOWN = `<img src=/x onerror="document.title='pwned'"><script>document.title='pwned'</script>Board & "friends"`;

/** `meetsync run` with `http.listen` set, as a process; the endpoints over real HTTP. */
describe('meetsync run: /healthz, /metrics and the status page', () => {
  let w: CliWorld;
  let child: ChildProcess | undefined;
  let exited: Promise<CliResult>;
  let stderr = '';
  let base = '';

  beforeAll(async () => {
    w = await startCliWorld();
    expect((await runCli(['--config', w.configPath, 'accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'A'], { cwd: w.dir })).code).toBe(0);
    // Every second, so the tests see several cycles; port 0: the log says which one.
    const config = readFileSync(w.configPath, 'utf8').replace('schedule: "*/5 * * * *"', 'schedule: "* * * * * *"');
    // The scheduled reconciliation keeps its reports in their own folder (it does not run during the test).
    writeFileSync(w.configPath, `${config}http: { listen: "127.0.0.1:0" }\nreconcile: { schedule: "0 0 1 1 *", reportDir: reports }\n`);
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    // All-day: skipped, so it is listed with its reason among the events needing attention.
    w.google.userInsert(w.calendar, { summary: HOSTILE, start: { date: '2030-01-08' }, end: { date: '2030-01-09' } });
    exited = runCli(['--config', w.configPath, 'run'], {
      cwd: w.dir,
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      },
    });
    await until(() => /status page on http:\/\/(127\.0\.0\.1:\d+)\//.test(stderr), 'the listening line');
    base = `http://${/status page on http:\/\/(127\.0\.0\.1:\d+)\//.exec(stderr)![1]}`;
    await until(async () => (await fetch(`${base}/healthz`)).status === 200, '/healthz 200');
  });

  afterAll(async () => {
    child?.kill('SIGTERM');
    await exited;
    await w.close();
  });

  it('GET /healthz answers 200 with the last success while cycles succeed', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { status: string; lastSuccessAt: string };
    expect(body.status).toBe('ok');
    expect(Date.now() - Date.parse(body.lastSuccessAt)).toBeLessThan(10_000);
  });

  it('GET /metrics has cycles, their duration, platform requests by status, meetings by state, failing calendars and the last success', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (!line) throw new Error(`no ${series} in:\n${text}`);
      return Number(line.slice(series.length + 1));
    };
    expect(value('meetsync_cycles_total{result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value('meetsync_cycle_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // The POST that created the meeting and the reads of the account's organizers.
    expect(value('meetsync_requests_total{target="webmeeting",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(value('meetsync_requests_total{target="google",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(value('meetsync_meetings{state="active"}')).toBe(1);
    expect(value('meetsync_failing_calendars')).toBe(0);
    expect(value('meetsync_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 30);
  });

  it("GET /metrics has the tag-to-link histogram, counting the join link written for the tagged event", async () => {
    // The meeting was made on the first cycle: one link written, observed under its provider.
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^# TYPE meetsync_tag_to_link_seconds histogram$/m);
    expect(text).toMatch(/^meetsync_tag_to_link_seconds_count\{provider="google"\} 1$/m);
    expect(text).toMatch(/^meetsync_tag_to_link_seconds_bucket\{le="1800",provider="google"\} 1$/m);
    expect(Number(/^meetsync_tag_to_link_seconds_sum\{provider="google"\} (\S+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(0);
  });

  it('answers 404 for an unknown path and 405 for anything but GET', async () => {
    expect((await fetch(`${base}/admin`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });

  it('renders the status page in headless Chromium: no request but the page, no console error, a hostile title as text', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const res = await page.goto(`${base}/`);
      expect(res?.status()).toBe(200);
      expect(await page.title()).toBe('meetsync status');
      expect(await page.locator('#health').innerText()).toMatch(/healthy/);
      const calendars = await page.locator('#calendars tbody tr').allInnerTexts();
      expect(calendars).toHaveLength(1);
      expect(calendars[0]).toMatch(/corp-google\s+alice@example\.com\s+ok/);
      const problemRows = await page.locator('#problems tbody tr').allInnerTexts();
      expect(problemRows.some((r) => r.includes(HOSTILE_SHOWN) && /all-day/i.test(r))).toBe(true);
      expect(await page.locator('script, img').count()).toBe(0);
      expect(requests).toEqual([`${base}/`]);
      expect(problems).toEqual([]);
      await page.screenshot({ path: path.join(w.dir, 'status-page.png'), fullPage: true });
      if (process.env.MEETSYNC_SCREENSHOT) await page.screenshot({ path: process.env.MEETSYNC_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("links each event needing attention to its story, a page without script that shows the hostile title as text", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${base}/`);
      const link = page.locator('#problems tbody tr a', { hasText: 'Board & "friends"' });
      const href = await link.getAttribute('href');
      expect(href).toMatch(/^\/explain\/corp-google\/alice%40example\.com\/[\w-]+$/);
      await link.click();
      await page.waitForURL(`${base}${href}`);
      expect(await page.locator('h1').innerText()).toBe(HOSTILE);
      expect(await page.locator('#event').innerText()).toMatch(/decision\s+wants no meeting: all-day event: give it a start and end time/i);
      expect(await page.locator('#journal tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/read .*no meeting \(skip\): all-day event/)]);
      expect(await page.locator('#next').innerText()).toMatch(/nothing until the event changes/);
      expect(await page.locator('script, img').count()).toBe(0);
      expect(requests).toEqual([`${base}/`, `${base}${href}`]);
      expect(problems).toEqual([]);
      const res = await fetch(`${base}${href}`);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect((await fetch(`${base}/explain/corp-google/alice%40example.com/no-such-event`)).status).toBe(404);
      expect((await fetch(`${base}/explain/%E0%A4%A`)).status).toBe(404);
    } finally {
      await browser.close();
    }
  });

  it('links the latest reconciliation report once its file exists in reconcile.reportDir, and serves it', async () => {
    const before = await (await fetch(`${base}/`)).text();
    const reports = path.join(path.dirname(w.configPath), 'reports');
    // Where the scheduled reconciliation really writes (reconcile.reportDir here), and what writes it.
    expect(before).toContain(`No reconciliation report yet: <code>meetsync run</code> writes <code>reconcile-latest.html</code> and <code>reconcile-latest.json</code> into <code>${reports}</code> at each scheduled reconciliation`);
    expect(before).not.toContain('beside the database');
    mkdirSync(reports, { recursive: true });
    writeFileSync(path.join(reports, 'reconcile-latest.html'), '<!doctype html><title>Reconciliation</title><p>3 findings</p>');
    const after = await (await fetch(`${base}/`)).text();
    expect(after).toContain('<a href="/reconcile-latest.html">Latest reconciliation report</a>');
    const report = await fetch(`${base}/reconcile-latest.html`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await report.text()).toContain('3 findings');
  });

  it('shows the last scheduled reconciliation on the page and in /metrics, and says "needs attention" instead of "healthy" while it has findings', async () => {
    const metricsBefore = await (await fetch(`${base}/metrics`)).text();
    expect(metricsBefore).toMatch(/^meetsync_reconcile_last_timestamp_seconds 0$/m);
    expect(metricsBefore).toMatch(/^meetsync_reconcile_open_findings 0$/m);
    // A person moves the meeting on the platform; the reconciliation's report is the file the daemon keeps.
    const meeting = w.webMeeting.meetings().find((m) => m.topic === 'Planning')!;
    const person = new WebMeetingClient({ baseUrl: w.webMeeting.url, apiKey: E2E_API_KEY });
    await person.updateMeeting(meeting.addedByUserId, meeting.id, {
      topic: meeting.topic, startTime: '2030-01-07T11:00:00.000Z', endTime: '2030-01-07T12:00:00.000Z', agenda: meeting.agenda,
      type: 'standard', isRecorded: false, isDialin: false, recurrence: null,
    });
    const reports = path.join(path.dirname(w.configPath), 'reports');
    // The two files the scheduled reconciliation keeps (reconcile/report-files.ts).
    for (const format of ['html', 'json']) {
      const made = await runCli(['--config', w.configPath, 'reconcile', '--format', format, '--output', path.join(reports, `reconcile-latest.${format}`)], { cwd: w.dir });
      expect(made.code, made.stderr).toBe(3);
    }
    const written = Date.now() / 1000;

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      await page.goto(`${base}/`);
      const health = await page.locator('#health').innerText();
      expect(health).not.toMatch(/healthy/);
      expect(health).toMatch(/^needs attention sync cycles succeed \(last .*\), but the last scheduled reconciliation, 0 min ago, found 1 finding that needs attention \(1 time drift\)/);
      const section = await page.locator('#reconcile').innerText();
      expect(section).toMatch(/^Last scheduled reconciliation \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z \(0 min ago\): 1 finding needs attention \(1 time drift\) Latest reconciliation report \(written /);
      expect(await page.locator('#reconcile a').getAttribute('href')).toBe('/reconcile-latest.html');
      expect(problems).toEqual([]);
      await page.screenshot({ path: path.join(w.dir, 'status-page-findings.png'), fullPage: true });
      if (process.env.MEETSYNC_SCREENSHOT) await page.screenshot({ path: process.env.MEETSYNC_SCREENSHOT.replace(/\.png$/, '-findings.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    // The daemon itself is up and syncing: /healthz (liveness) stays 200.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^meetsync_reconcile_findings\{kind="time-drift"\} 1$/m);
    expect(metrics).toMatch(/^meetsync_reconcile_findings\{kind="in-step"\} 0$/m);
    expect(metrics).toMatch(/^meetsync_reconcile_open_findings 1$/m);
    const at = Number(/^meetsync_reconcile_last_timestamp_seconds (\S+)$/m.exec(metrics)![1]);
    expect(written - at).toBeGreaterThanOrEqual(0);
    expect(written - at).toBeLessThan(60);
  });

  it('GET /healthz answers 503 with the reason once a cycle fails, and metrics count the failing calendar', async () => {
    w.google.server.inject({ kind: 'status', status: 404, count: 10_000, pathIncludes: '/calendar/v3/' });
    await until(async () => (await fetch(`${base}/healthz`)).status === 503, '/healthz 503');
    const body = (await (await fetch(`${base}/healthz`)).json()) as { status: string; reason: string; lastSuccessAt: string };
    expect(body.status).toBe('failing');
    expect(body.reason).toMatch(/^the last sync cycle failed: corp-google\/alice@example\.com: /);
    expect(body.lastSuccessAt).toMatch(/^\d{4}-/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^meetsync_failing_calendars 1$/m);
    expect(metrics).toMatch(/^meetsync_cycles_total\{result="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^meetsync_requests_total\{target="google",status="404"\} [1-9]/m);
  });

  it('stops on SIGTERM with exit 0 and closes the port', async () => {
    child!.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
