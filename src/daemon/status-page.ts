import { ageOf, openKinds, type LatestReport } from '../reconcile/latest-report.js';
import { scheduleOf, type StatusReport } from '../status.js';
import type { HealthVerdict } from './health.js';

/**
 * The status page (`GET /`): what `meetsync status` says, as one self-contained HTML page: inline
 * CSS, no script, no image, no font, nothing fetched. Event titles and provider errors come from
 * outside (anyone can send an invitation), so every string is escaped where it is written into
 * the page, and the server's Content-Security-Policy forbids scripts besides.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template that escapes every interpolated value except parts already built with it. */
export class Html {
  constructor(readonly text: string) {}
}
type Part = string | number | Html | undefined | null | Part[];

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  const render = (v: Part): string => (v === undefined || v === null ? '' : v instanceof Html ? v.text : Array.isArray(v) ? v.map(render).join('') : escapeHtml(String(v)));
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));
}

export interface StatusPageInput {
  report: StatusReport;
  health: HealthVerdict;
  generatedAt: Date;
  reconcile?: ReconcileView;
}

/** The scheduled reconciliation, as the daemon runs it (config `reconcile`, reconcile/run.ts). */
export interface ReconcileView {
  /** `reconcile.schedule`; absent: the daemon does not reconcile. */
  schedule?: string;
  /** Where the daemon keeps the latest report (`reconcile.reportDir`, else the database's folder); absent for an in-memory database. */
  dir?: string;
  /** What `reconcile-latest.json` says. */
  latest: LatestReport;
  /** The HTML report, when its file exists: the link and when it was written. */
  report?: { href: string; writtenAt: Date };
}

export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2433;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.muted{color:#5b6475}.badge{display:inline-block;padding:.1rem .55rem;border-radius:.8rem;font-weight:600;font-size:.85rem}
.ok{background:#dff3e4;color:#17652f}.bad{background:#fde2e1;color:#a0211b}.warn{background:#fff1cc;color:#7a5300}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#5b6475}td.num{text-align:right;font-variant-numeric:tabular-nums}
.reason{max-width:40rem;overflow-wrap:anywhere}.t{white-space:nowrap}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
footer{margin-top:2.5rem;font-size:.85rem}
`;

/** `2030-01-07 09:00:00Z` from an ISO instant: shorter, and it reads as a time. */
export function when(iso: string | undefined): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return html`<span class="t">${m ? `${m[1]} ${m[2]}Z` : iso}</span>`;
}

function calendarHealth(c: StatusReport['calendars'][number]): Html {
  if (c.consecutiveFailures > 0) return html`<span class="badge bad">FAILING (${c.consecutiveFailures} cycle${c.consecutiveFailures === 1 ? '' : 's'})</span>`;
  return c.lastSuccessAt ? html`<span class="badge ok">ok</span>` : html`<span class="badge warn">never synced</span>`;
}

/** `1 finding needs attention (1 missing)`, or with `that`: `3 findings that need attention (...)`. */
function findingsOf(open: number, kinds: string, that = false): string {
  return `${open} finding${open === 1 ? '' : 's'}${that ? ' that' : ''} need${open === 1 ? 's' : ''} attention${kinds ? ` (${kinds})` : ''}`;
}

/**
 * The reconciliation section: the last report's findings and age, or, without one, where the
 * daemon will write it and what makes it do so. Only `meetsync run` with `reconcile.schedule`
 * writes reports there; `meetsync reconcile` by hand prints its report (or writes `--output`).
 */
function reconciliation(view: ReconcileView | undefined, now: Date): Html {
  const link = view?.report ? html` <a href="${view.report.href}">Latest reconciliation report</a> <span class="muted">(written ${when(view.report.writtenAt.toISOString())})</span>` : '';
  const latest = view?.latest ?? { state: 'none' };
  if (latest.state === 'read') {
    const { last } = latest;
    const age = html`${when(last.generatedAt.toISOString())} <span class="muted">(${ageOf(last.generatedAt, now)} ago)</span>`;
    return last.open > 0
      ? html`<p id="reconcile">Last scheduled reconciliation ${age}: <span class="badge warn">${findingsOf(last.open, openKinds(last))}</span>${link} <span class="muted">Repairs are a person's decision: <code>meetsync reconcile --repair</code>.</span></p>`
      : html`<p id="reconcile">Last scheduled reconciliation ${age}: <span class="badge ok">in step</span> nothing needs attention.${link}</p>`;
  }
  if (latest.state === 'unreadable') return html`<p id="reconcile"><span class="badge bad">report unreadable</span> ${latest.reason}.${link}</p>`;
  if (link) return html`<p id="reconcile">${link}</p>`;
  const where = view?.dir ? html`<code>${view.dir}</code>` : html`<code>reconcile.reportDir</code> (set it: the database is in memory)`;
  return view?.schedule
    ? html`<p id="reconcile" class="muted">No reconciliation report yet: <code>meetsync run</code> writes <code>reconcile-latest.html</code> and <code>reconcile-latest.json</code> into ${where} at each scheduled reconciliation (<code>reconcile.schedule: ${view.schedule}</code>).</p>`
    : html`<p id="reconcile" class="muted">No scheduled reconciliation: set <code>reconcile.schedule</code> in the config and <code>meetsync run</code> keeps the latest report in ${where}. <code>meetsync reconcile</code> run by hand prints its report instead.</p>`;
}

/** Where the status server serves an event's story: each part of its key percent-encoded. */
export function explainHref(key: { source: string; calendarId: string; eventId: string }): string {
  return `${EXPLAIN_PREFIX}${[key.source, key.calendarId, key.eventId].map(encodeURIComponent).join('/')}`;
}

export const EXPLAIN_PREFIX = '/explain/';

