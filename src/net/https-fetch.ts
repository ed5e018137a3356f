import https from 'node:https';

/**
 * A small fetch over node:https with a keep-alive agent, for the Graph client's requests (its
 * last middleware, outlook/https-handler.ts). It answers a standard Response, which the client
 * reads as it reads fetch's.
 *
 * Why not Node's fetch (undici), which the Graph client calls by default: a quiet cycle is one
 * small delta read per mailbox, and per such request undici costs about 2.5 times the CPU of
 * node:https: 2,000 small GETs, 8 at a time, once warm, 764-873 ms against 322 ms; through the
 * Graph client against the simulator, 1,000 quiet mailbox reads cost 606-675 ms of CPU (the
 * simulator's included) instead of 1,007-1,016 ms (issue 17). googleapis keeps its own transport
 * (gaxios' node-fetch): the same swap saved it only 7-12% (595-637 ms against 675-689 ms), not
 * worth a hand-written transport in place of a well-kept one.
 *
 * What it keeps of fetch's behaviour that the adapter relies on: no redirect is followed (a token
 * must not travel to wherever a 3xx points: the 3xx comes back as the answer), the request's
 * AbortSignal ends the attempt, reading the answer included, and a request that got no answer
 * rejects (with Node's error: `connect ECONNREFUSED ...`, where fetch said "fetch failed"). It
 * asks for no content coding, so the answer comes as it is. Trust is Node's: the system CAs and
 * NODE_EXTRA_CA_CERTS, as for fetch.
 */

export interface HttpsFetchInit {
  method?: string | undefined;
  headers?: ConstructorParameters<typeof Headers>[0] | undefined;
  body?: unknown;
  signal?: AbortSignal | null | undefined;
}

export type HttpsFetch = (url: string | URL, init?: HttpsFetchInit) => Promise<Response>;

/** Answers that carry no body by definition (a Response with one would be refused). */
const NO_BODY = new Set([101, 204, 205, 304]);

/** A fetch with its own keep-alive agent: one per adapter, so each keeps its connections. */
export function httpsFetch(): HttpsFetch {
  const keepAlive = new https.Agent({ keepAlive: true });
  return (url, init = {}) => send(keepAlive, String(url), init);
}

function send(keepAlive: https.Agent, url: string, init: HttpsFetchInit): Promise<Response> {
  const given = init.body ?? undefined;
  if (given !== undefined && typeof given !== 'string' && !ArrayBuffer.isView(given)) {
    return Promise.reject(new TypeError('a calendar request body must be a string or bytes (the adapters send JSON)'));
  }
  const body = given as string | NodeJS.ArrayBufferView | undefined;
  const signal = init.signal ?? undefined;
  const headers = Object.fromEntries(new Headers(init.headers));
  return new Promise<Response>((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers, agent: keepAlive, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      // Cut off before its end (the deadline's abort, a dropped connection): no answer.
      res.on('close', () => {
        if (!res.complete) reject(signal?.aborted ? signal.reason : new Error('the connection closed before the answer was complete'));
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const answer = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        try {
          resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: answer }));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
