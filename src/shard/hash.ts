import { createHash } from 'node:crypto';

/**
 * Which shard owns a calendar: rendezvous (highest-random-weight) hashing. Every shard index
 * gets a weight hash(index, calendar) and the highest weight wins. Chosen over jump consistent
 * hashing for two reasons that matter to an operator:
 * - going from n to n+1 shards moves exactly the calendars whose new top weight is the new
 *   shard's (about 1/(n+1) of them), and never moves a calendar between two old shards: the
 *   weights of the old shards do not change. Jump hashing has the same property for n -> n+1,
 *   but its answer for a key depends on a pseudo-random walk that is harder to check by hand;
 * - the owner of any calendar can be computed, and explained, from two inputs with sha256,
 *   which is all `meetsync status` and the tests need. Its O(shards) cost per calendar is nothing
 *   at the scale meetsync runs (10,000 calendars x 20 shards = 200,000 hashes, ~0.2 s once at start).
 * sha256 rather than a faster non-cryptographic hash: it is in node:crypto, identical on every
 * platform and Node version, and its output is uniform, so the shares stay balanced.
 */

/** A calendar's identity for sharding: its source (kind and name) and its calendar id or mailbox. */
export interface CalendarIdentity {
  kind: string;
  source: string;
  calendarId: string;
}

/** The stable text hashed for a calendar. Outlook mailboxes are lower-cased by the config already. */
export function identityOf(c: CalendarIdentity): string {
  return `${c.kind}\u0000${c.source}\u0000${c.calendarId}`;
}

function weight(shard: number, identity: string): bigint {
  return createHash('sha256').update(`${shard}\u0000${identity}`).digest().readBigUInt64BE(0);
}

/** The index (0..count-1) of the shard that owns `calendar` among `count` shards. */
export function ownerOf(calendar: CalendarIdentity, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, not ${count}`);
  const identity = identityOf(calendar);
  let best = 0;
  let bestWeight = -1n;
  for (let shard = 0; shard < count; shard++) {
    const w = weight(shard, identity);
    if (w > bestWeight) {
      best = shard;
      bestWeight = w;
    }
  }
  return best;
}
