import { randomBytes, randomUUID } from 'node:crypto';
import type { CalendarSource } from '../../calendars/source.js';
import { describeError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import { leaseKey } from '../../store/leases.js';
import { hashToken, PushChannelStore, type PushChannel } from '../../store/push-channels.js';
import type { Store } from '../../store/store.js';
import type { CycleReport } from '../../sync/engine.js';

/** The path under push.publicUrl (and http.listen) where each provider's notifications arrive. */
export const PUSH_PATHS = { google: '/push/google', graph: '/push/graph' } as const;

const NOUN = { google: 'channel', graph: 'subscription' } as const;

/** A channel with less than this share of its lifetime left is replaced at the next cycle that reads its calendar. */
const RENEW_AT_SHARE_LEFT = 0.5;
/** Channels opened or renewed at once after a cycle (each calendar's requests also keep to its source's rate). */
const WATCHES_AT_ONCE = 8;
/** A channel recorded whose watch was never answered (a crash in between) is forgotten after this: Google ends it on its own. */
const UNANSWERED_FORGOTTEN_MS = 10 * 60_000;

export interface ChannelKeeperOptions {
  store: Pick<Store, 'sql'>;
  sources: readonly CalendarSource[];
  /** push.publicUrl, without a trailing slash. */
  publicUrl: string;
  logger: Logger;
  now?: () => Date;
}

/**
 * One push channel per calendar (issue 18), kept in step with the cycles: a calendar read
 * successfully gets a channel if it has none (so a calendar is watched from its first read), a
 * channel past half its lifetime is replaced by a new one before it ends (guides/push: channels
 * are not renewed automatically; a new watch request replaces one, then channels.stop ends the
 * old one), and the channels of calendars taken out of the config are stopped. Channels
 * live in the database (push_channels): a restart reuses them.
 *
 * The channel's token is 32 random bytes, sent once to the provider in the watch request; only
 * its SHA-256 is kept, and neither is logged.
 */
export class ChannelKeeper {
  readonly channels: PushChannelStore;
  private readonly now: () => Date;
  private readonly bySource: Map<string, CalendarSource>;

  constructor(private readonly options: ChannelKeeperOptions) {
    this.channels = new PushChannelStore(options.store);
    this.now = options.now ?? (() => new Date());
    this.bySource = new Map(options.sources.map((s) => [s.name, s]));
  }

  /**
   * After a cycle: every calendar it read successfully has a live channel (opened or renewed);
   * after a full cycle (`full`), channels of calendars no longer configured are stopped.
   */
  async afterCycle(report: Pick<CycleReport, 'calendars'>, full: boolean): Promise<void> {
    if (full) await this.stopUnconfigured();
    const all = this.channels.all();
    const jobs = report.calendars
      .filter((r) => r.ok)
      .flatMap((c) => {
        const source = this.bySource.get(c.source);
        if (!source?.watch || !source.pushProvider) return [];
        const mine = all.filter((ch) => ch.source === c.source && ch.calendarId === c.calendarId);
        return [() => this.keep(source, c.calendarId, mine)];
      });
    // A first cycle opens a channel per calendar: a few at a time, not thousands one by one.
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await jobs[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(WATCHES_AT_ONCE, jobs.length) }, worker));
  }

  /** Opens a channel when the calendar has no live one far enough from its end; then stops the others. */
  private async keep(source: CalendarSource, calendarId: string, existing: PushChannel[]): Promise<void> {
    const now = this.now().getTime();
    const live = existing.filter((ch) => ch.expiresAt && ch.resourceId && !this.due(ch, now));
    let keep = live.sort((a, b) => b.expiresAt!.getTime() - a.expiresAt!.getTime())[0];
    if (!keep && source.renewWatch) {
      // Graph: a subscription past half its lifetime is extended in place (same id, same
      // clientState); one that cannot be (Graph no longer has it) is replaced below.
      const running = existing.filter((ch) => ch.expiresAt && ch.resourceId && ch.expiresAt.getTime() > now);
      const latest = running.sort((a, b) => b.expiresAt!.getTime() - a.expiresAt!.getTime())[0];
      if (latest) keep = await this.renew(source, latest);
    }
    if (!keep) {
      const opened = await this.open(source, calendarId);
      if (!opened) return;
      keep = opened;
    }
    for (const old of existing.filter((ch) => ch.channelId !== keep.channelId)) await this.stop(source, old, now);
  }

  /** Past the renewal point: less than half of its lifetime left. */
  private due(ch: PushChannel, now: number): boolean {
    const end = ch.expiresAt!.getTime();
    const lifetime = end - ch.createdAt.getTime();
    return end - now < lifetime * RENEW_AT_SHARE_LEFT;
  }

  /** Graph: PATCH expirationDateTime; the renewed channel, or undefined when it failed (logged). */
  private async renew(source: CalendarSource, ch: PushChannel): Promise<PushChannel | undefined> {
    const log = this.options.logger.child({ source: source.name, calendar: ch.calendarId, subscription: ch.channelId });
    try {
      const expiresAt = await source.renewWatch!(ch.calendarId, { channelId: ch.channelId });
      const at = this.now();
      this.channels.renewed(ch.channelId, expiresAt, at);
      log.info({ expiresAt: expiresAt.toISOString() }, `push subscription renewed for mailbox ${ch.calendarId}`);
      return { ...ch, expiresAt, createdAt: at };
    } catch (err) {
      log.warn(`could not renew the push subscription of mailbox ${ch.calendarId} (a new one is created instead): ${describeError(err)}`);
      return undefined;
    }
  }

  /**
   * Graph's lifecycle notifications (change-notifications-lifecycle-events):
   * `reauthorizationRequired` is answered by renewing the subscription at once (a renewal
   * reauthorizes it); `subscriptionRemoved` means Graph ended it: it is forgotten, and the read
   * the notification queued creates a new one after it (afterCycle).
   */
  async lifecycle(ch: PushChannel, event: 'reauthorizationRequired' | 'subscriptionRemoved'): Promise<void> {
    if (event === 'subscriptionRemoved') {
      this.channels.remove(ch.channelId);
      return;
    }
    const source = this.bySource.get(ch.source);
    if (source?.renewWatch) await this.renew(source, ch);
  }

  private async open(source: CalendarSource, calendarId: string): Promise<PushChannel | undefined> {
    const log = this.options.logger.child({ source: source.name, calendar: calendarId });
    const provider = source.pushProvider!;
    const channelId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const row = { channelId, provider, source: source.name, calendarId, tokenHash: hashToken(token), createdAt };
    // Recorded first: Google's sync message may arrive before the watch answer.
    this.channels.open(row);
    try {
      const address = `${this.options.publicUrl}${PUSH_PATHS[provider]}`;
      const answer = await source.watch!(calendarId, { channelId, address, token, lifecycleAddress: address });
      // Graph names its subscription itself: the row takes that id, which its notifications carry.
      const id = answer.channelId ?? channelId;
      this.channels.opened(channelId, answer.resourceId, answer.expiresAt, id);
      log.info({ channel: id, expiresAt: answer.expiresAt.toISOString() }, `push ${NOUN[provider]} opened for calendar ${calendarId}`);
      return { ...row, channelId: id, resourceId: answer.resourceId, expiresAt: answer.expiresAt };
    } catch (err) {
      this.channels.remove(channelId);
      log.warn(`could not open a push ${NOUN[provider]} for calendar ${calendarId} (polling still reads it): ${describeError(err)}`);
      return undefined;
    }
  }

  private async stop(source: CalendarSource | undefined, ch: PushChannel, now: number): Promise<void> {
    if (!ch.resourceId) {
      // Never answered: nothing to name in channels.stop; it ends on its own at Google.
      if (now - ch.createdAt.getTime() > UNANSWERED_FORGOTTEN_MS) this.channels.remove(ch.channelId);
      return;
    }
    if (ch.expiresAt && ch.expiresAt.getTime() <= now) {
      this.channels.remove(ch.channelId);
      return;
    }
    try {
      await source?.unwatch?.(ch.calendarId, { channelId: ch.channelId, resourceId: ch.resourceId });
      this.channels.remove(ch.channelId);
      this.options.logger.info({ source: ch.source, calendar: ch.calendarId, channel: ch.channelId }, `push channel stopped for calendar ${ch.calendarId}`);
    } catch (err) {
      this.options.logger.warn({ source: ch.source, calendar: ch.calendarId }, `could not stop a push channel of calendar ${ch.calendarId} (tried again next cycle): ${describeError(err)}`);
    }
  }

  /** Channels of calendars no longer in the config are stopped (their notifications would be refused anyway). */
  private async stopUnconfigured(): Promise<void> {
    const configured = new Set(this.options.sources.flatMap((s) => s.calendars.map((calendarId) => leaseKey({ source: s.name, calendarId }))));
    const now = this.now().getTime();
    for (const ch of this.channels.all().filter((c) => !configured.has(leaseKey(c)))) {
      // A source renamed or removed: a source of the same provider stops it, with the credential
      // it has for that calendar; when none can, the channel ends at its expiry.
      const source = this.bySource.get(ch.source) ?? this.options.sources.find((s) => s.pushProvider === ch.provider);
      await this.stop(source, ch, now);
    }
  }
}
