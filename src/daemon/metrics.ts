import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestTarget } from '../app.js';
import type { MappingState } from '../domain/mapping.js';
import type { LatestReport } from '../reconcile/latest-report.js';
import { FINDING_KINDS } from '../reconcile/findings.js';
import type { StatusReport } from '../status.js';
import type { CycleOutcome } from './health.js';
import type { PushChannel } from '../store/push-channels.js';
import type { PushOutcome } from './push/receiver.js';

/**
 * The daemon's Prometheus metrics (prom-client), in a registry of its own so nothing else in the
 * process adds to it. Counters move as things happen (cycles, requests); the gauges of meetings
 * and failing calendars are read from the database when scraped, so they are right even about
 * what another process (`meetsync sync`) did.
 */


export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly cycles: Counter<'result'>;
  private readonly duration: Histogram;
  private readonly requests: Counter<'target' | 'status'>;
  private readonly lastSuccess: Gauge;
  private readonly serving: Gauge;
  private readonly notifications: Counter<'provider'>;
  private readonly rejected: Counter<'provider' | 'reason'>;
  private readonly coalesced: Counter<'provider'>;
  private readonly pushReads: Counter<'result'>;
  private readonly tagToLink: Histogram<'provider'>;

  /**
   * `status` is read at scrape time: meetings by state and failing calendars; `reconciliation`
   * too: the last scheduled reconciliation's findings (its report file).
   */
  /** `channels`, with push on: the push channels in the database, read at scrape time. */
  constructor(status: () => StatusReport, reconciliation: () => LatestReport = () => ({ state: 'none' }), channels?: () => PushChannel[]) {
    const registers = [this.registry];
    this.cycles = new Counter({ name: 'meetsync_cycles_total', help: 'Sync cycles by result: ok, failed, or skipped (another process was running one).', labelNames: ['result'], registers });
    this.duration = new Histogram({
      name: 'meetsync_cycle_duration_seconds',
      help: 'Duration of the sync cycles that ran.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.requests = new Counter({
      name: 'meetsync_requests_total',
      help: "Requests meetsync sent, every attempt, by target and HTTP status ('error' when no answer came).",
      labelNames: ['target', 'status'],
      registers,
    });
    this.tagToLink = new Histogram({
      name: 'meetsync_tag_to_link_seconds',
      help: "From a newly tagged event's last change, as its provider reports it when meetsync reads it (Google `updated`, Graph `lastModifiedDateTime`), to its join link written into it, by provider; observed when the link is written by the action that made the meeting (a link written on a later retry is not observed). Includes any clock difference between the provider and this host; events tagged before meetsync first read their calendar (a first sync) land in the top buckets.",
      labelNames: ['provider'],
      buckets: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800],
      registers,
    });
    this.lastSuccess = new Gauge({ name: 'meetsync_last_success_timestamp_seconds', help: 'When the last successful sync cycle of this daemon finished (Unix time); 0 before the first.', registers });
    new Gauge({
      name: 'meetsync_meetings',
      help: "Meetings meetsync keeps, by state (active, creating, cancelled, kept), over every configured calendar (on PostgreSQL every replica reads the same database: take one replica's value, not the sum).",
      labelNames: ['state'],
      registers,
      collect() {
        const totals: Record<MappingState, number> = { active: 0, creating: 0, cancelled: 0, kept: 0 };
        for (const c of status().calendars) for (const state of Object.keys(totals) as MappingState[]) totals[state] += c.meetings[state];
        for (const [state, n] of Object.entries(totals)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'meetsync_failing_calendars',
      help: 'Configured calendars whose last read or write failed.',
      registers,
      collect() {
        this.set(status().calendars.filter((c) => c.consecutiveFailures > 0).length);
      },
    });
    new Gauge({
      name: 'meetsync_events_needing_attention',
      help: "Events status lists as needing attention, by kind: failed (an action not applied: retried, or held while the platform refuses the event's organizer), skipped (the event cannot get a meeting as it is: the reason says why), exception (a moved or cancelled occurrence).",
      labelNames: ['kind'],
      registers,
      collect() {
        const counts: Record<string, number> = { failed: 0, skipped: 0, exception: 0 };
        for (const p of status().problems) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
        for (const [kind, n] of Object.entries(counts)) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: 'meetsync_left_to_do',
      help: "What meetsync has left to do, as `status` lists it, by kind (action: a failed action; organizer: an event waiting for its organizer's platform user; creation, update, deletion: a call whose answer was lost; join-link: a link not written into the event) and by who moves it on (meetsync: tried again on its schedule; person: refused, held for IT past its bound, or waiting for an organizer).",
      labelNames: ['kind', 'needs'],
      registers,
      collect() {
        this.reset();
        for (const kind of ['action', 'organizer', 'creation', 'update', 'deletion', 'join-link']) for (const needs of ['meetsync', 'person']) this.set({ kind, needs }, 0);
        for (const a of status().attention) this.inc({ kind: a.kind, needs: a.needsPerson ? 'person' : 'meetsync' });
      },
    });
    // Alert on `meetsync_reconcile_open_findings > 0`, and on the age of the last one
    // (`time() - meetsync_reconcile_last_timestamp_seconds`) when reconcile.schedule is set.
    new Gauge({
      name: 'meetsync_reconcile_findings',
      help: "Findings of the last scheduled reconciliation (reconcile-latest.json), by kind: in-step and unmanaged are information, every other kind needs attention; absent before the first report.",
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        const latest = reconciliation();
        if (latest.state === 'read') for (const kind of FINDING_KINDS) this.set({ kind }, latest.last.counts[kind]);
      },
    });
    new Gauge({
      name: 'meetsync_reconcile_open_findings',
      help: 'Findings of the last scheduled reconciliation that need attention (neither information nor repaired); 0 before the first report.',
      registers,
      collect() {
        const latest = reconciliation();
        this.set(latest.state === 'read' ? latest.last.open : 0);
      },
    });
    new Gauge({
      name: 'meetsync_reconcile_last_timestamp_seconds',
      help: 'When the last scheduled reconciliation report was made (Unix time, its generatedAt); 0 before the first.',
      registers,
      collect() {
        const latest = reconciliation();
        this.set(latest.state === 'read' ? latest.last.generatedAt.getTime() / 1000 : 0);
      },
    });
    this.serving = new Gauge({
      name: 'meetsync_serving',
      help: '1 while this daemon serves its database, 0 while it stands by for another meetsync run (alert when the sum over instances is not 1).',
      registers,
    });
    this.notifications = new Counter({ name: 'meetsync_push_notifications_total', help: 'Push notifications received (POSTs to /push/<provider>), valid or not.', labelNames: ['provider'], registers });
    this.rejected = new Counter({
      name: 'meetsync_push_notifications_rejected_total',
      help: 'Push notifications refused with a 4xx, changing nothing, by reason: malformed, unknown-channel (not open, ended, or its calendar out of the config), bad-token, too-large.',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.coalesced = new Counter({ name: 'meetsync_push_notifications_coalesced_total', help: 'Push notifications folded into a read of their calendar already waiting.', labelNames: ['provider'], registers });
    this.pushReads = new Counter({ name: 'meetsync_push_reads_total', help: 'Reads that push notifications asked for (one cycle limited to their calendars), by result: ok, failed, skipped (another process held the cycle lock: tried again).', labelNames: ['result'], registers });
    if (channels) {
      new Gauge({
        name: 'meetsync_push_channels',
        help: 'Push channels (Google) and subscriptions (Graph) open (in the database; on PostgreSQL every replica reads the same rows: take one value), by provider.',
        labelNames: ['provider'],
        registers,
        collect() {
          this.reset();
          for (const provider of ['google', 'graph']) this.set({ provider }, 0);
          const now = Date.now();
          for (const c of channels()) if (c.expiresAt && c.expiresAt.getTime() > now) this.inc({ provider: c.provider });
        },
      });
      // Alert when `meetsync_push_channel_next_expiry_timestamp_seconds - time()` gets small: channels are renewed at half their lifetime.
      new Gauge({
        name: 'meetsync_push_channel_next_expiry_timestamp_seconds',
        help: 'When the push channel that ends first ends (Unix time); 0 with no channel open.',
        registers,
        collect() {
          const now = Date.now();
          const ends = channels().flatMap((c) => (c.expiresAt && c.expiresAt.getTime() > now ? [c.expiresAt.getTime()] : []));
          this.set(ends.length ? Math.min(...ends) / 1000 : 0);
        },
      });
      for (const result of ['ok', 'failed', 'skipped']) this.pushReads.inc({ result }, 0);
      for (const provider of ['google', 'graph']) {
        this.notifications.inc({ provider }, 0);
        this.coalesced.inc({ provider }, 0);
      }
    }
    this.lastSuccess.set(0);
    for (const result of ['ok', 'failed', 'skipped']) this.cycles.inc({ result }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'meetsync_' });
  }

  cycle(outcome: CycleOutcome): void {
    this.cycles.inc({ result: outcome.result });
    if (outcome.result === 'skipped') return;
    this.duration.observe(outcome.durationMs / 1000);
    if (outcome.result === 'ok') this.lastSuccess.set(Date.now() / 1000);
  }

  notification(outcome: PushOutcome): void {
    const { provider, result } = outcome;
    this.notifications.inc({ provider });
    if (result.kind === 'rejected') this.rejected.inc({ provider, reason: result.reason });
    else if (result.read === 'coalesced') this.coalesced.inc({ provider });
  }

  /** A newly tagged event's join link written: `updated` is the event's last change as its provider reported it. */
  linkWritten(provider: RequestTarget, updated: string, at: Date): void {
    const ms = at.getTime() - Date.parse(updated);
    // A provider clock ahead of this host's gives a negative span: counted as 0 rather than lost.
    if (Number.isFinite(ms)) this.tagToLink.observe({ provider }, Math.max(0, ms) / 1000);
  }

  pushRead(outcome: CycleOutcome): void {
    this.pushReads.inc({ result: outcome.result });
  }

  role(role: 'serving' | 'standby'): void {
    this.serving.set(role === 'serving' ? 1 : 0);
  }

  request(target: RequestTarget, status: number | 'error'): void {
    this.requests.inc({ target, status: String(status) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
