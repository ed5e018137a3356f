import { DateTime } from 'luxon';
import { ZONE } from './company.js';

const width = (text: string) => [...text].length;

/** Words of `text` in lines of at most `max` characters (a longer word gets a line of its own). */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && width(line) + 1 + width(word) > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/**
 * Lines of a table whose columns line up. The last column is as long as it is, except prose
 * (text with spaces): that goes on under itself rather than past the longest line without
 * prose (a link), or past 100 characters when there is none.
 */
export function aligned(rows: ReadonlyArray<readonly string[]>, indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  const gap = '   ';
  const leadOf = (row: readonly string[]) => indent + row.slice(0, -1).map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - width(cell)) + gap).join('');
  const maxWidth = Math.max(100, ...rows.filter((r) => !(r.at(-1) ?? '').includes(' ')).map((r) => width(leadOf(r) + (r.at(-1) ?? ''))));
  return rows.flatMap((row) => {
    const lead = leadOf(row);
    const last = row.at(-1) ?? '';
    const room = maxWidth - width(lead);
    if (width(lead) + width(last) <= maxWidth || room < 30) return [(lead + last).trimEnd()];
    const [first, ...rest] = wrap(last, room);
    return [lead + first, ...rest.map((l) => ' '.repeat(width(lead)) + l)];
  });
}

/** "Thu 3 Dec 09:30" in the company's time zone. */
export function when(iso: string): string {
  return DateTime.fromISO(iso, { zone: ZONE }).toFormat('ccc d LLL HH:mm');
}

/** "Mon 7 Dec" for an all-day event's first day. */
export function day(iso: string): string {
  return DateTime.fromISO(iso, { zone: ZONE }).toFormat('ccc d LLL');
}
