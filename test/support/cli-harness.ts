import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleCalendarSimulator, type GoogleSimulatorOptions } from '../../src/simulators/google/server.js';
import { GraphSimulator, type GraphSimulatorOptions } from '../../src/simulators/graph/server.js';
import type { RecordedRequest } from '../../src/simulators/kit/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator, type WebMeetingSimulatorOptions } from '../../src/simulators/webmeeting/server.js';

/** The built CLI, as `npm install` leaves it (npm test builds before running the tests). */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/bin.js');

export const E2E_API_KEY = 'e2e-secret-api-key-9f8e7d6c5b4a';
export const OAUTH = { clientId: 'e2e-client', clientSecret: 'e2e-client-secret-abcdef', refreshToken: 'e2e-refresh-token-123456' };
export const GRAPH_APP = { tenantId: 'e2e0e2e0-0000-4000-8000-000000000001', clientId: 'e2e0e2e0-0000-4000-8000-0000000000c1', clientSecret: 'e2e~graph~client~secret' };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, MEETSYNC_CONFIG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.(child);
  });
}

export interface CliWorld {
  dir: string;
  configPath: string;
  dbPath: string;
  webMeeting: WebMeetingSimulator;
  google: GoogleCalendarSimulator;
  calendar: string;
  /** With `outlook: true`: the Graph simulator and the mailbox of the config's outlook source (sources[1]). */
  graph?: GraphSimulator;
  mailbox?: string;
  close(): Promise<void>;
}

/**
 * The simulators over https, and a config file pointing meetsync at them: the Web Meeting
 * platform and a Google calendar, and with `outlook: true` an Outlook mailbox on the Graph
 * simulator as a second source.
 */
export async function startCliWorld(
  options: {
    apiKey?: string;
    outlook?: boolean;
    onResponded?: (sim: 'webmeeting' | 'google' | 'graph', req: RecordedRequest, status: number) => void;
    /** The Web Meeting simulator's behaviours (feed, answers) beyond the defaults. */
    webMeeting?: Partial<Omit<WebMeetingSimulatorOptions, 'apiKey' | 'tls'>>;
    /** With `outlook: true`: more mailboxes in the Graph simulator (not in the config), and its notifications' behaviours. */
    graph?: Pick<GraphSimulatorOptions, 'notifications'> & { moreMailboxes?: string[] };
    /** The Google simulator's behaviours (push channels' lifetime and retries) beyond the defaults. */
    google?: Pick<GoogleSimulatorOptions, 'push'>;
  } = {},
): Promise<CliWorld> {
  const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-e2e-'));
  const told = (sim: 'webmeeting' | 'google' | 'graph') => (options.onResponded ? { onResponded: (req: RecordedRequest, status: number) => options.onResponded!(sim, req, status) } : {});
  const webMeeting = new WebMeetingSimulator({ ...options.webMeeting, apiKey: E2E_API_KEY, tls, ...told('webmeeting') });
  const google = new GoogleCalendarSimulator({ ...options.google, tls, oauthClients: [OAUTH], ...told('google') });
  await webMeeting.start();
  await google.start();
  const calendar = 'alice@example.com';
  google.addCalendar(calendar);
  const mailbox = 'bob@example.com';
  const graph = options.outlook ? new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: [mailbox, ...(options.graph?.moreMailboxes ?? [])], ...(options.graph?.notifications ? { notifications: options.graph.notifications } : {}), ...told('graph') }) : undefined;
  await graph?.start();
  const outlookSource = graph
    ? `  - name: corp-m365
    kind: outlook
    mailboxes: [${mailbox}]
    auth: { tenantId: ${GRAPH_APP.tenantId}, clientId: ${GRAPH_APP.clientId}, clientSecret: "\${TEST_GRAPH_SECRET}" }
    graphBaseUrl: ${graph.url}
    authorityHost: ${graph.url}
`
    : '';
  const configPath = path.join(dir, 'meetsync.yaml');
  const dbPath = path.join(dir, 'data', 'meetsync.db');
  writeFileSync(
    configPath,
    `database: ./data/meetsync.db
schedule: "*/5 * * * *"
window: { pastDays: 1, futureDays: 3650 }
webMeeting:
  baseUrl: ${webMeeting.url}
  apiKey: \${TEST_WM_KEY}
  accountIds: []
sources:
  - name: corp-google
    kind: google
    calendars: [${calendar}]
    auth: { type: oauth, clientId: ${OAUTH.clientId}, clientSecret: "\${TEST_GOOGLE_SECRET}", refreshToken: "\${TEST_GOOGLE_REFRESH}" }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
${outlookSource}`,
  );
  process.env.TEST_WM_KEY = options.apiKey ?? E2E_API_KEY;
  process.env.TEST_GOOGLE_SECRET = OAUTH.clientSecret;
  process.env.TEST_GOOGLE_REFRESH = OAUTH.refreshToken;
  process.env.TEST_GRAPH_SECRET = GRAPH_APP.clientSecret;
  return {
    dir,
    configPath,
    dbPath,
    webMeeting,
    google,
    calendar,
    ...(graph ? { graph, mailbox } : {}),
    close: async () => {
      await webMeeting.stop();
      await google.stop();
      await graph?.stop();
    },
  };
}
