import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, E2E_API_KEY, OAUTH, runCli } from '../support/cli-harness.js';
import { DOCTOR_GRAPH_APP, startDoctorWorld, type DoctorWorld } from '../support/doctor-world.js';

let world: DoctorWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const doctor = (w: DoctorWorld, env: NodeJS.ProcessEnv = {}, args: string[] = []) =>
  runCli(['doctor', '--config', w.configPath, ...args], { cwd: w.dir, env });

/** The line of the first check whose text contains every part, with the `fix:` line after it. */
function lineWith(stdout: string, ...parts: string[]): string {
  const lines = stdout.split('\n');
  const i = lines.findIndex((l) => parts.every((p) => l.includes(p)));
  if (i < 0) throw new Error(`no line with ${parts.join(' + ')} in:\n${stdout}`);
  const next = lines[i + 1] ?? '';
  return next.startsWith('      fix: ') ? `${lines[i]}\n${next}` : lines[i]!;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The doctor as a process, piped, with when each line of its standard output arrived. */
function doctorTimed(w: DoctorWorld): Promise<{ code: number | null; stdout: string; lines: Array<{ text: string; at: number }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'doctor', '--config', w.configPath], { cwd: w.dir, env: { ...process.env, MEETSYNC_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const lines: Array<{ text: string; at: number }> = [];
    child.stdout.on('data', (d: Buffer) => {
      const at = Date.now();
      const before = stdout.split('\n').length - 1;
      stdout += d.toString();
      for (const text of stdout.split('\n').slice(before, -1)) lines.push({ text, at });
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, lines }));
  });
}

