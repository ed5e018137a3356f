import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GoogleCalendarSimulator } from './google.js';
import { loadOrCreateTls } from './tls.js';
import { WebMeetingSimulator } from './webmeeting.js';

/** Fixed, well-known credentials of the local simulators: they guard nothing real. */
export const SIM_API_KEY = 'simulated-webmeeting-api-key';
export const SIM_OAUTH_CLIENT = {
  clientId: 'meetsync-sim-client.apps.googleusercontent.com',
  clientSecret: 'simulated-client-secret',
  refreshToken: 'simulated-refresh-token',
};

export interface LaunchOptions {
  /** Port of the Web Meeting simulator; the Google simulator takes the next one. 0 = random. */
  port: number;
  /** Folder for the CA, the server certificate and the sample config. */
  stateDir: string;
  /** Calendars to create on the Google simulator. */
  calendars: string[];
}

export interface RunningSimulators {
  webMeeting: WebMeetingSimulator;
  google: GoogleCalendarSimulator;
  caCertPath: string;
  configPath: string;
  stop(): Promise<void>;
}

/** Starts the simulators over https and writes a config that points meetsync at them. */
export async function launchSimulators(options: LaunchOptions): Promise<RunningSimulators> {
  const tls = loadOrCreateTls(options.stateDir);
  const webMeeting = new WebMeetingSimulator({ apiKey: SIM_API_KEY, tls, ...(options.port ? { port: options.port } : {}) });
  const google = new GoogleCalendarSimulator({ tls, oauthClients: [SIM_OAUTH_CLIENT], ...(options.port ? { port: options.port + 1 } : {}) });
  await webMeeting.start();
  await google.start();
  for (const id of options.calendars) google.addCalendar(id);
  const configPath = path.join(options.stateDir, 'meetsync.yaml');
  writeFileSync(configPath, sampleConfig(webMeeting.url, google, options.calendars), { mode: 0o600 });
  return {
    webMeeting,
    google,
    caCertPath: tls.caCertPath,
    configPath,
    stop: async () => {
      await webMeeting.stop();
      await google.stop();
    },
  };
}

function sampleConfig(webMeetingUrl: string, google: GoogleCalendarSimulator, calendars: string[]): string {
  return `# Written by 'meetsync simulate': points meetsync at the local simulators.
database: ./meetsync-sim.db
schedule: "* * * * *"
webMeeting:
  baseUrl: ${webMeetingUrl}
  apiKey: ${SIM_API_KEY}
  accountIds: []          # 'meetsync accounts create' stores organizers without this
sources:
  - name: sim-google
    kind: google
    calendars: [${calendars.join(', ')}]
    auth: { type: oauth, clientId: ${SIM_OAUTH_CLIENT.clientId}, clientSecret: ${SIM_OAUTH_CLIENT.clientSecret}, refreshToken: ${SIM_OAUTH_CLIENT.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
`;
}
