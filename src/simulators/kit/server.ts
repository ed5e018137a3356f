import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { FaultDice, type DrawnFault, type FaultCampaign, type FaultKind, type FaultWire } from './faults.js';
import type { TlsMaterial } from './tls.js';

/**
 * What every simulator shares: a real HTTP(S) server on a random loopback port, a log of every
 * request it received (tests count and inspect them instead of stubbing fetch), fault injection,
 * and control endpoints under /_sim/ so a test in another process can do the same.
 * Simulators are written from the providers' documents: nothing here imports meetsync's code.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  /**
   * For a request held by a 'hang' or 'stall-body' fault: how long after it arrived the client
   * closed the connection (gave up). Stays undefined while the client keeps waiting.
   */
  abandonedAfterMs?: number;
}

export type Fault = FaultKind & {
  /** How many matching requests this fault applies to (default 1). */
  count?: number;
  /** Only requests with this method (default any). */
  method?: string;
  /** Only requests whose path contains this text (default any). */
  pathIncludes?: string;
};

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when empty); throws SyntaxError on invalid JSON. */
  json(): unknown;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface SimServerOptions {
  /** Serve https with this material instead of plain http. */
  tls?: TlsMaterial;
  port?: number;
  host?: string;
  /** Called after a response has been fully written (tests use it to act between steps). */
  onResponded?: (req: RecordedRequest, status: number) => void;
  /** The simulator's own /_sim/ endpoints (seeding data, acting as a user), tried after the kit's. */
  control?: Handler;
  /** How this simulator's provider answers each kind of a fault campaign (faults.ts). */
  faultWire?: FaultWire;
}

