import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator, type WebMeetingSimulatorOptions } from '../../src/simulators/webmeeting/server.js';
import { checkAccountOrganizers } from '../../src/doctor/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';

/**
 * Issue 16 section 2: `meetsync doctor` says how many organizers each account lists, so that a
 * platform whose admin endpoint lists only an account's first organizer is seen before a sync.
 * The check against the Web Meeting simulator over real https.
 */

const API_KEY = 'doctor-organizers-key-0a1b2c3d4e5f';
const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
let sim: WebMeetingSimulator;

async function start(options: Partial<WebMeetingSimulatorOptions> = {}): Promise<WebMeetingClient> {
  sim = new WebMeetingSimulator({ ...options, apiKey: API_KEY, tls });
  await sim.start();
  return new WebMeetingClient({ baseUrl: sim.url, apiKey: API_KEY, retry: { attempts: 1 }, timeoutMs: 5_000 });
}

afterEach(async () => {
  await sim.stop();
});

describe('doctor: organizers each account lists', () => {
  it('one line per account with its count; an account that lists only its first organizer shows 1', async () => {
    const wm = await start({ adminList: 'first-only' });
    const one = sim.seedAccount({ adminEmail: 'ann@example.com' });
    sim.addUser(one.account.id, { email: 'bob@example.com' });
    const checks = await checkAccountOrganizers(wm, [{ id: one.account.id, from: 'webMeeting.accountIds[0]' }]);
    expect(checks).toEqual([{ status: 'ok', subject: 'organizers', detail: `account ${one.account.id} (webMeeting.accountIds[0]) lists 1 organizer: ann@example.com` }]);
  });

  it('every account is read; one that cannot be read is a warning naming where its id comes from', async () => {
    const wm = await start();
    const one = sim.seedAccount({ adminEmail: 'ann@example.com' });
    sim.addUser(one.account.id, { email: 'bob@example.com' });
    const checks = await checkAccountOrganizers(wm, [
      { id: one.account.id, from: 'webMeeting.accountIds[0]' },
      { id: '5e9459c5b863b82cefdddf4f', from: 'webMeeting.accountIds[1]' },
    ]);
    expect(checks.map((c) => [c.status, c.detail.replace(/:.*/, '')])).toEqual([
      ['ok', `account ${one.account.id} (webMeeting.accountIds[0]) lists 2 organizers`],
      ['WARN', 'account 5e9459c5b863b82cefdddf4f (webMeeting.accountIds[1]) could not be read'],
    ]);
    expect(checks[1]?.remedy).toContain('webMeeting.accountIds[1]');
  });
});
