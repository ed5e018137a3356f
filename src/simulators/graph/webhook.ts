import { randomUUID } from 'node:crypto';

/**
 * What Graph sends to a subscriber's endpoints: the validation request of a notificationUrl and
 * the POSTs of change and lifecycle notifications, with their retries. From
 * learn.microsoft.com/graph/change-notifications-delivery-webhooks:
 * - Validation ("notificationUrl validation"): a POST to `{notificationUrl}?validationToken=...`
 *   with `Content-Type: text/plain; charset=utf-8`; the endpoint must answer within 10 seconds
 *   with 200, `text/plain`, and the URL-decoded token as the body. Any query the subscriber put in
 *   the URL stays ("Any query string parameter included in the notificationUrl ... will be
 *   included"). The token is opaque; it is made here like the one Graph sends in the field
 *   ("Validation: Testing client application reachability for subscription Request-Id: ..."), with
 *   spaces and colons, so an endpoint that echoes it still URL-encoded fails as it would at Graph.
 * - Delivery ("Processing the change notification", "Throttling"): notifications are published
 *   "using an HTTP client with a 3-second timeout"; without a 2xx within 3 seconds Graph "tries to
 *   resend the change notification multiple times, for up to 4 hours", then discards it. The
 *   spacing of the retries is not documented: by default here 10 s doubling while the total stays
 *   under 4 hours (10 retries); tests set their own.
 * Redirects are not followed: an answer of 3xx is a failed delivery.
 */

export interface WebhookOptions {
  /** Deadline of one notification POST (default 3000, as documented). */
  timeoutMs: number;
  /** Deadline of the validation request (default 10000, as documented). */
  validationTimeoutMs: number;
  /** Waits before each retry of a notification that was not answered 2xx; their count is the number of retries. */
  retryDelaysMs: readonly number[];
}

export type DeliveryKind = 'validation' | 'change' | 'lifecycle';

/** One request the simulator sent to a subscriber, kept for tests (GET /_sim/deliveries). */
export interface Delivery {
  kind: DeliveryKind;
  url: string;
  /** 1 for the first try of a notification, then 2, 3... for its retries. */
  attempt: number;
  /** The HTTP status answered, or undefined when the request failed (see `error`). */
  status?: number;
  /** 'timeout', or the network error's message. */
  error?: string;
  body: string;
  at: number;
}

export type ValidationOutcome = 'ok' | 'refused' | 'timeout';

/** 10 s, 20 s, 40 s... while the retries together stay within Graph's 4 hours. */
export function defaultRetryDelays(): number[] {
  const delays: number[] = [];
  let total = 0;
  for (let delay = 10_000; total + delay <= 4 * 3_600_000; delay *= 2) {
    delays.push(delay);
    total += delay;
  }
  return delays;
}

/** Deliveries kept for inspection: the newest, so a long `meetsync simulate` does not grow without end. */
const KEPT_DELIVERIES = 10_000;

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: WebhookOptions) {}

  /** The validation handshake with one endpoint: 'ok' only for 200, text/plain and the token echoed exactly. */
  async validate(url: string): Promise<ValidationOutcome> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    const delivery: Delivery = { kind: 'validation', url: target, attempt: 1, body: '', at: Date.now() };
    this.record(delivery);
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.validationTimeoutMs),
      });
      const body = await response.text();
      delivery.status = response.status;
      const plain = /^text\/plain(;|$)/i.test(response.headers.get('content-type') ?? '');
      return response.status === 200 && plain && body === token ? 'ok' : 'refused';
    } catch (err) {
      delivery.error = failure(err);
      return delivery.error === 'timeout' ? 'timeout' : 'refused';
    }
  }

  /**
   * POSTs `payload` as JSON to `url` until it is answered 2xx, retrying on the configured delays;
   * `onGiveUp` runs when the last retry failed too (Graph then discards the notification).
   */
  deliver(url: string, kind: DeliveryKind, payload: unknown, onGiveUp?: () => void): void {
    const body = JSON.stringify(payload);
    const attempt = async (n: number): Promise<void> => {
      if (this.stopped) return;
      const delivery: Delivery = { kind, url, attempt: n, body, at: Date.now() };
      this.record(delivery);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        delivery.status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return;
      } catch (err) {
        delivery.error = failure(err);
      }
      const delay = this.options.retryDelaysMs[n - 1];
      if (delay === undefined || this.stopped) {
        if (!this.stopped) onGiveUp?.();
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void attempt(n + 1);
      }, delay);
      this.timers.add(timer);
    };
    void attempt(1);
  }

  private record(delivery: Delivery): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEPT_DELIVERIES) this.deliveries.splice(0, this.deliveries.length - KEPT_DELIVERIES);
  }

  /** No further sends or retries (the simulator stops). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  restart(): void {
    this.stopped = false;
  }
}

function failure(err: unknown): string {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
