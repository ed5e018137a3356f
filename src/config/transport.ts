import { z } from 'zod';

/**
 * Which endpoint URLs the config accepts. The Web Meeting API key gives full control of the
 * platform, and the Google and Microsoft endpoints receive client secrets, refresh tokens and
 * access tokens: over plain http:// all of them would cross the network in clear. http:// is
 * accepted only for a loopback host, where nothing leaves the machine (local simulators, a proxy
 * on the same host).
 */

/** 127.0.0.0/8, ::1 and `localhost` (URL.hostname form: lower case, IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host === '[::1]') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/** True when the URL is https://, or http:// to a loopback host; false for anything else. */
export function isSecureEndpoint(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

/**
 * A URL that `carries` (e.g. "the API key") is sent to: https://, or http:// on loopback only.
 * The message names what would leak, so the person editing the key knows why it is refused.
 */
export function endpointUrl(carries: string) {
  return z
    .string()
    .url('must be a URL such as https://example.com')
    .refine((u) => /^https?:\/\//i.test(u), 'must start with https://')
    .refine(
      (u) => !/^http:\/\//i.test(u) || isSecureEndpoint(u),
      `must start with https://: over http:// ${carries} would cross the network in clear (http:// is accepted only for 127.0.0.0/8, ::1 or localhost)`,
    );
}
