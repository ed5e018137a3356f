import { IANAZone } from 'luxon';

/**
 * True when `name` is an IANA time zone luxon knows ("UTC" and legacy aliases included).
 *
 * Not `IANAZone.isValidZone`: that builds a new Intl.DateTimeFormat on every call, and each one
 * holds some 10 KB of ICU memory outside the JavaScript heap until a collection happens to free
 * it. Called for every recurring event and every Outlook event, it was most of the native memory
 * of a first full sync (heaptrack, 100 calendars × 100 events: ~90 MB of ICU date formats).
 * `IANAZone.create` keeps one zone per name, its validity checked once: the same cache that
 * `DateTime.fromISO(…, { zone })` fills.
 */
export function isIanaZone(name: string): boolean {
  return name !== '' && IANAZone.create(name).isValid;
}
