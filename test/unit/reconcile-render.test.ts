import { describe, expect, it } from 'vitest';
import { summarize, type Finding, type ReconcileReport } from '../../src/reconcile/findings.js';
import { renderReport } from '../../src/reconcile/render/report.js';
import { csvCell } from '../../src/reconcile/render/csv.js';

const HOSTILE = 'Retro <script>alert(1)</script> "q" & \'s\' \u001b[31mred\u001b[0m 🎉';

function report(findings: Finding[]): ReconcileReport {
  return {
    version: 1,
    generatedAt: '2030-01-01T06:00:00.000Z',
    mode: 'report',
    deleteOrphans: false,
    summary: summarize({ organizers: 1, platformMeetings: 2, mappings: 2, past: 0 }, findings),
    organizers: [{ email: 'alice@example.com', feed: { ok: true, meetings: 2, vevents: 2, complete: true, warnings: [{ line: 12, lost: false, message: 'DTSTART: time zone "<b>x</b>" is not known and has no VTIMEZONE: read as UTC' }] } }],
    findings,
  };
}

const drift: Finding = {
  kind: 'time-drift',
  organizer: 'alice@example.com',
  topic: HOSTILE,
  meetingId: '5e9400000000000000000001',
  meetingNumber: '1000-2000-3000-0001',
  fields: ['start', 'end'],
  detail: 'the platform has 2030-01-07 10:00-11:00 UTC, the event 2030-01-07 09:00-10:00 UTC (the platform is 1 h later)',
  event: { source: 'mem', calendarId: 'alice@example.com', eventId: 'evt1', state: 'active', topic: HOSTILE, start: '2030-01-07T09:00:00.000Z', end: '2030-01-07T10:00:00.000Z' },
  platform: { meetingId: '5e9400000000000000000001', meetingNumber: '1000-2000-3000-0001', topic: HOSTILE, start: '2030-01-07T10:00:00.000Z', end: '2030-01-07T11:00:00.000Z', markers: [] },
  fix: 'update',
};
const formula: Finding = { kind: 'unmanaged', organizer: 'alice@example.com', topic: '=HYPERLINK("http://evil.example","click")', meetingNumber: '1000-2000-3000-0002', detail: 'not made by meetsync, "quoted", with a comma\nand a line', platform: { topic: '=x', markers: [] } };

describe('report rendering', () => {
  it('HTML: every string escaped, no script, no attribute from data, no network reference', () => {
    const html = renderReport(report([drift, formula]), 'html');
    expect(html).not.toContain('<script');
    expect(html).toContain('Retro &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;s&#39; red 🎉');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('DTSTART: time zone &quot;&lt;b&gt;x&lt;/b&gt;&quot; is not known');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    // Nothing to fetch: no attribute that loads (a URL in a topic stays text).
    expect(html).not.toMatch(/\s(src|href|srcset|action|data|poster)=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toMatch(/<svg class="timeline"[\s\S]*<title>Retro &lt;script&gt;/);
  });

  it('HTML and text strip a terminal escape sequence the same way, whole', () => {
    const topic = 'Budget \u001b[31mRED\u001b[0m review \u001b]0;title\u0007done';
    const coloured: Finding = { ...drift, topic, event: { ...drift.event!, topic }, platform: { ...drift.platform!, topic } };
    const html = renderReport(report([coloured]), 'html');
    const text = renderReport(report([coloured]), 'text');
    for (const rendered of [html, text]) {
      expect(rendered).toContain('Budget RED review done');
      expect(rendered).not.toMatch(/\[31m|\[0m|0;title|\u001b/);
    }
    // The text table's cell is as wide as what shows: the next column starts where it does for any topic.
    expect(text).toContain('  time drift      1000-2000-3000-0001  Budget RED review done        the platform has');
  });

  it('CSV: RFC 4180 quoting, BOM, CRLF, and formula cells neutralised', () => {
    const csv = renderReport(report([drift, formula]), 'csv');
    expect(csv.startsWith('\uFEFForganizer,kind,meeting_number,')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toHaveLength(4); // header, two rows, and the empty string after the last CRLF
    expect(lines[2]).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",'=x,`);
    expect(lines[2]).toContain('"not made by meetsync, ""quoted"", with a comma\nand a line"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(undefined)).toBe('');
  });

  it('JSON: the report as is, stable', () => {
    const r = report([drift]);
    expect(JSON.parse(renderReport(r, 'json'))).toEqual(r);
  });

  it('text: a table cut by code points (no emoji split) and a summary line', () => {
    const emoji = { ...formula, kind: 'stuck' as const, topic: '🎉'.repeat(40), detail: 'x' };
    const text = renderReport(report([drift, emoji]), 'text');
    expect(text).toContain(`  stuck           1000-2000-3000-0002  ${'🎉'.repeat(27)}…  x`);
    expect(text).toContain('  time drift      1000-2000-3000-0001  Retro <script>alert(1)</scr…  the platform has');
    expect(text.trimEnd().split('\n').pop()).toBe('Summary: 0 in step, 1 time drift, 1 stuck -> 2 need attention');
    expect(text).toContain('    line 12: DTSTART: time zone "<b>x</b>" is not known and has no VTIMEZONE: read as UTC');
  });

  it('a repaired finding is no longer open', () => {
    const repaired = { ...drift, repair: { action: 'update' as const, outcome: 'done' as const, detail: 'updated from the event' } };
    const r = report([repaired]);
    expect(r.summary).toMatchObject({ open: 0, repaired: 1, 'time-drift': 1 });
    expect(renderReport(r, 'text')).toContain('repair: done - updated from the event');
  });
});
