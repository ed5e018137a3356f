import type { StatusReport } from '../../src/status.js';

/**
 * How long until meetsync's next scheduled retry (domain/attention.ts): a world that settles
 * waits that long, as cron ticks with nothing to do would, instead of taking a quiet cycle for
 * the end. Undefined when nothing waits for a time meetsync set itself.
 */
export function msToNextTry(status: Pick<StatusReport, 'attention'>, now: Date): number | undefined {
  const waits = status.attention
    .filter((a) => !a.needsPerson && /^\d/.test(a.nextTry))
    .map((a) => Date.parse(a.nextTry) - now.getTime())
    .filter((ms) => ms > 0);
  return waits.length === 0 ? undefined : Math.min(...waits);
}
