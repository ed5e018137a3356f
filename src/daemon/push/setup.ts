import type { App } from '../../app.js';
import { leaseKey } from '../../store/leases.js';
import type { DaemonPush } from '../run.js';
import { ChannelKeeper } from './channels.js';
import { PushQueue } from './queue.js';
import { PushReceiver } from './receiver.js';

/** Push notifications as `meetsync run` wires them (push.publicUrl set): loaded only then. */
export interface Push {
  receiver: PushReceiver;
  keeper: ChannelKeeper;
  daemon: DaemonPush;
}

export function createPush(app: Pick<App, 'store' | 'sources' | 'logger'>, publicUrl: string): Push {
  const queue = new PushQueue();
  const keeper = new ChannelKeeper({ store: app.store, sources: app.sources, publicUrl: publicUrl.replace(/\/+$/, ''), logger: app.logger.child({ component: 'push' }) });
  const configured = new Set(app.sources.flatMap((s) => s.calendars.map((calendarId) => leaseKey({ source: s.name, calendarId }))));
  const receiver = new PushReceiver({ channels: keeper.channels, queue, configured: (key) => configured.has(key), logger: app.logger.child({ component: 'push' }) });
  return { receiver, keeper, daemon: { queue, afterCycle: (report, full) => keeper.afterCycle(report, full) } };
}