export function renderStatusPage(input: StatusPageInput): string {
  const { report, health } = input;
  const latest = input.reconcile?.latest;
  // Cycles succeed, but the platform and the database disagree: not "healthy" to whoever looks.
  const findings = latest?.state === 'read' && latest.last.open > 0 ? latest.last : undefined;
  const verdict = health.body.status === 'standby'
    ? html`<span class="badge warn">standby</span> ${health.body.reason ?? ''}`
    : health.healthy && findings
    ? html`<span class="badge warn">needs attention</span> sync cycles succeed (last ${when(health.body.lastSuccessAt ?? undefined)}), but the last scheduled reconciliation, ${ageOf(findings.generatedAt, input.generatedAt)} ago, found ${findingsOf(findings.open, openKinds(findings), true)}: see Reconciliation below`
    : health.healthy
    ? html`<span class="badge ok">healthy</span> <span class="muted">last successful cycle ${when(health.body.lastSuccessAt ?? undefined)}</span>`
    : html`<span class="badge bad">${health.body.status}</span> ${health.body.reason ?? ''}`;
  // Push on: a column with each calendar's channel and its end (issue 18).
  const pushOn = report.calendars.some((c) => c.push);
  const pushCell = (c: StatusReport['calendars'][number]) => (pushOn ? html`<td>${c.push ? html`${c.push.provider}, until ${when(c.push.expiresAt)}` : html`<span class="muted">no channel (polled)</span>`}</td>` : html``);
  const calendars = report.calendars.map(
    (c) => html`<tr><td>${c.source}</td><td>${c.calendarId}</td><td>${calendarHealth(c)}</td>${pushCell(c)}<td>${when(c.lastSuccessAt)}</td>
<td class="reason">${c.consecutiveFailures > 0 && c.lastError ? html`${c.lastError} <span class="muted">(${when(c.lastErrorAt)})</span>` : html`<span class="muted">none</span>`}</td>
<td class="num">${c.meetings.active}</td><td class="num">${c.meetings.creating}</td><td class="num">${c.meetings.cancelled}</td><td class="num">${c.meetings.kept}</td><td class="num">${c.writeBackPending}</td></tr>`,
  );
  const items = new Map(report.attention.map((a) => [`${a.source}\u0000${a.calendarId}\u0000${a.eventId}`, a]));
  const problems = report.problems.map((p) => {
    const item = items.get(`${p.source}\u0000${p.calendarId}\u0000${p.eventId}`);
    // Each event links to its story, the page `meetsync explain <event id>` prints (explain-page.ts).
    return html`<tr><td><span class="badge ${p.kind === 'failed' ? 'bad' : 'warn'}">${p.kind === 'exception' ? 'occurrence' : p.kind}</span></td><td><a href="${explainHref(p)}">${p.title || p.eventId}</a></td><td>${p.start ? when(p.start) : ''}</td><td>${p.calendarId}</td><td class="reason">${p.reason}</td><td class="reason">${item ? scheduleOf(item) : html`<span class="muted">nothing to retry</span>`}</td></tr>`;
  });
  const l = report.leftToDo;
  const run = report.lastRun;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>meetsync status</title><link rel="icon" href="data:,"><style>${new Html(CSS)}</style></head>
<body>
<h1>meetsync status</h1>
<p class="muted">Generated ${when(input.generatedAt.toISOString())}</p>
<p id="health">${verdict}</p>
<h2>Calendars</h2>
${
  report.calendars.length === 0
    ? html`<p>No calendars configured (<code>sources:</code> in the config).</p>`
    : html`<table id="calendars"><thead><tr><th>Source</th><th>Calendar</th><th>Health</th>${pushOn ? html`<th>Push channel</th>` : html``}<th>Last success</th><th>Last error</th><th>Active</th><th>Being created</th><th>Cancelled</th><th>Kept</th><th>Links to write</th></tr></thead>
<tbody>${calendars}</tbody></table>`
}
${
  report.dormant.length === 0
    ? ''
    : html`<p class="muted" id="dormant">Dormant, no longer in the config (their meetings are left as they are, never read, changed or deleted): ${report.dormant.map((d, i) => html`${i > 0 ? ', ' : ''}${d.source} / ${d.calendarId} (${d.meetings.active + d.meetings.creating} meeting(s))`)}</p>`
}
<h2>Events needing attention</h2>
${
  problems.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<p class="muted">Each event links to its story: what meetsync read and decided, every call it made for it, and what happens next (<code>meetsync explain &lt;event&gt;</code> prints the same).</p>
<table id="problems"><thead><tr><th>Kind</th><th>Event</th><th>Start</th><th>Calendar</th><th>Why</th><th>Next try</th></tr></thead><tbody>${problems}</tbody></table>`
}
${
  l.failed + l.creating + l.writeBacks + l.unconfirmed > 0
    ? html`<p id="left-to-do"><span class="badge warn">left to do</span> ${l.failed} failed action(s), ${l.creating} creation(s) not confirmed, ${l.writeBacks} join link(s) to write, ${l.unconfirmed} update(s) or deletion(s) not confirmed; ${l.needPerson} need a person. Each event above says when it is tried next.</p>`
    : ''
}
<h2>Last run</h2>
<p>${run ? html`${when(run.startedAt)}${run.finishedAt ? (run.ok ? ', ok' : ', with failures') : ', unfinished'}${run.error ? html`: ${run.error}` : ''}` : html`<span class="muted">No run recorded yet.</span>`}</p>
<h2>Reconciliation</h2>
${reconciliation(input.reconcile, input.generatedAt)}
<footer class="muted">Machine-readable: <a href="/healthz">/healthz</a> · <a href="/metrics">/metrics</a> · <code>meetsync status --json</code></footer>
</body></html>
`;
  return page.text;
}
