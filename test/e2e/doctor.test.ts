import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { E2E_API_KEY, OAUTH, runCli } from '../support/cli-harness.js';
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
    expect(lineWith(r.stdout, 'corp-google / alice@example.com', 'credentials work')).toMatch(/^ok/);
    expect(lineWith(r.stdout, 'corp-m365 / bob@example.com', 'credentials work')).toMatch(/^ok/);
    expect(r.stdout).toContain('All checks passed (1 warning).');
    expect(world.writes()).toEqual([]);
    expect(world.google.server.requests.some((q) => q.path.endsWith('/events') && q.query.maxResults === '1')).toBe(true);
    expect(world.graph.server.requests.some((q) => q.path.includes('/calendarView') && !q.path.includes('delta'))).toBe(true);
    expect(existsSync(world.dbPath)).toBe(false);
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
    expect(r.code).toBe(1);
    expect(lineWith(r.stdout, 'config')).toMatch(/^FAIL.*webMeeting\.apiKey — environment variable TEST_WM_KEY is not set/);
    expect(world.webMeeting.server.requests).toEqual([]);
  });
});
