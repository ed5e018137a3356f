import type { App } from '../../app.js';
import { describeError } from '../../domain/errors.js';
import { leaseKey } from '../../store/leases.js';
import type { DaemonPush } from '../run.js';
import { ChannelKeeper } from './channels.js';
import { pickUpPokes } from './pokes.js';
import { PushQueue } from './queue.js';
import { PushReceiver } from './receiver.js';

/** Push notifications as `meetsync run` wires them (push.publicUrl set): loaded only then. */
export interface Push {
  receiver: PushReceiver;
  keeper: ChannelKeeper;
  daemon: DaemonPush;
  close(): void;
}

export function createPush(app: Pick<App, 'store' | 'sources' | 'logger' | 'engine' | 'replicas'>, publicUrl: string): Push {
  const logger = app.logger.child({ component: 'push' });
  const queue = new PushQueue();
  const keeper = new ChannelKeeper({ store: app.store, sources: app.sources, publicUrl: publicUrl.replace(/\/+$/, ''), logger });
  const configured = new Set(app.sources.flatMap((s) => s.calendars.map((calendarId) => leaseKey({ source: s.name, calendarId }))));
  const holds = (source: string, calendarId: string) => app.engine.holds(source, calendarId);
  const receiver = new PushReceiver({
    channels: keeper.channels,
    queue,
    configured: (key) => configured.has(key),
    logger,
    lifecycle: (channel, event) => keeper.lifecycle(channel, event).catch((err: unknown) => logger.warn(`push: Graph lifecycle notification ${event} not handled: ${describeError(err)}`)),
    // Replicas: a notification for another replica's calendar is handed over through the database.
    ...(app.replicas ? { holds, handOver: (source: string, calendarId: string) => keeper.channels.poke(source, calendarId, new Date()) } : {}),
  });
  const stopPickup = app.replicas ? pickUpPokes({ channels: keeper.channels, queue, holds, logger }) : undefined;
  return { receiver, keeper, daemon: { queue, afterCycle: (report, full) => keeper.afterCycle(report, full) }, close: () => stopPickup?.() };
}
