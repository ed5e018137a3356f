import { printable } from '../../domain/printable.js';
import { KIND_LABEL, type Finding, type ReconcileReport } from '../findings.js';

/**
 * The report as CSV for a spreadsheet: one row per finding (in-step meetings included), RFC 4180
 * quoting, CRLF line ends, and a UTF-8 byte-order mark so that Excel reads the topics' accents
 * and emoji as UTF-8. A cell starting with = + - @ (or a TAB or CR) is prefixed with an apostrophe:
 * topics are written by whoever sent the invitation, and a spreadsheet would run them as
 * formulas (OWASP "CSV injection").
 */

const COLUMNS: Array<[string, (f: Finding) => string | undefined]> = [
  ['organizer', (f) => f.organizer],
  ['kind', (f) => KIND_LABEL[f.kind]],
  ['meeting_number', (f) => f.meetingNumber],
  ['meeting_id', (f) => f.meetingId],
  ['topic', (f) => f.topic],
  ['platform_topic', (f) => f.platform?.topic],
  ['platform_start', (f) => f.platform?.start],
  ['platform_end', (f) => f.platform?.end],
  ['event_source', (f) => f.event?.source],
  ['event_calendar', (f) => f.event?.calendarId],
  ['event_id', (f) => f.event?.eventId],
  ['event_start', (f) => f.event?.start],
  ['event_end', (f) => f.event?.end],
  ['fields', (f) => f.fields?.join(' ')],
  ['detail', (f) => f.detail],
  ['repair', (f) => f.fix],
  ['repair_outcome', (f) => f.repair?.outcome ?? (f.fixBlocked ? 'blocked' : undefined)],
  ['repair_detail', (f) => f.repair?.detail ?? f.fixBlocked],
  ['explain', (f) => f.explain],
];

export function csvCell(value: string | undefined): string {
  // No terminal control in a cell (a topic may carry one): the file may well be read with `cat`.
  let text = printable(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(report: ReconcileReport): string {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  for (const f of report.findings) lines.push(COLUMNS.map(([, get]) => csvCell(get(f))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
