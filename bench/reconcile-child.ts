/**
 * The measured half of the reconciliation benchmark (bench/run.ts starts it): one reconciliation
 * of a prepared database against the simulator the parent runs, in a process of its own, so that
 * its peak memory is the reconciliation's and not the fixture building's.
 * Usage: node dist/bench/reconcile-child.js <database> <platform url> <api key> <now ISO>
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/log.js';
import { reconcile } from '../src/reconcile/reconcile.js';
import { Store } from '../src/store/store.js';
import { WebMeetingClient } from '../src/webmeeting/client.js';

const [database, baseUrl, apiKey, now] = process.argv.slice(2) as [string, string, string, string];
const store = Store.open(database);
const platform = new WebMeetingClient({ baseUrl, apiKey });
const baselineRss = process.memoryUsage().rss;
const t0 = performance.now();
const report = await reconcile({ store, platform, logger: silentLogger(), now: () => new Date(now) });
const ms = performance.now() - t0;
store.close();
process.stdout.write(
  JSON.stringify({ ms, summary: report.summary, baselineRss, peakRss: process.resourceUsage().maxRSS * 1024, heapUsed: process.memoryUsage().heapUsed }),
);
