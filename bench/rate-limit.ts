/**
 * The per-user rate limiter (src/net/request-rate.ts) under the demand of issue 18's soak, on the
 * wall clock: every cycle asks for `--per-cycle` turns of one user at once (one OAuth user holds
 * every Google calendar) and waits until the last is granted; cycles start every `--cycle-ms`.
 * The soak's demand, 50 requests every 10 s against 600 a minute, is half the quota; time is
 * scaled down 10x by default (600 per 6 s, a cycle every second) so the window fills within
 * seconds instead of minutes. Prints the limiter's wait per cycle before and after the first
 * full window: with a limiter that adds no latency below the quota, both are 0.
 *
 * Usage: npm run bench:rate -- [--limit 600] [--interval-ms 6000] [--cycle-ms 1000] [--per-cycle 50] [--cycles 30]
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { UserRateLimits } from '../src/net/request-rate.js';

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '600' },
    'interval-ms': { type: 'string', default: '6000' },
    'cycle-ms': { type: 'string', default: '1000' },
    'per-cycle': { type: 'string', default: '50' },
    cycles: { type: 'string', default: '30' },
  },
});
const limit = Number(values.limit);
const intervalMs = Number(values['interval-ms']);
const cycleMs = Number(values['cycle-ms']);
const perCycle = Number(values['per-cycle']);
const cycles = Number(values.cycles);

const limits = new UserRateLimits({ limit, intervalMs });
const waits: number[] = [];
const began = performance.now();
for (let cycle = 0; cycle < cycles; cycle += 1) {
  const start = performance.now();
  await Promise.all(Array.from({ length: perCycle }, () => limits.turn('')));
  waits.push(performance.now() - start);
  const next = began + (cycle + 1) * cycleMs;
  await sleep(Math.max(0, next - performance.now()));
}

const filling = Math.ceil(intervalMs / cycleMs);
const summary = (label: string, list: number[]): string => {
  const sorted = [...list].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `${label}: limiter wait per cycle p50 ${at(0.5).toFixed(1)} ms, max ${at(1).toFixed(1)} ms (${list.length} cycles)`;
};
const demand = (perCycle * intervalMs) / cycleMs;
console.log(`demand ${perCycle} requests every ${cycleMs} ms = ${demand} per ${intervalMs} ms against a limit of ${limit} (${Math.round((100 * demand) / limit)}% of the quota)`);
console.log(summary(`cycles 1-${filling} (first window)`, waits.slice(0, filling)));
console.log(summary(`cycles ${filling + 1}-${cycles} (window full)`, waits.slice(filling)));
