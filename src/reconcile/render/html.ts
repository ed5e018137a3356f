import { FINDING_KINDS, INFORMATION_KINDS, KIND_LABEL, type Finding, type OrganizerResult, type ReconcileReport } from '../findings.js';
import { escapeHtml as h } from './escape.js';
import { renderTimeline } from './timeline.js';
import { summaryLine } from './text.js';
import { modeText, utcText } from './words.js';

/**
 * The report as one self-contained HTML page, to open from disk or mail to whoever asks: inline
 * CSS, an inline SVG picture, no script, no font or image from anywhere. Its Content Security
 * Policy (`default-src 'none'`) makes the browser refuse any load or script, should a string
 * ever get past the escaping. Every string is escaped (escape.ts).
 */

const STYLE = `
:root { color-scheme: light; --ok: #1d7a46; --warn: #a15c00; --bad: #b3261e; --info: #45606f; --line: #d8dde3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #57606a; margin: 0; }
.verdict { margin: 16px 0; padding: 12px 16px; border-radius: 8px; font-weight: 600; font-size: 16px; }
.verdict.ok { background: #e6f4ea; color: var(--ok); } .verdict.attention { background: #fff4e0; color: var(--warn); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; list-style: none; padding: 0; margin: 0; }
.cards li { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 112px; }
.cards .n { display: block; font-size: 22px; font-weight: 700; } .cards .zero { opacity: .55; }
.cards .k-in-step .n { color: var(--ok); } .cards .k-unmanaged .n { color: var(--info); }
section.organizer { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; table-layout: fixed; }
td { overflow-wrap: anywhere; } td.when { font-size: 11px; white-space: normal; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #57606a; }
td.kind span { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; background: #eef1f4; }
.kind-time-drift span, .kind-topic-drift span { background: #fff0d6; color: var(--warn); }
.kind-missing span, .kind-feed-unreadable span, .kind-duplicate span { background: #fde7e5; color: var(--bad); }
.kind-orphan span, .kind-stuck span { background: #f3e8ff; color: #6b2fa3; }
.kind-in-step span { background: #e6f4ea; color: var(--ok); } .kind-unmanaged span { background: #e8eef2; color: var(--info); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
td.number { white-space: nowrap; font-size: 11.5px; } .event-key { color: #57606a; font-size: 11px; }
.repair-done { color: var(--ok); } .repair-failed { color: var(--bad); } .repair-would, .repair-skipped, .blocked { color: #57606a; }
.feed-bad { color: var(--bad); font-weight: 600; }
details summary { cursor: pointer; color: #57606a; margin: 6px 0; }
.timeline { background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.timeline .tick { stroke: var(--line); } .timeline .bar-label { font-size: 11px; fill: #57606a; }
.timeline .row-label { font-size: 13px; fill: #1f2328; } .timeline .shift { font-size: 12px; fill: var(--warn); text-anchor: end; font-weight: 600; }
caption { text-align: left; font-size: 12px; }
.bar-event { fill: #2f6feb; } .bar-platform { fill: #d97706; }
.legend { color: #57606a; margin: 4px 0 0; } .legend i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; vertical-align: middle; }
footer { color: #57606a; font-size: 12px; padding-bottom: 32px; }
`;

function kindCell(f: Finding): string {
  return `<td class="kind kind-${f.kind}"><span>${h(KIND_LABEL[f.kind])}</span></td>`;
}

/** `2026-12-03<br>08:00-09:00 UTC` (the end's day too when it differs). */
function sideText(start: string | undefined, end: string | undefined): string {
  if (!start) return '';
  const s = utcText(start);
  const e = end ? utcText(end) : '';
  if (!e) return h(s);
  const [sDay, sTime] = s.split(' ');
  const [eDay, eTime] = e.split(' ');
  return sDay === eDay ? `${h(sDay!)}<br>${h(`${sTime}-${eTime} UTC`)}` : `${h(s)}<br>to ${h(e)}`;
}

/** What `--repair` would do, in words, for a report made without it. */
const FIX_WORDS = {
  update: 'repair: update from the event',
  recreate: 'repair: create again, write the link back',
  adopt: 'repair: its event adopts it',
  delete: 'repair with --delete-orphans: delete',
} as const;

function repairCell(f: Finding): string {
  if (f.repair) return `<td class="repair-${f.repair.outcome}">${h(`${f.repair.outcome}: ${f.repair.detail}`)}</td>`;
  if (f.fixBlocked && !INFORMATION_KINDS.has(f.kind)) return `<td class="blocked">${h(f.fixBlocked)}</td>`;
  if (f.fix) return `<td class="blocked">${h(FIX_WORDS[f.fix])}</td>`;
  return '<td></td>';
}

