import { z } from 'zod';
import type { ConfigIssue } from '../domain/errors.js';
import { quoted } from '../domain/printable.js';

/**
 * `shard:` in the config: this instance is one of `count` and owns the calendars the hash gives
 * its `index` (src/shard/hash.ts, docs/scaling.md). `index: auto` takes the index from the
 * ordinal at the end of the host name, as a Kubernetes StatefulSet names its pods
 * (meetsync-0, meetsync-1, ...). The count is never guessed: it comes from `count:` or from
 * MEETSYNC_SHARD_COUNT, so a pod scaled beyond it fails instead of sharing out calendars wrongly.
 */

/** What the instance runs as once resolved: index in 0..count-1. */
export interface ShardAssignment {
  index: number;
  count: number;
}

export const SHARD_COUNT_ENV = 'MEETSYNC_SHARD_COUNT';
const MAX_SHARDS = 1000;

/** A whole number written as a number, or as text (a `${VAR}` substitution is text). */
function wholeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

const countSchema = z.unknown().transform((v, ctx) => {
  const n = wholeNumber(v);
  if (n === undefined || n < 1 || n > MAX_SHARDS) {
    ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_SHARDS} (the number of meetsync instances)` });
    return z.NEVER;
  }
  return n;
});

const indexSchema = z.unknown().transform((v, ctx): number | 'auto' => {
  if (v === 'auto') return 'auto';
  const n = wholeNumber(v);
  if (n === undefined || n < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be auto (the ordinal at the end of the host name, e.g. meetsync-2) or a whole number from 0' });
    return z.NEVER;
  }
  return n;
});

/** `shard: auto` is short for `shard: {index: auto}` with the count from MEETSYNC_SHARD_COUNT. */
export const shardSchema = z.preprocess(
  (v) => (v === 'auto' ? { index: 'auto' } : v),
  z.object({ index: indexSchema.default('auto'), count: countSchema.optional() }).strict(),
);

export type ShardConfig = z.output<typeof shardSchema>;

/**
 * The index and count this instance runs as, or the one issue that stops it: a missing count,
 * a count that disagrees with MEETSYNC_SHARD_COUNT, a host name without an ordinal, an index
 * not below the count (a StatefulSet scaled up without changing the config).
 */
export function resolveShard(shard: ShardConfig, env: NodeJS.ProcessEnv): { ok: true; shard: ShardAssignment } | { ok: false; issue: ConfigIssue } {
  const fromEnv = env[SHARD_COUNT_ENV];
  const envCount = fromEnv === undefined || fromEnv === '' ? undefined : wholeNumber(fromEnv);
  if (fromEnv && (envCount === undefined || envCount < 1 || envCount > MAX_SHARDS)) {
    return { ok: false, issue: { path: 'shard.count', message: `${SHARD_COUNT_ENV} is ${quoted(fromEnv)}; it must be a whole number from 1 to ${MAX_SHARDS}` } };
  }
  if (shard.count !== undefined && envCount !== undefined && shard.count !== envCount) {
    return {
      ok: false,
      issue: { path: 'shard.count', message: `is ${shard.count} but ${SHARD_COUNT_ENV} is ${envCount}; give the number of instances in one place (change both together when scaling)` },
    };
  }
  const count = shard.count ?? envCount;
  if (count === undefined) {
    return { ok: false, issue: { path: 'shard.count', message: `required: the number of meetsync instances (the StatefulSet's replicas), as shard.count or ${SHARD_COUNT_ENV}` } };
  }
  let index: number;
  if (shard.index === 'auto') {
    const host = env.HOSTNAME ?? '';
    const ordinal = /-(\d+)$/.exec(host)?.[1];
    if (ordinal === undefined) {
      return {
        ok: false,
        issue: { path: 'shard.index', message: `auto takes the index from the ordinal at the end of the host name (meetsync-2 is shard 2), but HOSTNAME is ${host ? quoted(host) : 'not set'}; run meetsync in a StatefulSet or give the index as a number` },
      };
    }
    index = Number(ordinal);
  } else {
    index = shard.index;
  }
  if (index >= count) {
    const who = shard.index === 'auto' ? `this instance (${quoted(env.HOSTNAME ?? '')}) is shard ${index}` : `is ${index}`;
    return {
      ok: false,
      issue: { path: 'shard.index', message: `${who} but shard.count is ${count}, so shards are 0 to ${count - 1}; scale the replicas and shard.count together (docs/scaling.md)` },
    };
  }
  return { ok: true, shard: { index, count } };
}
