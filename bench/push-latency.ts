/**
 * Tag-to-link latency with Google push notifications and with polling alone (issue 18): the
 * simulators over https in this process, `meetsync run` as a child process (the built CLI), an
 * organizer who tags a new event at random moments; the time from the event saved to its join
 * link written into it. One line per mode: p50, p95 and max.
 *
 * Usage: npm run build && node dist/bench/push-latency.js [CHANGES]   (default 20 per mode)
 * Push mode: schedule hourly, so every link comes from a notification's read. Polling mode: a
 * cycle every 10 seconds, no push.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleCalendarSimulator } from '../src/simulators/google/server.js';
import { loadOrCreateTls } from '../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../src/simulators/webmeeting/server.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/bin.js');
const OAUTH = { clientId: 'bench-client', clientSecret: 'bench-client-secret', refreshToken: 'bench-refresh-token' };
const API_KEY = 'bench-api-key-0123456789';
const CALENDAR = 'alice@example.com';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function mode(name: 'push' | 'polling', changes: number): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-push-bench-'));
  const tls = loadOrCreateTls(path.join(dir, 'tls'));
  const wm = new WebMeetingSimulator({ apiKey: API_KEY, tls });
  const google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
  await wm.start();
  await google.start();
  google.addCalendar(CALENDAR);
  const { account } = wm.seedAccount({ adminEmail: CALENDAR });
  const push = name === 'push';
  writeFileSync(
    path.join(dir, 'meetsync.yaml'),
    `database: ./meetsync.db
schedule: "${push ? '0 * * * *' : '*/10 * * * * *'}"
window: { pastDays: 1, futureDays: 3650 }
webMeeting: { baseUrl: ${wm.url}, apiKey: ${API_KEY}, accountIds: [${account.id}] }
http: { listen: "127.0.0.1:0" }
${push ? 'push: { publicUrl: "http://127.0.0.1:PORT" }\n' : ''}sources:
  - name: corp-google
    kind: google
    calendars: [${CALENDAR}]
    auth: { type: oauth, clientId: ${OAUTH.clientId}, clientSecret: ${OAUTH.clientSecret}, refreshToken: ${OAUTH.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
`,
  );
  // push.publicUrl must name the listener's port before it starts: a free one, found now.
  if (push) {
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as import('node:net').AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const file = path.join(dir, 'meetsync.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('127.0.0.1:0', `127.0.0.1:${port}`).replace('PORT', String(port)));
  }
  const child = spawn(process.execPath, [BIN, '--config', path.join(dir, 'meetsync.yaml'), 'run'], {
    cwd: dir,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertPath },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    // Ready: the first cycle done (and with push the channel open).
    for (let waited = 0; !/sync cycle finished/.test(stderr) || (push && google.openChannels().length === 0); waited += 50) {
      if (waited > 30_000) throw new Error(`meetsync run did not start:\n${stderr}`);
      await sleep(50);
    }
    const latencies: number[] = [];
    for (let i = 0; i < changes; i += 1) {
      await sleep(500 + Math.random() * 2_000);
      const day = String(1 + (i % 28)).padStart(2, '0');
      const saved = performance.now();
      const event = google.userInsert(CALENDAR, { summary: `Change ${i} #webmeeting`, start: { dateTime: `2031-03-${day}T09:00:00Z` }, end: { dateTime: `2031-03-${day}T10:00:00Z` } });
      while (!/Join: /.test(google.getEvent(CALENDAR, event.id)?.description ?? '')) {
        if (performance.now() - saved > 120_000) throw new Error(`no join link after 120 s:\n${stderr.slice(-2000)}`);
        await sleep(10);
      }
      latencies.push(performance.now() - saved);
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    return `${name}: p50 ${s(at(0.5))}, p95 ${s(at(0.95))}, max ${s(latencies.at(-1)!)} (${changes} changes${push ? '' : ', a cycle every 10 s'})`;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await google.stop();
    await wm.stop();
  }
}

const changes = Number(process.argv[2] ?? 20);
console.log(await mode('push', changes));
console.log(await mode('polling', changes));
