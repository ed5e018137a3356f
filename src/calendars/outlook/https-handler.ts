import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { httpsFetch } from '../../net/https-fetch.js';

/**
 * The last link of the Graph client's middleware chain, in place of its HTTPMessageHandler (which
 * calls the global fetch): sends the request the client built through net/https-fetch.ts
 * (node:https with keep-alive; that file says why and what it keeps of fetch) and hands the
 * Response to the client's GraphResponseHandler and GraphErrorHandler as fetch's would be.
 */
export class HttpsMessageHandler implements Middleware {
  private readonly fetch = httpsFetch();

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    context.response = await this.fetch(url, {
      method: options.method,
      headers: options.headers as ConstructorParameters<typeof Headers>[0],
      body: options.body,
      signal: options.signal,
    });
  }
}
