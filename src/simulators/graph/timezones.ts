import { DateTime } from 'luxon';

/**
 * Time zones as Microsoft Graph names them. dateTimeTimeZone.timeZone "can be set to any of the
 * time zones supported by Windows, as well as" a list of IANA names (resources/datetimetimezone.md);
 * outlook.timezone in a Prefer header takes the same names (event-get.md "Support various time
 * zones"). Windows names are mapped to IANA with the territory "001" rows of CLDR's
 * common/supplemental/windowsZones.xml (unicode-org/cldr), so luxon can do the arithmetic. The
 * simulator also accepts any other IANA name luxon knows (a superset of Graph's list).
 */

const WINDOWS_TO_IANA: Record<string, string> = {
  'Dateline Standard Time': 'Etc/GMT+12',
  'UTC-11': 'Etc/GMT+11',
  'Aleutian Standard Time': 'America/Adak',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Marquesas Standard Time': 'Pacific/Marquesas',
  'Alaskan Standard Time': 'America/Anchorage',
  'UTC-09': 'Etc/GMT+9',
  'Pacific Standard Time (Mexico)': 'America/Tijuana',
  'UTC-08': 'Etc/GMT+8',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time (Mexico)': 'America/Mazatlan',
  'Mountain Standard Time': 'America/Denver',
  'Yukon Standard Time': 'America/Whitehorse',
  'Central America Standard Time': 'America/Guatemala',
  'Central Standard Time': 'America/Chicago',
  'Easter Island Standard Time': 'Pacific/Easter',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'SA Pacific Standard Time': 'America/Bogota',
  'Eastern Standard Time (Mexico)': 'America/Cancun',
  'Eastern Standard Time': 'America/New_York',
  'Haiti Standard Time': 'America/Port-au-Prince',
  'Cuba Standard Time': 'America/Havana',
  'US Eastern Standard Time': 'America/Indianapolis',
  'Turks And Caicos Standard Time': 'America/Grand_Turk',
  'Paraguay Standard Time': 'America/Asuncion',
  'Atlantic Standard Time': 'America/Halifax',
  'Venezuela Standard Time': 'America/Caracas',
  'Central Brazilian Standard Time': 'America/Cuiaba',
  'SA Western Standard Time': 'America/La_Paz',
  'Pacific SA Standard Time': 'America/Santiago',
  'Newfoundland Standard Time': 'America/St_Johns',
  'Tocantins Standard Time': 'America/Araguaina',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'SA Eastern Standard Time': 'America/Cayenne',
  'Argentina Standard Time': 'America/Buenos_Aires',
  'Greenland Standard Time': 'America/Godthab',
  'Montevideo Standard Time': 'America/Montevideo',
  'Magallanes Standard Time': 'America/Punta_Arenas',
  'Saint Pierre Standard Time': 'America/Miquelon',
  'Bahia Standard Time': 'America/Bahia',
  'UTC-02': 'Etc/GMT+2',
  'Azores Standard Time': 'Atlantic/Azores',
  'Cape Verde Standard Time': 'Atlantic/Cape_Verde',
  UTC: 'Etc/UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'Sao Tome Standard Time': 'Africa/Sao_Tome',
  'Morocco Standard Time': 'Africa/Casablanca',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'Jordan Standard Time': 'Asia/Amman',
  'GTB Standard Time': 'Europe/Bucharest',
  'Middle East Standard Time': 'Asia/Beirut',
  'Egypt Standard Time': 'Africa/Cairo',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'Syria Standard Time': 'Asia/Damascus',
  'West Bank Standard Time': 'Asia/Hebron',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'FLE Standard Time': 'Europe/Kiev',
  'Israel Standard Time': 'Asia/Jerusalem',
  'South Sudan Standard Time': 'Africa/Juba',
  'Kaliningrad Standard Time': 'Europe/Kaliningrad',
  'Sudan Standard Time': 'Africa/Khartoum',
  'Libya Standard Time': 'Africa/Tripoli',
  'Namibia Standard Time': 'Africa/Windhoek',
  'Arabic Standard Time': 'Asia/Baghdad',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Arab Standard Time': 'Asia/Riyadh',
  'Belarus Standard Time': 'Europe/Minsk',
  'Russian Standard Time': 'Europe/Moscow',
  'E. Africa Standard Time': 'Africa/Nairobi',
  'Iran Standard Time': 'Asia/Tehran',
  'Arabian Standard Time': 'Asia/Dubai',
  'Astrakhan Standard Time': 'Europe/Astrakhan',
  'Azerbaijan Standard Time': 'Asia/Baku',
  'Russia Time Zone 3': 'Europe/Samara',
  'Mauritius Standard Time': 'Indian/Mauritius',
  'Saratov Standard Time': 'Europe/Saratov',
  'Georgian Standard Time': 'Asia/Tbilisi',
  'Volgograd Standard Time': 'Europe/Volgograd',
  'Caucasus Standard Time': 'Asia/Yerevan',
  'Afghanistan Standard Time': 'Asia/Kabul',
  'West Asia Standard Time': 'Asia/Tashkent',
  'Ekaterinburg Standard Time': 'Asia/Yekaterinburg',
  'Pakistan Standard Time': 'Asia/Karachi',
  'Qyzylorda Standard Time': 'Asia/Qyzylorda',
  'India Standard Time': 'Asia/Calcutta',
  'Sri Lanka Standard Time': 'Asia/Colombo',
  'Nepal Standard Time': 'Asia/Katmandu',
  'Central Asia Standard Time': 'Asia/Bishkek',
  'Bangladesh Standard Time': 'Asia/Dhaka',
  'Omsk Standard Time': 'Asia/Omsk',
  'Myanmar Standard Time': 'Asia/Rangoon',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'Altai Standard Time': 'Asia/Barnaul',
  'W. Mongolia Standard Time': 'Asia/Hovd',
  'North Asia Standard Time': 'Asia/Krasnoyarsk',
  'N. Central Asia Standard Time': 'Asia/Novosibirsk',
  'Tomsk Standard Time': 'Asia/Tomsk',
  'China Standard Time': 'Asia/Shanghai',
  'North Asia East Standard Time': 'Asia/Irkutsk',
  'Singapore Standard Time': 'Asia/Singapore',
  'W. Australia Standard Time': 'Australia/Perth',
  'Taipei Standard Time': 'Asia/Taipei',
  'Ulaanbaatar Standard Time': 'Asia/Ulaanbaatar',
  'Aus Central W. Standard Time': 'Australia/Eucla',
  'Transbaikal Standard Time': 'Asia/Chita',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'North Korea Standard Time': 'Asia/Pyongyang',
  'Korea Standard Time': 'Asia/Seoul',
  'Yakutsk Standard Time': 'Asia/Yakutsk',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'AUS Central Standard Time': 'Australia/Darwin',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'West Pacific Standard Time': 'Pacific/Port_Moresby',
  'Tasmania Standard Time': 'Australia/Hobart',
  'Vladivostok Standard Time': 'Asia/Vladivostok',
  'Lord Howe Standard Time': 'Australia/Lord_Howe',
  'Bougainville Standard Time': 'Pacific/Bougainville',
  'Russia Time Zone 10': 'Asia/Srednekolymsk',
  'Magadan Standard Time': 'Asia/Magadan',
  'Norfolk Standard Time': 'Pacific/Norfolk',
  'Sakhalin Standard Time': 'Asia/Sakhalin',
  'Central Pacific Standard Time': 'Pacific/Guadalcanal',
  'Russia Time Zone 11': 'Asia/Kamchatka',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'UTC+12': 'Etc/GMT-12',
  'Fiji Standard Time': 'Pacific/Fiji',
  'Chatham Islands Standard Time': 'Pacific/Chatham',
  'UTC+13': 'Etc/GMT-13',
  'Tonga Standard Time': 'Pacific/Tongatapu',
  'Samoa Standard Time': 'Pacific/Apia',
  'Line Islands Standard Time': 'Pacific/Kiritimati',
};

