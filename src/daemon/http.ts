import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/listen.js';
import { ConfigError, describeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { HealthVerdict } from './health.js';
import { bodyLimitOf, PushReceiver } from './push/receiver.js';

/**
 * The daemon's small HTTP server (node:http): `GET /healthz`, `GET /metrics`, `GET /` (the status
 * page) and the latest reconciliation report, read-only: anything but GET or HEAD is 405. With
 * push on (issue 18), `POST /push/<provider>` takes providers' notifications (push/receiver.ts),
 * the one path that accepts a POST; a notification at most queues a read, through the daemon's
 * cycles.
 */

export interface StatusRoutes {
  health(): HealthVerdict;
  metrics(): Promise<{ contentType: string; text: string }>;
  page(): string;
  /** The reconciliation report's HTML, when there is one. */
  reconcileReport(): Buffer | undefined;
  /** One event's story (`meetsync explain`) as a page, or undefined when meetsync knows nothing of the event. */
  explain(key: { source: string; calendarId: string; eventId: string }): string | undefined;
  /** Push notifications, when push.publicUrl is set. */
  push?: PushReceiver;
}

export interface StatusServer {
  /** `127.0.0.1:9464`, with the port actually bound. */
  address: string;
  close(): Promise<void>;
}

/** The pages are self-contained: this policy keeps them so (no script, nothing fetched from anywhere). */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const RECONCILE_PATH = '/reconcile-latest.html';

type Answer = { status: number; type: string; body: string | Buffer; headers?: Record<string, string> };

const json = (status: number, value: unknown): Answer => ({ status, type: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` });
const page = (body: string | Buffer): Answer => ({ status: 200, type: 'text/html; charset=utf-8', body, headers: { 'content-security-policy': PAGE_POLICY } });

async function answer(routes: StatusRoutes, req: http.IncomingMessage, pathname: string, query: URLSearchParams): Promise<Answer> {
  const method = req.method ?? 'GET';
  const provider = routes.push ? PushReceiver.providerOf(pathname) : undefined;
  if (provider && routes.push) {
    if (method !== 'POST') return { ...json(405, { error: `${pathname} takes the provider's POST notifications` }), headers: { allow: 'POST' } };
    const push = routes.push;
    const body = await bodyWithin(req, bodyLimitOf(provider));
    if (body === undefined) {
      // The rest of the body is not read: the connection closes after the answer.
      const outcome = push.tooLarge(provider);
      return { ...json(outcome.status, outcome.body), headers: { connection: 'close' } };
    }
    const outcome = push.receive(provider, req.headers, body.toString('utf8'), query);
    // Graph's validation handshake: the token back as text/plain (nosniff is set on every answer).
    if (outcome.text !== undefined) return { status: outcome.status, type: 'text/plain; charset=utf-8', body: outcome.text };
    return json(outcome.status, outcome.body);
  }
  if (method !== 'GET' && method !== 'HEAD') return { ...json(405, { error: 'only GET and HEAD are served' }), headers: { allow: 'GET, HEAD' } };
  switch (pathname) {
    case '/healthz': {
      const verdict = routes.health();
      return json(verdict.healthy ? 200 : 503, verdict.body);
    }
    case '/metrics': {
      const { contentType, text } = await routes.metrics();
      return { status: 200, type: contentType, body: text };
    }
    case '/':
      return page(routes.page());
    case RECONCILE_PATH: {
      const report = routes.reconcileReport();
      return report ? page(report) : json(404, { error: 'no reconciliation report yet' });
    }
    default: {
      const key = explainKey(pathname);
      const story = key ? routes.explain(key) : undefined;
      if (story !== undefined) return page(story);
      if (key) return json(404, { error: 'meetsync knows nothing of this event; see / for the events needing attention' });
      return json(404, { error: `no page at ${pathname}; see /, /healthz, /metrics` });
    }
  }
}

/** `/explain/<source>/<calendar>/<event>`, each part percent-encoded (status-page.ts explainHref), as the event's key. */
function explainKey(pathname: string): { source: string; calendarId: string; eventId: string } | undefined {
  if (!pathname.startsWith('/explain/')) return undefined;
  const parts = pathname.slice('/explain/'.length).split('/');
  if (parts.length !== 3) return undefined;
  try {
    const [source, calendarId, eventId] = parts.map(decodeURIComponent) as [string, string, string];
    return source && calendarId && eventId ? { source, calendarId, eventId } : undefined;
  } catch {
    // Not percent-encoding (a stray %): no such page.
    return undefined;
  }
}

/** Reads the request body; undefined as soon as it is longer than `limit` bytes (or the request failed). */
function bodyWithin(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let length = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.pause();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(length <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', () => resolve(undefined));
  });
}

export async function startStatusServer(listen: ListenAddress, routes: StatusRoutes, logger: Logger): Promise<StatusServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    answer(routes, req, pathname, url.searchParams)
      .catch((err: unknown) => {
        logger.error({ path: pathname }, `status server: ${describeError(err)}`);
        return json(500, { error: describeError(err) });
      })
      .then((a) => {
        res.writeHead(a.status, {
          'content-type': a.type,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          ...a.headers,
        });
        res.end(req.method === 'HEAD' ? undefined : a.body);
      });
  });
  // A scraper holding a connection open must not keep the daemon from exiting.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use by another program' : err.code === 'EACCES' ? 'this user may not listen there (ports below 1024 need privileges)' : err.code === 'EADDRNOTAVAIL' ? 'this machine has no such address' : describeError(err);
      reject(new ConfigError(`http.listen ${listen.host}:${listen.port}: cannot listen: ${why}; choose another address or port`, [{ path: 'http.listen', message: why }]));
    });
    server.listen(listen.port, listen.host, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => logger.error(`status server: ${describeError(err)}`));
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
