import https from 'node:https';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * The last link of the Graph client's middleware chain, in place of its HTTPMessageHandler
 * (which calls the global fetch): sends the request the client built over node:https with a
 * keep-alive agent and hands back a standard Response, which the client's GraphResponseHandler
 * and GraphErrorHandler read as they read fetch's.
 *
 * Why: a quiet cycle is one small delta GET per mailbox, and Node's fetch (undici) costs about
 * 2.5 times the CPU of node:https per such request (measured on this kind of answer: 2,000 GETs,
 * 8 at a time, 764-873 ms against 322 ms once warm). With thousands of mailboxes that was the
 * largest part of a quiet cycle (issue 17, `npm run bench:sync`).
 *
 * What it keeps of fetch's behaviour that graph.ts relies on: no redirect is followed (node:https
 * follows none; graph.ts asks `redirect: 'manual'` so that a token never travels to wherever a
 * 3xx points), the request's AbortSignal ends the attempt, reading the answer included, and a
 * request that got no answer rejects (GraphErrorHandler turns it into a GraphError without a
 * status). Trust is Node's: the system CAs and NODE_EXTRA_CA_CERTS, as for fetch.
 */
export class HttpsMessageHandler implements Middleware {
  private readonly agent = new https.Agent({ keepAlive: true });

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    context.response = await send(this.agent, url, {
      method: options.method ?? 'GET',
      headers: Object.fromEntries(new Headers(options.headers as ConstructorParameters<typeof Headers>[0])),
      body: options.body,
      signal: options.signal ?? undefined,
    });
  }
}

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal | undefined;
}

/** Answers that carry no body by definition (a Response with one would be refused). */
const NO_BODY = new Set([101, 204, 205, 304]);

function send(agent: https.Agent, url: string, out: Outgoing): Promise<Response> {
  const given = out.body ?? undefined;
  if (given !== undefined && typeof given !== 'string' && !ArrayBuffer.isView(given)) {
    return Promise.reject(new TypeError('a Graph request body must be a string or bytes (graph.ts sends JSON)'));
  }
  const body = given as string | NodeJS.ArrayBufferView | undefined;
  return new Promise<Response>((resolve, reject) => {
    const req = https.request(url, { method: out.method, headers: out.headers, agent, ...(out.signal ? { signal: out.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      // Cut off before its end (the deadline's abort, a dropped connection): no answer.
      res.on('close', () => {
        if (!res.complete) reject(out.signal?.aborted ? out.signal.reason : new Error('the connection closed before the answer was complete'));
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        try {
          resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers }));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