const BY_LOWER = new Map(Object.entries(WINDOWS_TO_IANA).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * Keeps the results of a pure conversion below: a calendar view places the same occurrences again
 * on every delta round, and luxon's zone arithmetic dominated the simulator's time at a thousand
 * mailboxes. A performance cache only: the answers are the same with or without it.
 */
export function memoized<A extends Array<string | number | undefined>, R>(fn: (...args: A) => R): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args) => {
    const key = args.join('\u0000');
    if (cache.has(key)) return cache.get(key) as R;
    if (cache.size >= 200_000) cache.clear();
    const value = fn(...args);
    cache.set(key, value);
    return value;
  };
}

/** The IANA zone a Graph time zone name stands for, or undefined when Graph would refuse it. */
export const ianaZone = memoized((name: string | undefined): string | undefined => {
  if (name === undefined || name.trim() === '') return undefined;
  const windows = BY_LOWER.get(name.trim().toLowerCase());
  if (windows) return windows;
  return DateTime.local().setZone(name.trim()).isValid ? name.trim() : undefined;
});

/** Whether a stored zone name is a Windows one (Graph answers with the name it was given). */
export function isWindowsZone(name: string): boolean {
  return BY_LOWER.has(name.trim().toLowerCase());
}

/**
 * The wall-clock format of dateTimeTimeZone.dateTime in Graph answers: no offset, seven fractional
 * digits ("2017-04-21T10:00:00.0000000", event-get.md Response 1).
 */
