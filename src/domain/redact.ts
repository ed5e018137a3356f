/**
 * Secrets (the platform API key, client secrets, refresh and access tokens, ICS tokens) must
 * never reach a log line, an error message, a report or the database. Every secret meetsync
 * learns is registered here, and every message leaving the process goes through `scrub`.
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not registered: replacing them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;

/**
 * Token shapes that are secret wherever they appear, even before they are registered.
 * The ICS feed path carries its token: `/api/v6/meeting/calender/user/<icsToken>`
 * (web-meeting-api-tutorial.txt, "Retrieve the account admin").
 */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(\/calender\/user\/)[^/?#\s"']+/gi, `$1${REDACTED}`],
  // Both icsTokens in the tutorial (an admin's and a meeting's) are two UUIDs joined by a dash.
  // A process that has not read the admins itself (a `meetsync sync` whose organizers are all
  // known) has registered no token, yet a platform error may still echo one: the shape catches it.
  [/(?<![0-9a-f-])[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?![0-9a-f-])/gi, REDACTED],
  [/(\bBearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`],
  // A PEM private key (the Outlook certificate credential's), wherever one is pasted.
  [/-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----/g, REDACTED],
  [/("?(?:access_token|refresh_token|client_secret|id_token|assertion|apiKey|api_key|icsToken)"?\s*[:=]\s*"?)[^"&,\s}]+/gi, `$1${REDACTED}`],
];

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Scrubs every string inside a JSON-like value (for log records and reports). */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v);
    return out as T;
  }
  return value;
}
