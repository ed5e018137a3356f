import type { JournalEntry } from '../domain/journal.js';
import { inline } from '../domain/printable.js';
import type { EventMatch, EventStory } from './story.js';

/** `meetsync explain` as a person reads it. Outside text (titles, reasons, errors) goes in through `inline`: one line each. */

/** `2030-01-07 09:00:00Z` from an ISO instant. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '?';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

/** One journal line: when, what, and what came of it. */
export function journalLine(e: JournalEntry): string {
  const repeated = e.repeats ? ` (seen ${e.repeats} times, last ${shortTime(e.lastAt)})` : '';
  if (e.kind === 'read') {
    const times = e.start ? ` ${shortTime(e.start)} to ${shortTime(e.end)}` : '';
    const tag = e.tag ? `, tagged by ${e.tag}` : '';
    const organizer = e.organizer ? `, organizer ${e.organizer}` : '';
    return `read ${quote(e.title) || 'the event'}${times}${tag}${organizer}: ${e.what} (${e.outcome}): ${e.detail ?? ''}${repeated}`;
  }
  const meeting = e.meetingNumber && !(e.detail ?? '').includes(e.meetingNumber) ? ` [meeting ${e.meetingNumber}]` : '';
  // A call written before it was sent and settled later: when its answer came (or was given up on), if not within the second.
  const settled = e.outcome !== 'sent' && e.lastAt && shortTime(e.lastAt) !== shortTime(e.at) && !e.repeats;
  const answered = settled ? `, ${e.outcome === 'unconfirmed' ? 'given up' : 'answered'} ${shortTime(e.lastAt)}` : '';
  const cut = e.outcome === 'sent' ? ': no answer recorded (meetsync stopped while it was in flight)' : '';
  return `${e.what} ${e.outcome.toUpperCase()}${answered}${meeting}${e.detail ? `: ${e.detail}` : ''}${cut}${repeated}`;
}

/** When the event was read as shown, and whether its calendar was read since without a change to it. */
function readWhen(e: EventStory['event']): string {
  if (!e.readAt) return e.calendarReadAt ? ` (its calendar last read ${shortTime(e.calendarReadAt)})` : '';
  if (!e.calendarReadAt) return ` (last read ${shortTime(e.readAt)})`;
  return ` (read ${shortTime(e.readAt)}; its calendar read since, last ${shortTime(e.calendarReadAt)}, with no change to it)`;
}

export function renderStory(s: EventStory): string {
  const lines: string[] = [];
  const e = s.event;
  lines.push(`${quote(e.title) || s.eventId}`);
  lines.push(`  event      ${inline(`${s.source} / ${s.calendarId} / ${s.eventId}`)}`);
  const times = e.start ? `${shortTime(e.start)} to ${shortTime(e.end)}` : s.decision.wantsMeeting === false && !e.tag ? 'no times (cancelled or deleted)' : 'no times';
  lines.push(`  as read    ${inline(`${times}${e.tag ? `, tagged by ${e.tag}` : ''}${e.organizer ? `, organizer ${e.organizer}` : ''}`)}${readWhen(e)}`);
  const wants = s.decision.wantsMeeting === true ? 'wants a meeting' : s.decision.wantsMeeting === false ? 'wants no meeting' : s.decision.what;
  lines.push(`  decision   ${inline(`${wants}: ${s.decision.why}`)}`);
  const o = s.organizer;
  lines.push(`  organizer  ${inline(`${o.email ?? '(none)'}${o.userId ? ` (platform user ${o.userId})` : ''}: ${o.how}`)}`);
  const m = s.meeting;
  if (m) {
    const id = m.meetingNumber ?? m.meetingId ?? '(no number yet)';
    lines.push(`  meeting    ${inline(`${id}${m.joinUrl ? `, join ${m.joinUrl}` : ''}, ${quote(m.topic)} ${shortTime(m.start)} to ${shortTime(m.end)} (${m.state})`)}`);
    lines.push(`  in step    ${inline(`${m.inStep ? 'yes' : 'no'}: ${m.how}`)}`);
  } else lines.push('  meeting    none');
  if (s.note) lines.push(`  status     ${inline(`${s.note.kind}: ${s.note.reason}`)}`);
  lines.push('', s.journal.length > 0 ? 'Journal (newest last):' : 'Journal: nothing recorded yet (read before the journal was kept, or pruned).');
  for (const j of s.journal) lines.push(`  ${shortTime(j.at)}  ${inline(journalLine(j))}`);
  lines.push('', 'Next:');
  for (const n of s.next) lines.push(`  ${inline(n)}`);
  return lines.join('\n');
}

export function renderMatches(query: string, matches: readonly EventMatch[], limit: number): string {
  const lines = [`${matches.length}${matches.length >= limit ? ' or more' : ''} events match ${quote(query)}; explain one by its event id:`];
  for (const m of matches) {
    lines.push(`  meetsync explain ${inline(m.eventId)}   ${inline(`${quote(m.title)} ${m.start ? shortTime(m.start) : ''}${m.meetingNumber ? ` meeting ${m.meetingNumber}` : ''} (${m.source} / ${m.calendarId})`)}`);
  }
  return lines.join('\n');
}

function quote(text: string | undefined): string {
  return text ? `"${inline(text)}"` : '';
}
