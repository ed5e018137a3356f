import type { Config, SourceConfig } from './config/schema.js';
import type { CalendarSource } from './calendars/source.js';
import { GoogleSource } from './calendars/google.js';
import { OutlookSource } from './calendars/outlook.js';
import type { Logger } from './log.js';
import { Store } from './store/store.js';
import { SyncEngine } from './sync/engine.js';
import { WebMeetingClient } from './webmeeting/client.js';

/**
 * The composition root: config -> adapters -> engine. The only place that knows which adapter
 * implements which port. (process.env is read by the CLI when it loads the config, nowhere else.)
 */
export interface App {
  config: Config;
  store: Store;
  platform: WebMeetingClient;
  sources: CalendarSource[];
  engine: SyncEngine;
  logger: Logger;
  close(): void;
}

export function createSource(source: SourceConfig, index: number, logger: Logger): CalendarSource {
  if (source.kind === 'google') {
    return new GoogleSource({
      name: source.name,
      calendars: source.calendars,
      auth: source.auth,
      ...(source.rootUrl ? { rootUrl: source.rootUrl } : {}),
      ...(source.tokenUrl ? { tokenUrl: source.tokenUrl } : {}),
      logger: logger.child({ source: source.name }),
      configPath: `sources[${index}]`,
    });
  }
  // Throws ConfigError for a graphBaseUrl or authorityHost that is not an https origin.
  return new OutlookSource({
    name: source.name,
    mailboxes: source.mailboxes,
    auth: source.auth,
    ...(source.graphBaseUrl ? { graphBaseUrl: source.graphBaseUrl } : {}),
    ...(source.authorityHost ? { authorityHost: source.authorityHost } : {}),
    // OutlookSource binds `source` itself; a child logger with it too would print the key twice (pino).
    logger,
    configPath: `sources[${index}]`,
  });
}

export function createPlatform(config: Config, logger: Logger): WebMeetingClient {
  return new WebMeetingClient({
    baseUrl: config.webMeeting.baseUrl,
    apiKey: config.webMeeting.apiKey,
    ...(config.webMeeting.joinUrlTemplate ? { joinUrlTemplate: config.webMeeting.joinUrlTemplate } : {}),
    timeoutMs: config.webMeeting.timeoutMs,
    logger: logger.child({ component: 'webmeeting' }),
  });
}

export function createApp(config: Config, logger: Logger): App {
  const store = Store.open(config.database);
  const platform = createPlatform(config, logger);
  const sources = config.sources.map((s, i) => createSource(s, i, logger));
  const engine = new SyncEngine({
    store,
    platform,
    sources,
    logger,
    settings: {
      rules: config.tagging,
      window: config.window,
      onEventCancelled: config.webMeeting.onEventCancelled,
      accountIds: config.webMeeting.accountIds,
      provisioning: config.webMeeting.provisioning,
      defaults: config.webMeeting.meetingDefaults,
      safety: config.safety,
    },
  });
  return { config, store, platform, sources, engine, logger, close: () => store.close() };
}
