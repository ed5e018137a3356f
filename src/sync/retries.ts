import { afterFailure, RETRY_DEFAULTS, type RetryPolicy, type Tries } from '../domain/attention.js';
import type { EventKey } from '../domain/mapping.js';
import type { Store } from '../store/store.js';

/**
 * The tries of an event's failed action after one more failure at `now`, continuing those of
 * the note it had (domain/attention.ts owns the schedule and the bound).
 */
export function retriesAfterFailure(key: EventKey, ctx: { store: Store; now: () => Date; retry?: RetryPolicy }): Tries {
  const before = ctx.store.note(key);
  return afterFailure(before?.retry ? before.tries : undefined, ctx.now(), ctx.retry ?? RETRY_DEFAULTS);
}
