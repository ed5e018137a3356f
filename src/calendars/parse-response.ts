import type { z } from 'zod';
import { MalformedResponseError } from '../domain/errors.js';

/** `items[3].start.dateTime`: a zod issue path as a person reads it; `(body)` for the whole body. */
function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

/**
 * Parses a provider's JSON with `schema` at the adapter boundary (Google and Graph alike);
 * throws MalformedResponseError naming `what` and the first bad field.
 */
export function parseWith<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new MalformedResponseError(what, issue ? issuePath(issue.path) : '(body)', issue?.message ?? 'invalid');
}
