/**
 * How long a replica's claim of its calendars' leases takes on PostgreSQL (src/store/leases.ts),
 * the part of every cycle that replicas run one at a time: one replica taking every calendar, then
 * three replicas settling their shares and renewing them.
 *
 * Usage: node dist/bench/lease-claim.js ADMIN_URL [CALENDARS]   (default 10,000 calendars)
 * ADMIN_URL names a PostgreSQL server and a database to connect to for creating (and dropping) a
 * new one, e.g. postgres://meetsync@127.0.0.1:5432/postgres.
 */
import pg from 'pg';
import { CalendarLeases } from '../src/store/leases.js';
import { Store } from '../src/store/store.js';

async function main(): Promise<void> {
  const [admin, count] = process.argv.slice(2);
  if (!admin) {
    console.error('usage: node dist/bench/lease-claim.js ADMIN_URL [CALENDARS]');
    process.exit(2);
  }
  const n = Number(count ?? 10_000);
  const name = `meetsync_lease_bench_${Date.now()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const stores = [0, 1, 2].map(() => Store.open(url.toString()));
  try {
    const calendars = Array.from({ length: n }, (_, i) => ({ source: i % 2 ? 'google' : 'outlook', calendarId: `calendar-${i}` }));
    const leases = stores.map((store, i) => new CalendarLeases(store, { replicaId: `replica-${i}`, ttlMs: 60_000 }));
    const timed = (l: CalendarLeases) => {
      const began = performance.now();
      const served = l.claim(calendars).size;
      return `${Math.round(performance.now() - began)} ms (${served} calendars)`;
    };
    console.log(`${n} calendars; one replica alone takes them all: ${timed(leases[0]!)}`);
    for (let round = 1; round <= 3; round += 1) console.log(`round ${round}, three replicas in turn: ${leases.map(timed).join(' | ')}`);
  } finally {
    stores.forEach((s) => s.close());
    await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await client.end();
  }
}

await main();
