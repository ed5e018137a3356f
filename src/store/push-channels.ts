import { createHash, timingSafeEqual } from 'node:crypto';
import type { Store } from './store.js';

/** The providers that push changes: Google watch channels and Microsoft Graph subscriptions, one row each. */
export type PushProvider = 'google' | 'graph';

/**
 * A push channel as the database keeps it (migration 0012): which calendar it watches, the hash
 * of its secret token (the token itself is never stored, logged or reported), and what the
 * provider answered (its resource id, the expiry).
 */
export interface PushChannel {
  channelId: string;
  provider: PushProvider;
  source: string;
  calendarId: string;
  tokenHash: string;
  /**
   * Google's resourceId of the watched events collection; for Graph, the subscription's resource
   * (`/users/{mailbox}/events`). Undefined until the watch was answered.
   */
  resourceId?: string;
  /** When the provider ends the channel; undefined until the watch was answered. */
  expiresAt?: Date;
  /** When the channel was opened, or last renewed (Graph): the start of its current lifetime. */
  createdAt: Date;
}

interface ChannelRow {
  channel_id: string;
  provider: string;
  source: string;
  calendar_id: string;
  token_hash: string;
  resource_id: string | null;
  expires_at: string | null;
  created_at: string;
}

/** SHA-256 of a channel token, hex: what the database keeps and what a notification's token is compared with. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `token` is the channel's, compared in constant time (hashes of equal length). */
export function tokenMatches(channel: Pick<PushChannel, 'tokenHash'>, token: string): boolean {
  const given = Buffer.from(hashToken(token), 'hex');
  const kept = Buffer.from(channel.tokenHash, 'hex');
  return given.length === kept.length && timingSafeEqual(given, kept);
}

const toChannel = (r: ChannelRow): PushChannel => ({
  channelId: r.channel_id,
  provider: r.provider as PushProvider,
  source: r.source,
  calendarId: r.calendar_id,
  tokenHash: r.token_hash,
  ...(r.resource_id !== null ? { resourceId: r.resource_id } : {}),
  ...(r.expires_at !== null ? { expiresAt: new Date(r.expires_at) } : {}),
  createdAt: new Date(r.created_at),
});

/** The push channels of one database, on either SQLite or PostgreSQL (the Store's Sql). */
export class PushChannelStore {
  constructor(private readonly store: Pick<Store, 'sql'>) {}

  all(): PushChannel[] {
    return this.store.sql.all<ChannelRow>('SELECT * FROM push_channels ORDER BY source, calendar_id, created_at').map(toChannel);
  }

  get(channelId: string): PushChannel | undefined {
    const row = this.store.sql.get<ChannelRow>('SELECT * FROM push_channels WHERE channel_id = ?', [channelId]);
    return row ? toChannel(row) : undefined;
  }

  /** Recorded before the watch request is sent: the provider's first (sync) message may arrive before its answer. */
  open(c: Pick<PushChannel, 'channelId' | 'provider' | 'source' | 'calendarId' | 'tokenHash' | 'createdAt'>): void {
    this.store.sql.run(
      'INSERT INTO push_channels (channel_id, provider, source, calendar_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [c.channelId, c.provider, c.source, c.calendarId, c.tokenHash, c.createdAt.toISOString()],
    );
  }

  /**
   * What the provider answered to the watch request. `providerId`: the id the provider gave the
   * channel (a Graph subscription's id, which its notifications name), in place of ours.
   */
  opened(channelId: string, resourceId: string, expiresAt: Date, providerId = channelId): void {
    this.store.sql.run('UPDATE push_channels SET channel_id = ?, resource_id = ?, expires_at = ? WHERE channel_id = ?', [providerId, resourceId, expiresAt.toISOString(), channelId]);
  }

  /** A channel renewed in place (Graph: PATCH expirationDateTime): its new lifetime starts `at`. */
  renewed(channelId: string, expiresAt: Date, at: Date): void {
    this.store.sql.run('UPDATE push_channels SET expires_at = ?, created_at = ? WHERE channel_id = ?', [expiresAt.toISOString(), at.toISOString(), channelId]);
  }

  remove(channelId: string): void {
    this.store.sql.run('DELETE FROM push_channels WHERE channel_id = ?', [channelId]);
  }

  /** Replicas: a notification for a calendar another replica serves, left for it (one row per calendar). */
  poke(source: string, calendarId: string, at: Date): void {
    this.store.sql.run('INSERT INTO push_pokes (source, calendar_id, poked_at) VALUES (?, ?, ?) ON CONFLICT (source, calendar_id) DO UPDATE SET poked_at = excluded.poked_at', [source, calendarId, at.toISOString()]);
  }

  /** The pokes of the calendars `holds` says this replica serves, taken (deleted) in one transaction. */
  takePokes(holds: (source: string, calendarId: string) => boolean): Array<{ source: string; calendarId: string }> {
    const { sql } = this.store;
    return sql.transaction(() => {
      const mine = sql.all<{ source: string; calendar_id: string }>('SELECT source, calendar_id FROM push_pokes').filter((r) => holds(r.source, r.calendar_id));
      for (const r of mine) sql.run('DELETE FROM push_pokes WHERE source = ? AND calendar_id = ?', [r.source, r.calendar_id]);
      return mine.map((r) => ({ source: r.source, calendarId: r.calendar_id }));
    });
  }
}