export const formatWallClock = memoized((ms: number, zone: string): string => {
  const dt = DateTime.fromMillis(ms, { zone: ianaZone(zone) ?? 'UTC' });
  return `${dt.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.${String(dt.millisecond).padStart(3, '0')}0000`;
});

/** createdDateTime / lastModifiedDateTime: UTC with seven fractional digits and Z. */
export function formatUtcStamp(ms: number): string {
  return `${formatWallClock(ms, 'UTC')}Z`;
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The instant a request's dateTimeTimeZone names. dateTime is wall-clock time in timeZone; a
 * dateTime that carries its own offset is taken as that instant (the simulator's reading).
 */
export function wallClockToMillis(dateTime: string, zone: string): number | undefined {
  const iana = ianaZone(zone);
  if (!iana) return undefined;
  const parsed = HAS_OFFSET.test(dateTime)
    ? DateTime.fromISO(dateTime, { setZone: true })
    : DateTime.fromISO(dateTime, { zone: iana });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/**
 * startDateTime / endDateTime query parameters: ISO 8601; "If no timezone offset is included in
 * the value, it is interpreted as UTC" (beta event-delta.md, Query parameters). A `+` offset sent
 * unencoded arrives as a space, so a space before the offset is read as `+`.
 */
export function parseQueryInstant(raw: string | null): number | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const value = raw.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const parsed = HAS_OFFSET.test(value) ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromISO(value, { zone: 'UTC' });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/** The calendar date (yyyy-MM-dd) of an instant in a zone. */
export const dateIn = memoized((ms: number, zone: string): string => DateTime.fromMillis(ms, { zone: ianaZone(zone) ?? 'UTC' }).toISODate()!);

/** The instant of `date` at the wall-clock time of day `timeOfDayMs` (ms since midnight) in zone. */
export const atTimeOfDay = memoized((date: string, timeOfDayMs: number, zone: string): number => {
  const midnight = DateTime.fromISO(date, { zone: ianaZone(zone) ?? 'UTC' });
  return midnight
    .set({
      hour: Math.floor(timeOfDayMs / 3_600_000),
      minute: Math.floor((timeOfDayMs % 3_600_000) / 60_000),
      second: Math.floor((timeOfDayMs % 60_000) / 1000),
      millisecond: timeOfDayMs % 1000,
    })
    .toMillis();
});

/** Milliseconds since local midnight of an instant in a zone (for placing occurrences). */
export const timeOfDay = memoized((ms: number, zone: string): number => {
  const dt = DateTime.fromMillis(ms, { zone: ianaZone(zone) ?? 'UTC' });
  return ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1000 + dt.millisecond;
});
