import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { GraphSimulator } from '../../src/simulators/graph.js';
import { loadOrCreateTls } from '../../src/simulators/tls.js';
import { startCliWorld, type CliWorld } from './cli-harness.js';

/** The e2e Graph app registration (client credentials); its secret reaches the config through ${TEST_GRAPH_SECRET}. */
export const DOCTOR_GRAPH_APP = {
  tenantId: 'd0c70000-0000-4000-8000-000000000001',
  clientId: 'd0c70000-0000-4000-8000-0000000000c1',
  clientSecret: 'doctor~graph~client~secret',
};

export interface DoctorWorld extends CliWorld {
  graph: GraphSimulator;
  mailbox: string;
  accountId: string;
  /** Every request the three simulators received that could change something. */
  writes(): string[];
}

/**
 * The CLI world (Web Meeting + Google) with an Outlook mailbox on the Graph simulator as a second
 * source (sources[1]) and an account in webMeeting.accountIds, so every doctor check has
 * something to try.
 */
export async function startDoctorWorld(options: { apiKey?: string } = {}): Promise<DoctorWorld> {
  const world = await startCliWorld(options);
  const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
  const mailbox = 'bob@example.com';
  const graph = new GraphSimulator({ tls, clients: [DOCTOR_GRAPH_APP], mailboxes: [mailbox] });
  await graph.start();
  const { account } = world.webMeeting.seedAccount({ adminEmail: 'alice@example.com' });
  const text = readFileSync(world.configPath, 'utf8').replace('accountIds: []', `accountIds: [${account.id}]`);
  writeFileSync(world.configPath, text);
  appendFileSync(
    world.configPath,
    `  - name: corp-m365
    kind: outlook
    mailboxes: [${mailbox}]
    auth: { tenantId: ${DOCTOR_GRAPH_APP.tenantId}, clientId: ${DOCTOR_GRAPH_APP.clientId}, clientSecret: "\${TEST_GRAPH_SECRET}" }
    graphBaseUrl: ${graph.url}
    authorityHost: ${graph.url}
`,
  );
  process.env.TEST_GRAPH_SECRET = DOCTOR_GRAPH_APP.clientSecret;
  const servers = [world.webMeeting.server, world.google.server, graph.server];
  return {
    ...world,
    graph,
    mailbox,
    accountId: account.id,
    writes: () =>
      servers.flatMap((s) => s.requests).filter((r) => r.method !== 'GET' && !(r.method === 'POST' && /token$/.test(r.path))).map((r) => `${r.method} ${r.path}`),
    close: async () => {
      await world.close();
      await graph.stop();
    },
  };
}
