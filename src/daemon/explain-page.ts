import type { EventStory } from '../explain/story.js';
import { journalLine } from '../explain/render.js';
import { CSS, html, Html, when } from './status-page.js';

/**
 * One event's story as a page of the status server (`GET /explain/<source>/<calendar>/<event>`),
 * linked from each event the status page lists: what `meetsync explain` prints, as HTML. Like the
 * status page: self-contained, no script, every string from outside escaped where it is written
 * (html``), and the server's Content-Security-Policy forbids scripts besides.
 */
export function renderExplainPage(s: EventStory, generatedAt: Date): string {
  const e = s.event;
  const wants = s.decision.wantsMeeting === true ? 'wants a meeting' : s.decision.wantsMeeting === false ? 'wants no meeting' : s.decision.what;
  const m = s.meeting;
  const rows: Array<[string, Html | string]> = [
    ['Event', `${s.source} / ${s.calendarId} / ${s.eventId}`],
    ['As last read', html`${e.start ? html`${when(e.start)} to ${when(e.end)}` : 'no times'}${e.tag ? `, tagged by ${e.tag}` : ''}${e.organizer ? `, organizer ${e.organizer}` : ''}${e.readAt ? html` <span class="muted">(read ${when(e.readAt)}${e.calendarReadAt ? html`; its calendar read since, last ${when(e.calendarReadAt)}, with no change to it` : ''})</span>` : ''}`],
    ['Decision', `${wants}: ${s.decision.why}`],
    ['Organizer', `${s.organizer.email ?? '(none)'}${s.organizer.userId ? ` (platform user ${s.organizer.userId})` : ''}: ${s.organizer.how}`],
    ['Meeting', m ? html`${m.meetingNumber ?? m.meetingId ?? '(no number yet)'}${m.joinUrl ? html`, join <code>${m.joinUrl}</code>` : ''}, “${m.topic}” ${when(m.start)} to ${when(m.end)} (${m.state})` : 'none'],
    ...(m ? [['In step', html`<span class="badge ${m.inStep ? 'ok' : 'warn'}">${m.inStep ? 'yes' : 'no'}</span> ${m.how}`] as [string, Html]] : []),
    ...(s.note ? [['Status', `${s.note.kind}: ${s.note.reason}`] as [string, string]] : []),
  ];
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>meetsync: ${e.title || s.eventId}</title><link rel="icon" href="data:,"><style>${new Html(CSS)}</style></head>
<body>
<h1>${e.title || s.eventId}</h1>
<p class="muted">The story of one event, generated ${when(generatedAt.toISOString())}. <a href="/">Back to the status page</a></p>
<table id="event"><tbody>${rows.map(([k, v]) => html`<tr><th>${k}</th><td class="reason">${v}</td></tr>`)}</tbody></table>
<h2>Journal <span class="muted">(newest last)</span></h2>
${
  s.journal.length === 0
    ? html`<p class="muted">Nothing recorded yet (read before the journal was kept, or pruned).</p>`
    : html`<table id="journal"><thead><tr><th>When</th><th>What happened</th></tr></thead><tbody>${s.journal.map((j) => html`<tr><td>${when(j.at)}</td><td class="reason">${journalLine(j)}</td></tr>`)}</tbody></table>`
}
<h2>What happens next</h2>
<ul id="next">${s.next.map((n) => html`<li class="reason">${n}</li>`)}</ul>
<footer class="muted">The same in a terminal: <code>meetsync explain ${s.eventId}</code> (add <code>--json</code> for tools).</footer>
</body></html>
`;
  return page.text;
}
