import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli, type CliResult, type CliWorld } from './cli-harness.js';

/** `meetsync run` with push on, as a process, behind a loopback "reverse proxy" (push.publicUrl). */

export interface Proxy {
  url: string;
  target: string | undefined;
  close(): Promise<void>;
}

/** A reverse proxy on loopback: push.publicUrl points here; it forwards to the daemon once known (502 before). */
export async function startProxy(): Promise<Proxy> {
  const proxy: Proxy = {
    url: '',
    target: undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    if (!proxy.target) {
      res.writeHead(502).end();
      return;
    }
    const upstream = http.request(`${proxy.target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

export interface Daemon {
  base: string;
  stderr: () => string;
  stop(): Promise<CliResult>;
}

export async function startDaemon(w: CliWorld, proxy: { target: string | undefined }): Promise<Daemon> {
  let child: ChildProcess | undefined;
  let stderr = '';
  const exited = runCli(['--config', w.configPath, 'run'], {
    cwd: w.dir,
    onSpawn: (c) => {
      child = c;
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    },
  });
  await until(() => /status page on http:\/\/(127\.0\.0\.1:\d+)\//.test(stderr), 'the listening line');
  const base = `http://${/status page on http:\/\/(127\.0\.0\.1:\d+)\//.exec(stderr)![1]}`;
  proxy.target = base;
  return {
    base,
    stderr: () => stderr,
    stop: async () => {
      child?.kill('SIGTERM');
      const result = await exited;
      proxy.target = undefined;
      return result;
    },
  };
}

/** One series' value from the daemon's /metrics (0 when absent). */
export async function metric(base: string, series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
