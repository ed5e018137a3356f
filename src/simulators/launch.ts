import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GoogleCalendarSimulator } from './google/server.js';
import { GraphSimulator } from './graph/server.js';
import { loadOrCreateTls } from './kit/tls.js';
import { WebMeetingSimulator } from './webmeeting/server.js';

/** Fixed, well-known credentials of the local simulators: they guard nothing real. */
export const SIM_API_KEY = 'simulated-webmeeting-api-key';
export const SIM_OAUTH_CLIENT = {
  clientId: 'meetsync-sim-client.apps.googleusercontent.com',
  clientSecret: 'simulated-client-secret',
  refreshToken: 'simulated-refresh-token',
};
/** The app registration the Graph simulator's token endpoint accepts (client credentials). */
export const SIM_GRAPH_APP = {
  tenantId: '00000000-0000-4000-8000-00000000517e',
  clientId: '00000000-0000-4000-8000-0000c11e0001',
  clientSecret: 'simulated-graph-client-secret',
};

export interface LaunchOptions {
  /** Port of the Web Meeting simulator; Google takes the next one, Microsoft Graph the one after. 0 = random. */
  port: number;
  /** Folder for the CA, the server certificate and the sample config. */
  stateDir: string;
  /** Calendars to create on the Google simulator. */
  calendars: string[];
  /** Mailboxes to create on the Graph simulator. */
  mailboxes: string[];
}

export interface RunningSimulators {
  webMeeting: WebMeetingSimulator;
  google: GoogleCalendarSimulator;
  graph: GraphSimulator;
  caCertPath: string;
  configPath: string;
  /** Writes the config again, naming these platform accounts in webMeeting.accountIds. */
  writeConfig(accountIds: readonly string[]): void;
  stop(): Promise<void>;
}

/** Starts the simulators over https and writes a config that points meetsync at them. */
export async function launchSimulators(options: LaunchOptions): Promise<RunningSimulators> {
  const tls = loadOrCreateTls(options.stateDir);
  const webMeeting = new WebMeetingSimulator({ apiKey: SIM_API_KEY, tls, ...(options.port ? { port: options.port } : {}) });
  const google = new GoogleCalendarSimulator({ tls, oauthClients: [SIM_OAUTH_CLIENT], ...(options.port ? { port: options.port + 1 } : {}) });
  const graph = new GraphSimulator({ tls, clients: [SIM_GRAPH_APP], mailboxes: options.mailboxes, ...(options.port ? { port: options.port + 2 } : {}) });
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const sim of [webMeeting, google, graph]) {
      await sim.start();
      started.push(sim);
    }
  } catch (err) {
    // A port taken by another program: the ones already listening are closed again.
    await Promise.all(started.map((sim) => sim.stop()));
    throw err;
  }
  for (const id of options.calendars) google.addCalendar(id);
  const configPath = path.join(options.stateDir, 'meetsync.yaml');
  const writeConfig = (accountIds: readonly string[]) => writeFileSync(configPath, sampleConfig(webMeeting.url, google, graph, options, accountIds), { mode: 0o600 });
  writeConfig([]);
  return {
    webMeeting,
    google,
    graph,
    caCertPath: tls.caCertPath,
    configPath,
    writeConfig,
    stop: async () => {
      await Promise.all([webMeeting.stop(), google.stop(), graph.stop()]);
    },
  };
}

function sampleConfig(webMeetingUrl: string, google: GoogleCalendarSimulator, graph: GraphSimulator, options: LaunchOptions, accountIds: readonly string[]): string {
  const accounts = accountIds.length > 0 ? `[${accountIds.join(', ')}]` : "[]          # 'meetsync accounts create' stores organizers without this";
  return `# Written by 'meetsync simulate' or 'meetsync demo': points meetsync at the local simulators.
database: ./meetsync-sim.db
schedule: "* * * * *"
webMeeting:
  baseUrl: ${webMeetingUrl}
  apiKey: ${SIM_API_KEY}
  accountIds: ${accounts}
sources:
  - name: sim-google
    kind: google
    calendars: [${options.calendars.join(', ')}]
    auth: { type: oauth, clientId: ${SIM_OAUTH_CLIENT.clientId}, clientSecret: ${SIM_OAUTH_CLIENT.clientSecret}, refreshToken: ${SIM_OAUTH_CLIENT.refreshToken} }
    rootUrl: ${google.rootUrl}
    tokenUrl: ${google.tokenUrl}
  - name: sim-outlook
    kind: outlook
    mailboxes: [${options.mailboxes.join(', ')}]
    auth: { tenantId: "${SIM_GRAPH_APP.tenantId}", clientId: "${SIM_GRAPH_APP.clientId}", clientSecret: ${SIM_GRAPH_APP.clientSecret} }
    # The simulator serves the Microsoft identity endpoints and Graph v1.0 on one origin.
    graphBaseUrl: ${graph.url}
    authorityHost: ${graph.url}
`;
}
