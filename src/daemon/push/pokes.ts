import { describeError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import { leaseKey } from '../../store/leases.js';
import type { PushChannelStore } from '../../store/push-channels.js';
import type { PushQueue } from './queue.js';

/** How often a replica looks for notifications other replicas received for its calendars. */
export const POKE_PICKUP_MS = 1_000;

/**
 * Replicas on PostgreSQL (issue 17) behind one public address: a notification reaches any
 * replica, but only the one holding the calendar's lease reads it (no read runs twice). The one
 * that received it records a poke in the database (push_pokes); every replica takes the pokes of
 * the calendars it holds once a second and queues their reads, as its own notifications are.
 * Returns the function that stops it.
 */
export function pickUpPokes(options: {
  channels: Pick<PushChannelStore, 'takePokes'>;
  queue: Pick<PushQueue, 'poke'>;
  holds: (source: string, calendarId: string) => boolean;
  logger: Logger;
  everyMs?: number;
}): () => void {
  const timer = setInterval(() => {
    try {
      for (const c of options.channels.takePokes(options.holds)) options.queue.poke(leaseKey(c));
    } catch (err) {
      options.logger.warn(`push: could not read the notifications other replicas handed over: ${describeError(err)}`);
    }
  }, options.everyMs ?? POKE_PICKUP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
