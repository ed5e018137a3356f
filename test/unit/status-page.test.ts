import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/config/listen.js';
import { CycleHealth, staleAfterMs } from '../../src/daemon/health.js';
import { escapeHtml, renderStatusPage } from '../../src/daemon/status-page.js';
import type { StatusReport } from '../../src/status.js';

const report = (title: string, error: string): StatusReport => ({
  calendars: [
    { source: 'corp"><b>', calendarId: 'a@example.com', consecutiveFailures: 2, lastError: error, lastErrorAt: '2030-01-07T09:00:00.000Z', meetings: { active: 1, creating: 0, cancelled: 0, kept: 0 }, writeBackPending: 0 },
  ],
  problems: [{ source: 'corp', calendarId: 'a@example.com', eventId: 'e1', kind: 'failed', reason: error, title }],
  attention: [{ kind: 'action', source: 'corp', calendarId: 'a@example.com', eventId: 'e1', title, reason: error, since: '2030-01-07T08:00:00.000Z', attempts: 4, nextTry: '2030-01-07T09:10:00.000Z', heldAfter: '2030-01-08T08:00:00.000Z', needsPerson: false }],
  leftToDo: { failed: 1, creating: 0, writeBacks: 0, unconfirmed: 0, needPerson: 0 },
  dormant: [],
});

describe('status page', () => {
  it('escapes every string from outside: titles, errors, source names', () => {
    const page = renderStatusPage({
      report: report('<script>alert(1)</script>', `it's <b>bad</b> & "worse"`),
      health: { healthy: false, body: { status: 'failing', lastSuccessAt: null, reason: '<i>reason</i>' } },
      generatedAt: new Date('2030-01-07T09:00:00Z'),
    });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('<i>');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).toContain('it&#39;s &#60;b&#62;bad&#60;/b&#62; &#38; &#34;worse&#34;');
    expect(page).toContain('corp&#34;&#62;&#60;b&#62;');
    expect(page).toContain('FAILING (2 cycles)');
  });
  it('says where the scheduled reconciliation writes its report, and that only a schedule makes one', () => {
    const healthy = { healthy: true, body: { status: 'ok' as const, lastSuccessAt: '2030-01-07T09:00:00.000Z' } };
    const page = (reconcile: Parameters<typeof renderStatusPage>[0]['reconcile']) =>
      renderStatusPage({ report: { ...report('t', 'e'), calendars: [] }, health: healthy, generatedAt: new Date('2030-01-07T12:00:00Z'), ...(reconcile ? { reconcile } : {}) });
    const unscheduled = page({ dir: '/var/lib/meetsync', latest: { state: 'none' } });
    expect(unscheduled).toContain('No scheduled reconciliation: set <code>reconcile.schedule</code> in the config and <code>meetsync run</code> keeps the latest report in <code>/var/lib/meetsync</code>');
    expect(unscheduled).not.toContain('beside the database');
    const counts = { 'in-step': 4, 'time-drift': 0, 'topic-drift': 0, missing: 0, orphan: 0, duplicate: 0, stuck: 0, 'feed-unreadable': 0, unmanaged: 1 };
    const inStep = page({ schedule: '0 6 * * *', dir: '/r', latest: { state: 'read', last: { generatedAt: new Date('2030-01-07T06:00:00Z'), counts, open: 0 } } });
    expect(inStep).toMatch(/<span class="badge ok">healthy<\/span>/);
    expect(inStep).toContain('(6 h ago)</span>: <span class="badge ok">in step</span> nothing needs attention.');
    const drift = page({ schedule: '0 6 * * *', dir: '/r', latest: { state: 'read', last: { generatedAt: new Date('2030-01-05T06:00:00Z'), counts: { ...counts, missing: 2, orphan: 1 }, open: 3 } } });
    expect(drift).not.toContain('>healthy<');
    expect(drift).toContain('<span class="badge warn">needs attention</span>');
    expect(drift).toContain('2 days ago, found 3 findings that need attention (2 missing, 1 orphan)');
    const broken = page({ schedule: '0 6 * * *', dir: '/r', latest: { state: 'unreadable', reason: '/r/reconcile-latest.json is not a meetsync reconciliation report (JSON format version 1)' } });
    expect(broken).toContain('<span class="badge bad">report unreadable</span>');
  });

  it('escapeHtml leaves nothing markup can use', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&#60;&#62;&#38;&#34;&#39;');
  });
});

describe('http.listen', () => {
  it('takes host:port, IPv6 in brackets, and says whether it is loopback', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464, loopback: true });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464, loopback: true });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464, loopback: false });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0, loopback: true });
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:99999', 'http://127.0.0.1:9464', ':9464']) expect(parseListen(bad)).toBeUndefined();
  });
});

describe('health', () => {
  it('is stale after three schedule intervals, counting the longest gap', () => {
    expect(staleAfterMs('*/5 * * * *')).toBe(15 * 60_000);
    expect(staleAfterMs('0 9 * * 1-5')).toBeGreaterThanOrEqual(3 * 3 * 86_400_000);
  });
  it('starts unhealthy, is ok after a success, failing after a failure, stale when cycles stop', () => {
    let now = Date.parse('2030-01-07T09:00:00Z');
    const h = new CycleHealth(15 * 60_000, () => now);
    expect(h.verdict()).toMatchObject({ healthy: false, body: { status: 'starting' } });
    h.record({ result: 'ok', durationMs: 10 });
    expect(h.verdict()).toEqual({ healthy: true, body: { status: 'ok', lastSuccessAt: '2030-01-07T09:00:00.000Z' } });
    h.record({ result: 'skipped', durationMs: 0 });
    expect(h.verdict().healthy).toBe(true);
    now += 60_000;
    h.record({ result: 'failed', durationMs: 10, error: 'corp/a: HTTP 500' });
    expect(h.verdict()).toMatchObject({ healthy: false, body: { status: 'failing', reason: 'the last sync cycle failed: corp/a: HTTP 500', lastSuccessAt: '2030-01-07T09:00:00.000Z' } });
    h.record({ result: 'ok', durationMs: 10 });
    now += 16 * 60_000;
    expect(h.verdict()).toMatchObject({ healthy: false, body: { status: 'stale' } });
  });
});