function findingRow(f: Finding): string {
  const meeting = f.meetingNumber ?? f.meetingId ?? '';
  const event = f.event ? `${f.event.source} / ${f.event.calendarId} / ${f.event.eventId}` : '';
  return [
    '<tr>',
    kindCell(f),
    `<td class="mono number">${h(meeting)}</td>`,
    `<td>${h(f.topic || '(no topic)')}${event ? `<br><span class="mono event-key">${h(event)}</span>` : ''}</td>`,
    `<td class="mono when">${sideText(f.event?.start, f.event?.end)}</td>`,
    `<td class="mono when">${sideText(f.platform?.start, f.platform?.end)}</td>`,
    `<td>${h(f.detail)}${f.explain ? `<br><span class="mono event-key">why: ${h(f.explain)}</span>` : ''}</td>`,
    repairCell(f),
    '</tr>',
  ].join('');
}

const COLUMNS = '<colgroup><col style="width:9%"><col style="width:14%"><col style="width:19%"><col style="width:11%"><col style="width:11%"><col style="width:22%"><col style="width:14%"></colgroup>';
const HEAD = '<tr><th>Kind</th><th>Meeting</th><th>Topic / event</th><th>Calendar (meetsync)</th><th>Platform (feed)</th><th>What</th><th>Repair</th></tr>';

function table(findings: readonly Finding[], caption: string): string {
  return `<table><caption class="meta">${h(caption)}</caption>${COLUMNS}<thead>${HEAD}</thead><tbody>${findings.map(findingRow).join('\n')}</tbody></table>`;
}

function organizerSection(o: OrganizerResult, findings: readonly Finding[]): string {
  const inStep = findings.filter((f) => f.kind === 'in-step');
  // An unreadable feed is said once, in the section's first line.
  const shown = findings.filter((f) => f.kind !== 'in-step' && f.kind !== 'feed-unreadable');
  const feed = o.feed.ok
    ? `<p class="meta">Feed: ${o.feed.meetings} meeting(s)${o.feed.complete ? '' : ', <span class="feed-bad">cut short</span>'}; ${inStep.length} in step, ${shown.length} to look at.</p>`
    : `<p class="feed-bad">Feed unreadable: ${h(o.feed.error)}</p>`;
  const parts = [`<section class="organizer"><h2>${h(o.email)}</h2>`, feed];
  if (shown.length > 0) parts.push(table(shown, `What does not match for ${o.email}`));
  if (inStep.length > 0) parts.push(`<details><summary>${inStep.length} meeting(s) in step</summary>${table(inStep, `In step for ${o.email}`)}</details>`);
  if (o.feed.ok && o.feed.warnings.length > 0) {
    const items = o.feed.warnings.map((w) => `<li>${h(`${w.line ? `line ${w.line}: ` : ''}${w.message}${w.lost ? ' (an entry was skipped)' : ''}`)}</li>`);
    parts.push(`<details><summary>${o.feed.warnings.length} feed warning(s)</summary><ul>${items.join('')}</ul></details>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function renderHtml(report: ReconcileReport): string {
  const s = report.summary;
  const title = `meetsync reconciliation, ${utcText(report.generatedAt)}`;
  const verdict = s.open === 0 ? '<p class="verdict ok" id="verdict">All in step.</p>' : `<p class="verdict attention" id="verdict">${s.open} finding(s) need attention.</p>`;
  const cards = FINDING_KINDS.map((k) => `<li class="k-${k}${s[k] === 0 ? ' zero' : ''}"><span class="n">${s[k]}</span>${h(KIND_LABEL[k])}</li>`);
  const timeline = renderTimeline(report.findings);
  const emails = new Set(report.organizers.map((o) => o.email));
  const stray = report.findings.filter((f) => !emails.has(f.organizer));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Reconciliation report</h1>
<p class="meta">${h(`Generated ${utcText(report.generatedAt)}; ${modeText(report)}. ${s.organizers} organizer(s), ${s.platformMeetings} meeting(s) on the platform, ${s.mappings} mapped event(s) compared${s.past > 0 ? `, ${s.past} that are over left out` : ''}.`)}</p>
${verdict}
<ul class="cards" id="summary">${cards.join('')}</ul>
<p class="meta" id="summary-line">${h(summaryLine(report))}</p>
</header>
<main>
${timeline ? `<h2>Drifted meetings</h2>\n${timeline}\n<p class="legend"><i style="background:#2f6feb"></i>the event, as meetsync last saw it<i style="background:#d97706"></i>the platform's meeting (its feed); each row has its own scale</p>` : ''}
${report.organizers.map((o) => organizerSection(o, report.findings.filter((f) => f.organizer === o.email))).join('\n')}
${stray.length > 0 ? `<section class="organizer"><h2>Other</h2>${table(stray, 'Findings of no organizer above')}</section>` : ''}
</main>
<footer><p>Made by meetsync. Everything on this page is in this file: nothing is loaded from elsewhere.</p></footer>
</body>
</html>
`;
}
