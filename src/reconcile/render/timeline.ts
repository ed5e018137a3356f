import type { Finding } from '../findings.js';
import { escapeHtml } from './escape.js';

/**
 * The picture of the HTML report: one row per meeting whose time drifted, the event's time and
 * the platform's time as two bars, so how far and which way is seen at a glance. Each row has
 * its own scale (a drift of two days beside one of thirty minutes would leave the small one a
 * dot on a shared axis); the times and the shift are written beside the bars. Inline SVG, no
 * script; every text is escaped. A row whose times cannot be drawn (a side without a start) is
 * left out of the picture, not out of the tables.
 */

const ROW = 40;
const LABEL = 230;
const CHART = 430;
const WIDTH = 900;
const MAX_ROWS = 40;

interface Bar {
  start: number;
  end: number;
}

function bar(start: string | undefined, end: string | undefined): Bar | undefined {
  const s = start === undefined ? NaN : Date.parse(start);
  if (Number.isNaN(s)) return undefined;
  const e = end === undefined ? NaN : Date.parse(end);
  return { start: s, end: Number.isNaN(e) || e < s ? s : e };
}

function hhmm(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function shiftText(event: Bar, platform: Bar): string {
  const minutes = Math.round((platform.start - event.start) / 60_000);
  if (minutes === 0) return 'same start, other end';
  const abs = Math.abs(minutes);
  const amount = abs % 1440 === 0 ? `${abs / 1440} d` : abs % 60 === 0 ? `${abs / 60} h` : `${abs} min`;
  return `platform ${amount} ${minutes > 0 ? 'later' : 'earlier'}`;
}

export function renderTimeline(findings: readonly Finding[]): string {
  const rows = findings
    .filter((f) => f.kind === 'time-drift')
    .map((f) => ({ f, event: bar(f.event?.start, f.event?.end), platform: bar(f.platform?.start, f.platform?.end) }))
    .filter((r): r is { f: Finding; event: Bar; platform: Bar } => r.event !== undefined && r.platform !== undefined)
    .slice(0, MAX_ROWS);
  if (rows.length === 0) return '';
  const height = rows.length * ROW + 8;
  const parts: string[] = [
    `<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
    '<title id="timeline-title">Drifted meetings: the event\'s time (blue) and the platform\'s time (orange)</title>',
  ];
  rows.forEach((r, i) => {
    const y = 4 + i * ROW;
    const min = Math.min(r.event.start, r.platform.start);
    const max = Math.max(r.event.end, r.platform.end);
    const pad = Math.max((max - min) * 0.04, 60_000);
    const span = max - min + 2 * pad;
    const x = (ms: number) => LABEL + ((ms - min + pad) / span) * CHART;
    const w = (b: Bar) => Math.max(4, x(b.end) - x(b.start)).toFixed(1);
    const label = [...r.f.topic].length > 30 ? `${[...r.f.topic].slice(0, 29).join('')}…` : r.f.topic;
    parts.push(
      `<g class="row"><title>${escapeHtml(`${r.f.topic}: ${r.f.detail}`)}</title>`,
      i > 0 ? `<line x1="0" y1="${y - 2}" x2="${WIDTH}" y2="${y - 2}" class="tick"/>` : '',
      `<text x="8" y="${y + 22}" class="row-label">${escapeHtml(label || '(no topic)')}</text>`,
      `<rect x="${x(r.event.start).toFixed(1)}" y="${y + 6}" width="${w(r.event)}" height="12" rx="2" class="bar-event"/>`,
      `<text x="${(x(r.event.end) + 6).toFixed(1)}" y="${y + 16}" class="bar-label">${escapeHtml(hhmm(r.event.start))}</text>`,
      `<rect x="${x(r.platform.start).toFixed(1)}" y="${y + 21}" width="${w(r.platform)}" height="12" rx="2" class="bar-platform"/>`,
      `<text x="${(x(r.platform.end) + 6).toFixed(1)}" y="${y + 31}" class="bar-label">${escapeHtml(hhmm(r.platform.start))}</text>`,
      `<text x="${WIDTH - 8}" y="${y + 22}" class="shift">${escapeHtml(shiftText(r.event, r.platform))}</text>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.filter(Boolean).join('\n');
}
