import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A subscriber's endpoint for the simulators' change notifications: a plain node:http server on
 * loopback that records every request and answers the validation handshake and notifications
 * the way a test sets it to.
 */

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the endpoint answers a validation request (`?validationToken=`). */
export type ValidationMode = 'echo' | 'echo-encoded' | 'echo-as-json' | 'hang';

export class WebhookReceiver {
  readonly received: Received[] = [];
  validation: ValidationMode = 'echo';
  /** Statuses for the next notifications, in order; 202 once they are used up. */
  statuses: number[] = [];
  /** How many of the next notifications get no answer at all (the connection stays open). */
  holdNotifications = 0;
  private server: http.Server | undefined;
  private readonly held = new Set<http.ServerResponse>();
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests to one path that carried notifications (not validations), their bodies parsed. */
  notifications(path: string): any[] {
    return this.received.filter((r) => r.path === path && !r.query.has('validationToken')).map((r) => JSON.parse(r.body));
  }

  validations(path?: string): Received[] {
    return this.received.filter((r) => r.query.has('validationToken') && (path === undefined || r.path === path));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    this.received.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    const token = url.searchParams.get('validationToken');
    if (token !== null) {
      switch (this.validation) {
        case 'hang':
          this.held.add(res);
          return;
        case 'echo-encoded':
          res.writeHead(200, { 'content-type': 'text/plain' }).end(encodeURIComponent(token));
          return;
        case 'echo-as-json':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(token));
          return;
        default:
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(token);
          return;
      }
    }
    if (this.holdNotifications > 0) {
      this.holdNotifications -= 1;
      this.held.add(res);
      return;
    }
    res.writeHead(this.statuses.shift() ?? 202).end();
  }
}

/** Waits until `check` holds (every 10 ms, for up to `timeoutMs`); throws with `what` otherwise. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
