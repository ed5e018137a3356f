import type { Finding } from './findings.js';
import { escapeHtml } from './render-escape.js';

/**
 * The picture of the HTML report: one row per meeting whose time drifted, the event's time and
 * the platform's time as two bars on one axis, so how far and which way is seen at a glance.
 * Inline SVG, no script; every text is escaped. Rows whose times cannot be drawn (a side without
 * a start) are left out of the picture, not out of the tables.
 */

const ROW = 34;
const LABEL = 220;
const WIDTH = 860;
const AXIS = 28;
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

function tickText(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 3 * 86_400_000 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

export function renderTimeline(findings: readonly Finding[]): string {
  const rows = findings
    .filter((f) => f.kind === 'time-drift')
    .map((f) => ({ f, event: bar(f.event?.start, f.event?.end), platform: bar(f.platform?.start, f.platform?.end) }))
    .filter((r): r is { f: Finding; event: Bar; platform: Bar } => r.event !== undefined && r.platform !== undefined)
    .slice(0, MAX_ROWS);
  if (rows.length === 0) return '';
  const min = Math.min(...rows.flatMap((r) => [r.event.start, r.platform.start]));
  const max = Math.max(...rows.flatMap((r) => [r.event.end, r.platform.end]));
  const span = Math.max(max - min, 3_600_000);
  const x = (ms: number) => LABEL + ((ms - min) / span) * (WIDTH - LABEL - 20);
  const height = AXIS + rows.length * ROW + 10;
  const ticks = Array.from({ length: 5 }, (_, i) => min + (span * i) / 4);
  const parts: string[] = [
    `<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
    '<title id="timeline-title">Drifted meetings: the event\'s time and the platform\'s time</title>',
    ...ticks.map((t) => `<line x1="${x(t).toFixed(1)}" y1="${AXIS - 6}" x2="${x(t).toFixed(1)}" y2="${height - 6}" class="tick"/><text x="${x(t).toFixed(1)}" y="${AXIS - 10}" class="tick-label">${escapeHtml(tickText(t, span))}</text>`),
  ];
  rows.forEach((r, i) => {
    const y = AXIS + i * ROW;
    const w = (b: Bar) => Math.max(3, x(b.end) - x(b.start)).toFixed(1);
    const label = [...r.f.topic].length > 30 ? `${[...r.f.topic].slice(0, 29).join('')}…` : r.f.topic;
    parts.push(
      `<g class="row"><title>${escapeHtml(`${r.f.topic}: ${r.f.detail}`)}</title>`,
      `<text x="8" y="${y + 20}" class="row-label">${escapeHtml(label || '(no topic)')}</text>`,
      `<rect x="${x(r.event.start).toFixed(1)}" y="${y + 5}" width="${w(r.event)}" height="11" rx="2" class="bar-event"/>`,
      `<rect x="${x(r.platform.start).toFixed(1)}" y="${y + 18}" width="${w(r.platform)}" height="11" rx="2" class="bar-platform"/>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
