/**
 * The floor of the real-path benchmark (sync-paths.ts starts it): the calendar reads of one
 * meetsync cycle sent again as bare HTTPS GETs (Node https, keep-alive), with nothing parsed or
 * stored: what reading those answers costs at the least. Each calendar's requests go one after
 * the other, as its pages must (a page names the next); up to `concurrency` calendars at once.
 * It runs in a process of its own, as meetsync does, so that it competes with the simulators for
 * the CPU the same way. Trusts the simulators' CA through NODE_EXTRA_CA_CERTS.
 * Input (stdin, JSON): {concurrency, chains: [[{url, headers}]]}. Output (stdout, JSON).
 */
import https from 'node:https';
import { performance } from 'node:perf_hooks';

interface FloorInput {
  concurrency: number;
  chains: Array<Array<{ url: string; headers: Record<string, string> }>>;
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FloorInput;
const agent = new https.Agent({ keepAlive: true, maxSockets: input.concurrency });

function get(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'GET', headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const cpu0 = process.cpuUsage();
const queue = [...input.chains];
let requests = 0;
let bytes = 0;
let notOk = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: Math.min(input.concurrency, queue.length) }, async () => {
    for (let chain = queue.shift(); chain; chain = queue.shift()) {
      for (const r of chain) {
        const answer = await get(r.url, r.headers);
        requests += 1;
        bytes += answer.bytes;
        if (answer.status !== 200) notOk += 1;
      }
    }
  }),
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
agent.destroy();
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, requests, bytes, notOk }));
