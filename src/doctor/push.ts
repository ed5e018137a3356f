import { randomUUID } from 'node:crypto';
import { fail, ok, warn, type Check } from './check.js';
import { codeOf, NET_CODES, TLS_CODES } from './endpoint.js';

/** What meetsync's notification endpoint answers an empty POST with (daemon/push/receiver.ts). */
const OURS = /not a Google Calendar notification/;

/**
 * push.publicUrl (issue 18): does the address the providers will POST to reach this meetsync's
 * notification endpoint? One POST without any channel header to <publicUrl>/push/google: the
 * endpoint refuses it (400, changing nothing) in words of its own, which proves the way there:
 * DNS, TLS (Google sends only to a valid certificate), the proxy, the firewall and `meetsync run`.
 * Nothing answering, or the proxy answering that nothing is behind it, is a warning (the service
 * may not be started yet); something else answering is a failure (the proxy sends it elsewhere).
 */
export async function checkPush(publicUrl: string, timeoutMs: number): Promise<Check> {
  const subject = 'push';
  const url = `${publicUrl.replace(/\/+$/, '')}/push/google`;
  const route = `forward ${url} to http.listen (the reverse proxy or ingress), open the firewall to it, and start 'meetsync run'`;
  try {
    const res = await fetch(url, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text().catch(() => '');
    if (res.status === 400 && OURS.test(text)) return ok(subject, `${url} reaches meetsync's notification endpoint`);
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      return warn(subject, `${url} answers HTTP ${res.status}: the proxy is there, but meetsync is not answering behind it`, `${route}; until it answers, changes wait for the schedule`);
    }
    return fail(subject, `${url} answers HTTP ${res.status}, not meetsync's notification endpoint`, route);
  } catch (err) {
    const code = codeOf(err);
    const tls = code ? TLS_CODES[code] : undefined;
    if (tls) return fail(subject, `${url}: TLS does not verify: ${tls.what} (${code}); Google sends notifications only to a valid certificate`, tls.remedy);
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const why = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : `${(code && NET_CODES[code]) ?? 'no answer'}${code ? ` (${code})` : ''}`;
    return warn(subject, `${url} does not answer: ${why}`, `${route}; until it answers, changes wait for the schedule`);
  }
}

/**
 * With an Outlook source: does `<publicUrl>/push/graph` pass Microsoft Graph's validation
 * handshake? Graph creates (and renews) a subscription only after a POST with
 * `?validationToken=<token>` was answered 200, text/plain, with the token as the body, within 10
 * seconds (learn.microsoft.com/graph/change-notifications-delivery-webhooks, "notificationUrl
 * validation"). The same request is sent here, with a random token, so that a proxy that drops
 * the query or rewrites the answer shows now rather than as subscriptions that never come.
 */
export async function checkGraphHandshake(publicUrl: string, timeoutMs: number): Promise<Check> {
  const subject = 'push';
  const url = `${publicUrl.replace(/\/+$/, '')}/push/graph`;
  const token = `meetsync doctor ${randomUUID()}`;
  const route = `forward ${url} with its query string to http.listen, and start 'meetsync run'`;
  try {
    const res = await fetch(`${url}?validationToken=${encodeURIComponent(token)}`, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)) });
    const text = await res.text().catch(() => '');
    const plain = /^text\/plain/i.test(res.headers.get('content-type') ?? '');
    if (res.status === 200 && plain && text === token) return ok(subject, `${url} answers Microsoft Graph's validation handshake (Outlook subscriptions can be created)`);
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      return warn(subject, `${url} answers HTTP ${res.status}: the proxy is there, but meetsync is not answering behind it`, `${route}; until it answers, Outlook mailboxes are polled only`);
    }
    return fail(subject, `${url} does not pass Microsoft Graph's validation handshake (HTTP ${res.status}${res.status === 200 ? ', not the token back as text/plain' : ''}): Graph would refuse every subscription`, route);
  } catch (err) {
    const code = codeOf(err);
    const tls = code ? TLS_CODES[code] : undefined;
    if (tls) return fail(subject, `${url}: TLS does not verify: ${tls.what} (${code}); Microsoft Graph sends notifications only to a valid certificate`, tls.remedy);
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const why = timedOut ? `no answer within ${Math.round(Math.min(timeoutMs, 10_000) / 1000)} s (Graph waits 10 s)` : `${(code && NET_CODES[code]) ?? 'no answer'}${code ? ` (${code})` : ''}`;
    return warn(subject, `${url} does not answer: ${why}`, `${route}; until it answers, Outlook mailboxes are polled only`);
  }
}
