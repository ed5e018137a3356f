import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app.js';
import type { Config } from '../config/schema.js';
import { parseListen } from '../config/listen.js';
import { ConfigError } from '../domain/errors.js';
import { configuredCalendars } from '../config/calendars.js';
import { buildStatus, type StatusReport } from '../status.js';
import { CycleHealth, staleAfterMs, type CycleOutcome } from './health.js';
import { RECONCILE_PATH, startStatusServer } from './http.js';
import { DaemonMetrics } from './metrics.js';
import type { DaemonRole } from './run.js';
import { renderStatusPage } from './status-page.js';
import { renderExplainPage } from './explain-page.js';
import { tellStory } from '../explain/story.js';
import { defaultJoinUrlTemplate } from '../webmeeting/assumptions.js';
import { LatestReconciliationReader, type LatestReport } from '../reconcile/latest-report.js';
import { LATEST_HTML, reportDirFor } from '../reconcile/report-files.js';
import type { Push } from './push/setup.js';

/**
 * Health, metrics and the status page of `meetsync run`, when the config sets `http.listen`.
 * Loaded only then (prom-client is not imported by any other command).
 */


export interface Monitor {
  onCycle(outcome: CycleOutcome): void;
  /** A read a push notification asked for. */
  onPushRead(outcome: CycleOutcome): void;
  onRole(role: DaemonRole): void;
  close(): Promise<void>;
}

/**
 * What the monitor needs of the running app, and nothing more: the config keys it reads, the
 * store that `status` reads, the logger, and the request and join-link observers that feed the metrics.
 */
export interface MonitorContext extends Pick<App, 'store' | 'logger' | 'observeRequests' | 'observeLinks'> {
  config: Pick<Config, 'schedule' | 'database' | 'reconcile' | 'sources' | 'webMeeting'>;
}

export async function startMonitor(app: MonitorContext, listenText: string, push?: Push): Promise<Monitor> {
  const { config, logger, store } = app;
  const listen = parseListen(listenText);
  if (!listen) throw new ConfigError(`http.listen: ${listenText} is not host:port`, [{ path: 'http.listen', message: 'must be host:port' }]);
  if (!listen.loopback) {
    logger.warn(
      { listen: listenText },
      "http.listen is not a loopback address: the status page (every calendar's event titles and errors) and the metrics are reachable from the network, without authentication; listen on 127.0.0.1 and put a proxy with authentication in front, or firewall the port",
    );
  }
  const configured = configuredCalendars(config);
  const status = (): StatusReport => buildStatus(store, configured, { retry: { limitMs: config.webMeeting.holdUnconfirmedAfterHours * 3_600_000 } });
  const health = new CycleHealth(staleAfterMs(config.schedule));
  const explainSettings = {
    accountIds: config.webMeeting.accountIds,
    joinUrlTemplate: config.webMeeting.joinUrlTemplate ?? defaultJoinUrlTemplate(config.webMeeting.baseUrl),
    schedule: config.schedule,
    retry: { limitMs: config.webMeeting.holdUnconfirmedAfterHours * 3_600_000 },
  };
  // The scheduled reconciliation's latest report, where it writes it (reconcile.reportDir, else beside the database).
  const reportDir = reportDirFor(config.database, config.reconcile?.reportDir);
  const reconcileFile = reportDir === undefined ? undefined : path.join(reportDir, LATEST_HTML);
  const latest = reportDir === undefined ? undefined : new LatestReconciliationReader(reportDir);
  const lastReconciliation = (): LatestReport => latest?.read() ?? { state: 'none' };
  const metrics = new DaemonMetrics(status, lastReconciliation, push ? () => push.keeper.channels.all() : undefined);
  app.observeRequests((target, status) => metrics.request(target, status));
  const kindOf = new Map(config.sources.map((s) => [s.name, s.kind]));
  app.observeLinks(({ source, updated, at }) => {
    const kind = kindOf.get(source);
    if (kind) metrics.linkWritten(kind, updated, at);
  });
  push?.receiver.observe((outcome) => metrics.notification(outcome));

  const server = await startStatusServer(
    listen,
    {
      health: () => health.verdict(),
      metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
      page: () =>
        renderStatusPage({
          report: status(),
          health: health.verdict(),
          generatedAt: new Date(),
          reconcile: {
            ...(config.reconcile ? { schedule: config.reconcile.schedule } : {}),
            ...(reportDir !== undefined ? { dir: reportDir } : {}),
            latest: lastReconciliation(),
            ...(reconcileFile && existsSync(reconcileFile) ? { report: { href: RECONCILE_PATH, writtenAt: statSync(reconcileFile).mtime } } : {}),
          },
        }),
      reconcileReport: () => (reconcileFile && existsSync(reconcileFile) ? readFileSync(reconcileFile) : undefined),
      explain: (key) => {
        if (!store.mapping(key) && !store.note(key) && store.journalOf(key).length === 0) return undefined;
        return renderExplainPage(tellStory(store, key, explainSettings), new Date());
      },
      ...(push ? { push: push.receiver } : {}),
    },
    logger,
  );
  logger.info({ address: server.address }, `health, metrics and status page on http://${server.address}/ (/healthz, /metrics)`);
  return {
    onCycle: (outcome) => {
      health.record(outcome);
      metrics.cycle(outcome);
    },
    onPushRead: (outcome) => metrics.pushRead(outcome),
    onRole: (role) => {
      health.role(role);
      metrics.role(role);
    },
    close: () => server.close(),
  };
}
