import { FINDING_KINDS, INFORMATION_KINDS, KIND_LABEL, type Finding, type ReconcileReport } from '../findings.js';
import { printable } from '../../domain/printable.js';
import { modeText, utcText } from './words.js';

/**
 * The report for a terminal or a mail: a heading, per organizer a table of what needs attention
 * (meetings in step are only counted), and a summary line. Plain text; the CLI's output boundary
 * strips terminal controls from it (topics come from whoever sent the invitation), and a table
 * cell strips them first (printable, as the HTML and CSV reports do), so its width is what shows.
 */

const WARNINGS_SHOWN = 10;

/** Cuts to `width` characters (by code point, so an emoji is never split), padding to it. */
function cell(text: string, width: number): string {
  const chars = [...printable(text).replace(/\s+/g, ' ')];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('');
  return cut + ' '.repeat(Math.max(0, width - [...cut].length));
}

export function summaryLine(report: ReconcileReport): string {
  const s = report.summary;
  const counts = FINDING_KINDS.filter((k) => k !== 'in-step' && k !== 'unmanaged' && s[k] > 0).map((k) => `${s[k]} ${KIND_LABEL[k]}`);
  const info = `${s['in-step']} in step${s.unmanaged > 0 ? `, ${s.unmanaged} unmanaged (information)` : ''}`;
  const repaired = s.repaired > 0 ? `; ${s.repaired} repaired` : '';
  const verdict = s.open === 0 ? 'all in step' : `${s.open} need${s.open === 1 ? 's' : ''} attention`;
  return `Summary: ${[info, ...counts].join(', ')}${repaired} -> ${verdict}`;
}

function meetingOf(f: Finding): string {
  return f.meetingNumber ?? f.meetingId ?? (f.event ? `event ${f.event.eventId}` : '');
}

function row(f: Finding): string[] {
  const lines = [`  ${cell(KIND_LABEL[f.kind], 15)} ${cell(meetingOf(f), 19)}  ${cell(f.topic || '(no topic)', 28)}  ${f.detail}`];
  if (f.repair) lines.push(`  ${' '.repeat(15)} ${' '.repeat(19)}  ${' '.repeat(28)}  repair: ${f.repair.outcome} - ${f.repair.detail}`);
  else if (f.fixBlocked && !INFORMATION_KINDS.has(f.kind)) lines.push(`  ${' '.repeat(68)}  (${f.fixBlocked})`);
  // Why it came to this: the event's story (issue 20).
  if (f.explain && !INFORMATION_KINDS.has(f.kind)) lines.push(`  ${' '.repeat(68)}  why: ${f.explain}`);
  return lines;
}

export function renderText(report: ReconcileReport): string {
  const s = report.summary;
  const out: string[] = [
    `meetsync reconciliation, ${utcText(report.generatedAt)} (${modeText(report)})`,
    `${s.organizers} organizer(s), ${s.platformMeetings} meeting(s) on the platform, ${s.mappings} mapped event(s) compared` +
      (s.past > 0 ? `, ${s.past} that are over left out` : ''),
    '',
  ];
  for (const o of report.organizers) {
    const mine = report.findings.filter((f) => f.organizer === o.email);
    const inStep = mine.filter((f) => f.kind === 'in-step').length;
    const shown = mine.filter((f) => f.kind !== 'in-step' && f.kind !== 'feed-unreadable');
    if (!o.feed.ok) out.push(`${o.email}: FEED UNREADABLE: ${o.feed.error}`);
    else out.push(`${o.email}: ${o.feed.meetings} meeting(s) in the feed, ${inStep} in step${shown.length === 0 ? '' : `, ${shown.length} to look at`}`);
    if (shown.length > 0) {
      out.push(`  ${cell('KIND', 15)} ${cell('MEETING', 19)}  ${cell('TOPIC', 28)}  WHAT`);
      for (const f of shown) out.push(...row(f));
    }
    if (o.feed.ok && o.feed.warnings.length > 0) {
      out.push(`  feed warnings (${o.feed.warnings.length}):`);
      for (const w of o.feed.warnings.slice(0, WARNINGS_SHOWN)) out.push(`    ${w.line ? `line ${w.line}: ` : ''}${w.message}${w.lost ? ' [an entry was skipped]' : ''}`);
      if (o.feed.warnings.length > WARNINGS_SHOWN) out.push(`    ... and ${o.feed.warnings.length - WARNINGS_SHOWN} more (see --format json)`);
    }
    out.push('');
  }
  // Findings without an organizer reconciled above (none today), so nothing found is ever left out.
  const emails = new Set(report.organizers.map((o) => o.email));
  const stray = report.findings.filter((f) => !emails.has(f.organizer) && f.kind !== 'in-step');
  if (stray.length > 0) {
    out.push('Other:');
    for (const f of stray) out.push(...row(f));
    out.push('');
  }
  out.push(summaryLine(report));
  return `${out.join('\n')}\n`;
}