export class SimServer {
  readonly requests: RecordedRequest[] = [];
  private faults: Array<Fault & { remaining: number }> = [];
  private dice: FaultDice | undefined;
  private campaignPaused = false;
  private server: http.Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** Connections accepted since start: with keep-alive, far fewer than requests (the bench reports both). */
  connectionsOpened = 0;
  private stopping = false;
  url = '';
  /** Told of each request as it arrives, before faults or handling (a test acts then, e.g. kills the client). */
  onRequest: ((req: RecordedRequest) => void) | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly options: SimServerOptions = {},
  ) {}

  async start(): Promise<string> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.options.tls
      ? https.createServer({ key: this.options.tls.keyPem, cert: this.options.tls.certPem }, listener)
      : http.createServer(listener);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      this.connectionsOpened += 1;
      socket.on('close', () => this.sockets.delete(socket));
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.stopping = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
    this.stopping = false;
  }

  /** Makes the next matching request(s) fail as described. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /**
   * Starts a fault campaign (faults.ts): from now on a seeded random share of requests fails in
   * this provider's wire format, after any fault queued with inject(). null ends it. Returns
   * the faults drawn so far by the campaign that ends.
   */
  campaign(campaign: FaultCampaign | null): DrawnFault[] {
    const drawn = this.dice?.drawn ?? [];
    if (campaign && !this.options.faultWire) throw new Error('this simulator has no fault campaign (no faultWire)');
    this.dice = campaign ? new FaultDice(campaign, this.options.faultWire!) : undefined;
    return drawn;
  }

  /**
   * Holds the running campaign (no random faults, none drawn) while `paused`, so a test can have
   * one cycle fail only as it injects; the campaign goes on where it stopped.
   */
  pauseCampaign(paused: boolean): void {
    this.campaignPaused = paused;
  }

  /** Faults the running campaign drew so far. */
  campaignFaults(): DrawnFault[] {
    return [...(this.dice?.drawn ?? [])];
  }

  /** Requests received, optionally only those of one method whose path contains `pathIncludes`. */
  received(method?: string, pathIncludes?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => (!method || r.method === method) && (!pathIncludes || r.path.includes(pathIncludes)),
    );
  }

  private takeFault(method: string, path: string, query: URLSearchParams): FaultKind | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (!f.method || f.method === method) && (!f.pathIncludes || path.includes(f.pathIncludes)),
    );
    if (!fault) return this.campaignPaused ? undefined : this.dice?.draw({ origin: this.url, method, path, query });
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const method = req.method ?? 'GET';
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: Date.now(),
    };

    const simRequest: SimRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json: () => (body.trim() === '' ? undefined : JSON.parse(body)),
    };
    let answer: SimResponse;
    let fault: FaultKind | undefined;
    if (url.pathname.startsWith('/_sim/')) {
      try {
        answer = this.control(method, url.pathname, body);
        if (answer.status === 404 && this.options.control) {
          answer = await this.options.control(simRequest);
        }
      } catch (err) {
        answer = { status: 400, body: { error: `simulator control request failed: ${(err as Error).message}` } };
      }
    } else {
      this.requests.push(recorded);
      this.onRequest?.(recorded);
      fault = this.takeFault(method, url.pathname, url.searchParams);
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'hang') {
        await this.holdOpen(req, recorded);
        return;
      }
      if (fault?.kind === 'delay') {
        const ms = fault.ms;
        await new Promise((r) => setTimeout(r, ms));
      }
      if (fault?.kind === 'status') {
        answer = {
          status: fault.status,
          headers: {
            ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
            ...fault.headers,
          },
          body: fault.body ?? { error: `injected fault: HTTP ${fault.status}` },
        };
      } else {
        try {
          answer = await this.handler(simRequest);
        } catch (err) {
          answer = { status: 500, body: { error: `simulator failed: ${(err as Error).message}` } };
        }
      }
    }
    if (res.destroyed) return;
    if (fault?.kind === 'lose-answer') {
      req.socket.destroy();
      return;
    }
    const isText = typeof answer.body === 'string';
    const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
    const headers: Record<string, string> = {
      ...(answer.body === undefined || isText ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...answer.headers,
    };
    if (fault?.kind === 'malformed') {
      const bytes = Buffer.from(payload || '{"responseCode":', 'utf8');
      const status = answer.status === 204 ? 200 : answer.status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers, 'content-length': String(Math.ceil(bytes.length / 2)) });
      res.end(bytes.subarray(0, Math.ceil(bytes.length / 2)), () => this.options.onResponded?.(recorded, status));
      return;
    }
    if (fault?.kind === 'stall-body') {
      const bytes = Buffer.from(payload, 'utf8');
      res.writeHead(answer.status, { ...headers, 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      await this.holdOpen(req, recorded);
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(payload, () => this.options.onResponded?.(recorded, answer.status));
  }

  /** Keeps a request unanswered until its connection closes; notes when the client gave up. */
  private holdOpen(req: http.IncomingMessage, recorded: RecordedRequest): Promise<void> {
    return new Promise((resolve) => {
      const closed = () => {
        if (!this.stopping) recorded.abandonedAfterMs = Date.now() - recorded.at;
        resolve();
      };
      if (req.socket.destroyed) closed();
      else req.socket.once('close', closed);
    });
  }

  /** Control endpoints for tests running in another process. */
  private control(method: string, path: string, body: string): SimResponse {
    if (method === 'POST' && path === '/_sim/faults') {
      const fault = JSON.parse(body) as Fault;
      this.inject(fault);
      return { status: 204 };
    }
    if (method === 'DELETE' && path === '/_sim/faults') {
      this.clearFaults();
      return { status: 204 };
    }
    if (method === 'POST' && path === '/_sim/fault-campaign') {
      this.campaign(JSON.parse(body) as FaultCampaign);
      return { status: 204 };
    }
    if (method === 'DELETE' && path === '/_sim/fault-campaign') {
      return { status: 200, body: this.campaign(null) };
    }
    if (method === 'GET' && path === '/_sim/requests') {
      return { status: 200, body: this.requests.map(({ headers: _h, ...rest }) => rest) };
    }
    return { status: 404, body: { error: `no simulator control endpoint ${method} ${path}` } };
  }
}

/** What every simulator offers on top of its own endpoints: start, stop, and where it listens. */
export abstract class Simulator {
  abstract readonly server: SimServer;

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /**
   * Starts a fault campaign, `faults({ rate: 0.1, seed })`: a seeded random share of requests
   * fails in this provider's wire format (faults.ts). null ends it and returns what was drawn.
   */
  faults(campaign: FaultCampaign | null): DrawnFault[] {
    return this.server.campaign(campaign);
  }
}

/** Reads a header that may arrive as an array. */
export function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
