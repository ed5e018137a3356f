import { randomBytes } from 'node:crypto';

/**
 * Event ids. Outlook ids are opaque, case-sensitive base64 strings; the default (REST) id of an
 * item changes when the item moves, while `Prefer: IdType="ImmutableId"` asks for an id that
 * stays for the item's life in the mailbox (concepts/outlook-immutable-id.md). The two formats
 * differ ("AAMkA…" REST ids and "AAkALg…" immutable ids in Microsoft's samples), and
 * "the @odata.nextLink and @odata.deltaLink values … are compatible with both ID formats".
 * Occurrences of a series have ids of their own (event-list-instances.json); here they encode the
 * master and the original start date, so an occurrence id is valid before anyone touched it.
 */

export interface ItemRef {
  /** The stored item's key (a series master for occurrences). */
  key: string;
  /** For occurrences and exceptions: the original start date, yyyy-MM-dd. */
  occurrence?: string;
}

export interface ParsedId extends ItemRef {
  kind: 'rest' | 'immutable';
  /** REST ids only: the move generation they were minted in. */
  version?: number;
}

const REST_PREFIX = 'AAMkA';
const IMMUTABLE_PREFIX = 'AAkALg';

export function newItemKey(): string {
  return randomBytes(12).toString('hex');
}

/** The snapshot key of an item: the stored key, plus the date for occurrences. */
export function itemKeyOf(ref: ItemRef): string {
  return ref.occurrence ? `${ref.key}.${ref.occurrence}` : ref.key;
}

export function refOfItemKey(itemKey: string): ItemRef {
  const [key, occurrence] = itemKey.split('.');
  return occurrence ? { key: key!, occurrence } : { key: key! };
}

/** Outlook writes base64 with "-" for "/" and "_" for "+", keeping the "=" padding. */
function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replaceAll('/', '-').replaceAll('+', '_');
}

function decode(text: string): string | undefined {
  try {
    const raw = Buffer.from(text.replaceAll('-', '/').replaceAll('_', '+'), 'base64').toString('utf8');
    return /^[0-9a-f]{24}(\.\d{4}-\d{2}-\d{2})?(~\d+)?$/.test(raw) ? raw : undefined;
  } catch {
    return undefined;
  }
}

export function restId(ref: ItemRef, version: number): string {
  return REST_PREFIX + encode(`${itemKeyOf(ref)}~${version}`);
}

export function immutableId(ref: ItemRef): string {
  return IMMUTABLE_PREFIX + encode(itemKeyOf(ref));
}

export function presentId(ref: ItemRef, version: number, immutable: boolean): string {
  return immutable ? immutableId(ref) : restId(ref, version);
}

export function parseId(id: string): ParsedId | undefined {
  const kind = id.startsWith(IMMUTABLE_PREFIX) ? 'immutable' : id.startsWith(REST_PREFIX) ? 'rest' : undefined;
  if (!kind) return undefined;
  const raw = decode(id.slice(kind === 'immutable' ? IMMUTABLE_PREFIX.length : REST_PREFIX.length));
  if (!raw) return undefined;
  const [itemKey, version] = raw.split('~');
  if ((kind === 'rest') !== (version !== undefined)) return undefined;
  return { ...refOfItemKey(itemKey!), kind, ...(version !== undefined ? { version: Number(version) } : {}) };
}

/** A changeKey: opaque base64 that changes with every write (event-recurring-seriesmaster.json). */
export function newChangeKey(): string {
  return randomBytes(21).toString('base64');
}

/** Outlook iCalUIds are hex GlobalObjectIds ("040000008200E00074C5B7101A82E008…"). */
export function newICalUId(): string {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `040000008200E00074C5B7101A82E00800000000${hex(8)}000000000000000010000000${hex(16)}`;
}
