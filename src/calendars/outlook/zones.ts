import windowsIana from 'windows-iana';
import { isIanaZone } from '../../domain/zones.js';

/**
 * Time zone names as Microsoft Graph writes them, turned into IANA names.
 *
 * Graph names zones the Windows way: `originalStartTimeZone`, `recurrence.range.recurrenceTimeZone`
 * and `dateTimeTimeZone.timeZone` carry "Pacific Standard Time" (event-get.md, Response 1;
 * user-post-events.md, Example 3), unless a `Prefer: outlook.timezone` asked otherwise, in which
 * case they may carry an IANA name or "UTC". The engine expands series with luxon, which knows
 * only IANA names (src/domain/recurrence.ts), so every zone leaves the adapter as IANA.
 *
 * The table is CLDR's windowsZones.xml as packaged by windows-iana (MIT, no dependencies):
 * `findIana` lists the zone of territory "001" first, which is CLDR's choice for the Windows
 * zone, then aliases and other territories.
 */

/** Names Graph uses for a zone it cannot name (event.md, originalStartTimeZone). */
const UNNAMED = new Set(['tzone://microsoft/custom', 'customized time zone']);

/**
 * The IANA name for a Windows or IANA zone name, or undefined when there is none: an empty
 * value, a legacy custom zone from desktop Outlook, or a name neither table knows.
 */
export function ianaZoneOf(name: string | null | undefined): string | undefined {
  const trimmed = name?.trim();
  if (!trimmed || UNNAMED.has(trimmed.toLowerCase())) return undefined;
  // IANA first: "UTC" is both, and an IANA name must not go through the Windows table.
  if (isIanaZone(trimmed)) return trimmed;
  return windowsIana.findIana(trimmed).find((zone) => isIanaZone(zone));
}
