import { PAID_UNTIL_HELP } from './paid-until-help.js';
import { DateTime, Duration } from 'luxon';
import { z } from 'zod';

/**
 * How long an account meetsync creates is paid for (`paidUntil` of POST /api/v6/account).
 * A fixed date in a config file silently turns into a date in the past one day, and every
 * account created after it would be born expired; so the default is a duration, counted from
 * the moment the account is created: one year.
 */
export const DEFAULT_PAID_UNTIL = 'P1Y';

const SHORT_DAYS = /^(\d{1,5})d$/i;
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

export type PaidUntil = { kind: 'instant'; at: Date } | { kind: 'duration'; duration: Duration };

/** An ISO-8601 UTC instant, an ISO-8601 duration (P1Y, P6M, P90D) or a number of days (365d). */
export function parsePaidUntil(text: string): PaidUntil | undefined {
  const value = text.trim();
  if (UTC_INSTANT.test(value)) {
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? undefined : { kind: 'instant', at };
  }
  const days = SHORT_DAYS.exec(value);
  const duration = days ? Duration.fromObject({ days: Number(days[1]) }) : Duration.fromISO(value.toUpperCase());
  if (!duration.isValid || duration.toMillis() <= 0) return undefined;
  return { kind: 'duration', duration };
}

/** The instant to send to the platform: a duration is counted from `now` (UTC calendar arithmetic). */
export function resolvePaidUntil(text: string, now: Date): Date {
  const parsed = parsePaidUntil(text);
  if (!parsed) throw new RangeError(`not a paidUntil value: ${text}`);
  if (parsed.kind === 'instant') return parsed.at;
  return DateTime.fromJSDate(now, { zone: 'utc' }).plus(parsed.duration).toJSDate();
}

export { PAID_UNTIL_HELP };

export const paidUntilSchema = z
  .string()
  .refine((v) => parsePaidUntil(v) !== undefined, `must be ${PAID_UNTIL_HELP}`)
  .default(DEFAULT_PAID_UNTIL);
