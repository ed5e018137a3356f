import { queryParam } from './delta.js';
import { badRequest, timeZoneNotSupported } from './errors.js';
import { ianaZone } from './timezones.js';
import { header, type SimRequest } from '../kit/server.js';

/**
 * What a Graph request asks for beyond its path: the Prefer header's preferences
 * (`odata.maxpagesize=N`, `outlook.timezone="…"`, `IdType="ImmutableId"`,
 * `outlook.body-content-type="text"`; several may come in one header, comma-separated, or in
 * several headers) and the OData options $select, $expand, $top and $skip.
 */

export interface Preferences {
  maxPageSize?: number;
  /** A zone name Graph knows, as the client wrote it. */
  zone?: string;
  immutableIds: boolean;
  bodyAsText: boolean;
  /** For the Preference-Applied response header. */
  applied: string[];
}

export function preferences(req: SimRequest): Preferences {
  const raw = req.headers.prefer;
  const text = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  const prefs: Preferences = { immutableIds: false, bodyAsText: false, applied: [] };
  for (const match of text.matchAll(/([A-Za-z][\w.-]*)\s*=\s*(?:"([^"]*)"|([^,;\s]+))/g)) {
    const name = match[1]!.toLowerCase();
    const value = match[2] ?? match[3] ?? '';
    if (name === 'odata.maxpagesize' && /^\d+$/.test(value) && Number(value) > 0) {
      prefs.maxPageSize = Number(value);
      prefs.applied.push(`odata.maxpagesize=${value}`);
    } else if (name === 'outlook.timezone') {
      // An unknown zone is a 400, not a fallback to UTC (as Graph answers in the field).
      if (!ianaZone(value)) throw timeZoneNotSupported(value);
      prefs.zone = value;
      prefs.applied.push(`outlook.timezone="${value}"`);
    } else if (name === 'idtype' && value.toLowerCase() === 'immutableid') {
      prefs.immutableIds = true;
      prefs.applied.push('IdType="ImmutableId"');
    } else if (name === 'outlook.body-content-type' && (value === 'text' || value === 'html')) {
      prefs.bodyAsText = value === 'text';
      prefs.applied.push(`outlook.body-content-type="${value}"`);
    }
  }
  return prefs;
}

/**
 * `$expand=singleValueExtendedProperties($filter=id eq '…')` (several ids joined by `or`):
 * the extended property ids asked for; undefined without $expand. Any other expansion is refused
 * as Graph's OData parser refuses an unknown navigation property.
 */
export function expandedProperties(query: URLSearchParams): string[] | undefined {
  const expand = queryParam(query, '$expand');
  if (expand === null) return undefined;
  const match = /^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)\s*$/i.exec(expand);
  const ids = match ? [...match[1]!.matchAll(/id\s+eq\s+'((?:[^']|'')*)'/gi)].map((m) => m[1]!.replaceAll("''", "'")) : [];
  if (!match || ids.length === 0) {
    throw badRequest(
      `Parsing OData Select and Expand failed: the simulator expands only singleValueExtendedProperties($filter=id eq '…'); got '${expand}'.`,
    );
  }
  return ids;
}

export function selectedProperties(query: URLSearchParams): string[] | undefined {
  const select = queryParam(query, '$select');
  return select === null ? undefined : select.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A page of a plain collection: $top (else maxpagesize, else `defaultSize`) items from $skip. */
export function pageOf<T>(items: T[], req: SimRequest, prefs: Preferences, defaultSize: number, selfUrl: string) {
  const top = queryParam(req.query, '$top');
  const skipRaw = queryParam(req.query, '$skip');
  const size = top !== null && /^\d+$/.test(top) ? Math.max(1, Number(top)) : (prefs.maxPageSize ?? defaultSize);
  const skip = skipRaw !== null && /^\d+$/.test(skipRaw) ? Number(skipRaw) : 0;
  const value = items.slice(skip, skip + size);
  let nextLink: string | undefined;
  if (skip + size < items.length) {
    const params = [...req.query].filter(([k]) => k.toLowerCase() !== '$skip').concat([['$skip', String(skip + size)]]);
    const encode = (s: string) => encodeURIComponent(s).replace(/^%24/, '$');
    nextLink = `${selfUrl}?${params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
  }
  return { value, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) };
}

export function clientRequestId(req: SimRequest): string | undefined {
  return header(req.headers, 'client-request-id');
}
