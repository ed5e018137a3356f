import { readFileSync, writeFileSync } from 'node:fs';
import type { GraphSimulator } from '../../src/simulators/graph/server.js';
import { startCliWorld, type CliWorld } from './cli-harness.js';

export { GRAPH_APP as DOCTOR_GRAPH_APP } from './cli-harness.js';

export interface DoctorWorld extends CliWorld {
  graph: GraphSimulator;
  mailbox: string;
  accountId: string;
  /** Every request the three simulators received that could change something (token requests aside). */
  writes(): string[];
}

/**
 * The CLI world with its Outlook mailbox (sources[1]) and an account in webMeeting.accountIds,
 * so every doctor check has something to try.
 */
export async function startDoctorWorld(options: { apiKey?: string } = {}): Promise<DoctorWorld> {
  const world = await startCliWorld({ ...options, outlook: true });
  const { account } = world.webMeeting.seedAccount({ adminEmail: world.calendar });
  writeFileSync(world.configPath, readFileSync(world.configPath, 'utf8').replace('accountIds: []', `accountIds: [${account.id}]`));
  const graph = world.graph!;
  const servers = [world.webMeeting.server, world.google.server, graph.server];
  return {
    ...world,
    graph,
    mailbox: world.mailbox!,
    accountId: account.id,
    writes: () =>
      servers.flatMap((s) => s.requests).filter((r) => r.method !== 'GET' && !(r.method === 'POST' && /token$/.test(r.path))).map((r) => `${r.method} ${r.path}`),
  };
}