/** The doctor with standard output on a pseudo-terminal (util-linux `script`), as a person runs it. */
function doctorOnTerminal(w: DoctorWorld): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, 'doctor', '--config', w.configPath].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: w.dir, env: { ...process.env, MEETSYNC_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('meetsync doctor', () => {
  it('passes against the simulators, checks every target, changes nothing and creates no database', async () => {
    world = await startDoctorWorld();
    const r = await doctor(world);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The one warning: the platform was never probed (issue 16), which changes nothing.
    expect(r.stdout.split('\n').filter((l) => /^(FAIL|WARN)/.test(l))).toEqual([
      'WARN  platform profile: platform never probed: run meetsync doctor --probe-platform <email> before going live',
    ]);
    expect(lineWith(r.stdout, 'database', 'will be created on first sync')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'clock')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'Web Meeting platform', 'TLS certificate verifies')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'API key works', world.accountId)).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'organizers', `account ${world.accountId} (webMeeting.accountIds[0]) lists 1 organizer: ${world.calendar}`)).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'corp-google / alice@example.com', 'credentials work')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'corp-m365 / bob@example.com', 'credentials work')).toMatch(/^ok/);
    expect(r.stdout).toContain('All checks passed (1 warning).');
    expect(world.writes()).toEqual([]);
    expect(world.google.server.requests.some((q) => q.path.endsWith('/events') && q.query.maxResults === '1')).toBe(true);
    expect(world.graph.server.requests.some((q) => q.path.includes('/calendarView') && !q.path.includes('delta'))).toBe(true);
    expect(existsSync(world.dbPath)).toBe(false);
  });

  it('prints each check as it finishes, piped as plain lines: a slow mailbox does not hold back the rest', async () => {
    world = await startDoctorWorld();
    world.graph.server.inject({ kind: 'delay', ms: 2500, pathIncludes: '/calendarView' });
    const r = await doctorTimed(world);
    expect(r.code).toBe(0);
    const at = (part: string) => r.lines.find((l) => l.text.includes(part))?.at ?? Number.NaN;
    for (const early of ['ok    config:', 'ok    database:', 'corp-google / alice@example.com: credentials work', 'API key works']) {
      expect(at('corp-m365 / bob@example.com') - at(early), early).toBeGreaterThan(1500);
    }
    expect(r.lines.at(-1)?.text).toBe('All checks passed (1 warning).');
    // No progress line, no carriage return or cursor control in a pipe.
    expect(r.stdout).not.toMatch(/[\r\u001b]|checking calendars/);
  });

  it('on a terminal, shows the calendars checked so far on a line it rewrites, and erases it', async () => {
    world = await startDoctorWorld();
    world.graph.server.inject({ kind: 'delay', ms: 1500, pathIncludes: '/calendarView' });
    const r = await doctorOnTerminal(world);
    expect(r.code).toBe(0);
    expect(r.output).toContain('checking calendars: 0/2');
    // Alice's calendar answered at once, Bob's mailbox is slow: the line says how far it got.
    expect(r.output).toMatch(/\r\u001b\[2Kchecking calendars: 1\/2/);
    // What is left on the screen: every check and the verdict, no progress line.
    const screen = r.output.split(/\r?\n/).map((l) => l.split('\r\u001b[2K').at(-1)!).filter(Boolean);
    expect(screen.some((l) => l.startsWith('ok    corp-m365 / bob@example.com: credentials work'))).toBe(true);
    expect(screen.at(-1)).toBe('All checks passed (1 warning).');
    expect(screen.filter((l) => l.includes('checking calendars'))).toEqual([]);
  });

  it('--json reports every check with its status, and ok', async () => {
    world = await startDoctorWorld();
    const r = await doctor(world, {}, ['--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ status: string; subject: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.status)).not.toContain('FAIL');
    expect(report.checks.map((c) => c.subject)).toEqual(expect.arrayContaining(['config', 'database', 'clock', 'Web Meeting platform', 'corp-m365 / bob@example.com']));
  });

  it('fails on a wrong API key, naming the key to fix and never printing it', async () => {
    world = await startDoctorWorld({ apiKey: 'wrong-key-0123456789abcdef' });
    const r = await doctor(world);
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, 'refused the API key')).toMatch(/^FAIL.*\n\s+fix: check webMeeting\.apiKey/);
    expect(r.stdout + r.stderr).not.toContain('wrong-key-0123456789abcdef');
    expect(r.stdout + r.stderr).not.toContain(E2E_API_KEY);
  });

  it('fails on a wrong Google refresh token, and on a wrong client secret, each with its remedy', async () => {
    world = await startDoctorWorld();
    const badToken = await doctor(world, { TEST_GOOGLE_REFRESH: 'revoked-refresh-token-42' });
    expect(badToken.code).toBe(1);
    expect(lineWith(badToken.stdout, 'corp-google / alice@example.com')).toMatch(/^FAIL.*invalid_grant.*\n\s+fix: .*sources\[0\]\.auth\.refreshToken/);
    expect(lineWith(badToken.stdout, 'corp-m365 / bob@example.com')).toMatch(/^ok/);

    const badSecret = await doctor(world, { TEST_GOOGLE_SECRET: 'not-the-client-secret' });
    expect(badSecret.code).toBe(1);
    expect(lineWith(badSecret.stdout, 'corp-google / alice@example.com')).toMatch(/^FAIL.*invalid_client.*\n\s+fix: .*sources\[0\]\.auth\.clientSecret/);
    for (const out of [badToken.stdout, badSecret.stdout]) {
      expect(out).not.toContain('revoked-refresh-token-42');
      expect(out).not.toContain('not-the-client-secret');
      expect(out).not.toContain(OAUTH.clientSecret);
    }
  });

  it('says in words why a Google service account key file cannot be read', async () => {
    world = await startDoctorWorld();
    const config = readFileSync(world.configPath, 'utf8');
    const oauth = /auth: \{ type: oauth[^\n]*\}/.exec(config)![0];
    writeFileSync(world.configPath, config.replace(oauth, 'auth: { type: serviceAccount, keyFile: ./keys }'));
    mkdirSync(path.join(world.dir, 'keys'));
    const r = await doctor(world);
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, 'corp-google / alice@example.com')).toBe(
      `FAIL  corp-google / alice@example.com: credential refused: cannot read the Google service account key file ${path.join(world.dir, 'keys')}: it is a folder, not a file\n` +
        '      fix: download a JSON key of the service account and set sources[0].auth.keyFile to its path',
    );
  });

  it('fails on a wrong Graph client secret with the remedy for sources[1]', async () => {
    world = await startDoctorWorld();
    const r = await doctor(world, { TEST_GRAPH_SECRET: 'expired~graph~secret' });
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, 'corp-m365 / bob@example.com')).toMatch(/^FAIL.*client secret.*\n\s+fix: .*sources\[1\]\.auth\.clientSecret/);
    expect(lineWith(r.stdout, 'corp-google / alice@example.com')).toMatch(/^ok/);
    expect(r.stdout).not.toContain('expired~graph~secret');
    expect(r.stdout).not.toContain(DOCTOR_GRAPH_APP.clientSecret);
  });

  it('fails when an endpoint is down (a closed port), naming the config key, and skips what depends on it', async () => {
    world = await startDoctorWorld();
    const port = await closedPort();
    writeFileSync(world.configPath, readFileSync(world.configPath, 'utf8').replace(world.webMeeting.url, `https://127.0.0.1:${port}`));
    const r = await doctor(world);
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, `127.0.0.1:${port} does not answer`)).toMatch(/^FAIL.*ECONNREFUSED.*\n\s+fix: check webMeeting\.baseUrl/);
    expect(lineWith(r.stdout, 'API key not checked')).toMatch(/^--/);
    // The clock is still compared, with another endpoint's answer.
    expect(lineWith(r.stdout, 'clock')).toMatch(/^ok.*calendar provider/);
  });

  it('fails TLS when the CA is not trusted (no NODE_EXTRA_CA_CERTS), saying how to trust it', async () => {
    world = await startDoctorWorld();
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = await runCli(['doctor', '--config', world.configPath], { cwd: world.dir, env: { ...env, NODE_EXTRA_CA_CERTS: undefined } });
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, 'Web Meeting platform', 'TLS does not verify')).toMatch(/^FAIL.*\n\s+fix: point NODE_EXTRA_CA_CERTS at a PEM file/);
    expect(lineWith(r.stdout, 'Web Meeting platform', 'answers')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'corp-m365 (outlook)', 'TLS does not verify')).toMatch(/^FAIL/);
  });

  it('fails a database other users can read, and passes it once it is 0600', async () => {
    world = await startDoctorWorld();
    const sync = await runCli(['sync', '--config', world.configPath], { cwd: world.dir });
    expect(sync.code).toBe(0);
    chmodSync(world.dbPath, 0o644);
    const loose = await doctor(world);
    expect(loose.code).toBe(1);
    expect(lineWith(loose.stdout, 'database', 'mode 0644')).toMatch(/^FAIL.*\n\s+fix: chmod 600 /);
    chmodSync(world.dbPath, 0o600);
    const tight = await doctor(world);
    expect(tight.code).toBe(0);
    expect(lineWith(tight.stdout, 'database', 'migrations current')).toMatch(/^ok/);
  });

  it('fails a config with problems, listing them, and checks nothing else', async () => {
    world = await startDoctorWorld();
    const r = await doctor(world, { TEST_WM_KEY: '' });
    // A config error, as for every command (README, exit codes).
    expect(r.code).toBe(2);
    // One unset ${VAR}, one problem (not a second "required, must not be empty" at the same key).
    expect(lineWith(r.stdout, 'config')).toMatch(/^FAIL.*has 1 problem \(webMeeting\.apiKey — environment variable TEST_WM_KEY is not set[^;\n]*\)$/m);
    expect(world.webMeeting.server.requests).toEqual([]);
  });

  it('says in words why the config file cannot be read, and exits 2', async () => {
    world = await startDoctorWorld();
    const r = await runCli(['doctor', '--config', world.dir], { cwd: world.dir });
    expect(r.code).toBe(2);
    expect(lineWith(r.stdout, 'config')).toBe(`FAIL  config: cannot read ${world.dir}: it is a folder, not a file\n      fix: fix the config file (every key is documented in config.example.yaml), then run the doctor again`);
    expect(r.stdout).not.toMatch(/E[A-Z]{3,}/);
  });
});
