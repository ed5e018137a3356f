import type { CalendarState, EventNote, Mapping, MappingState } from './domain/mapping.js';
import type { Store } from './store/store.js';

export interface CalendarStatus {
  source: string;
  calendarId: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  meetings: Record<MappingState, number>;
  writeBackPending: number;
}

export interface StatusReport {
  calendars: CalendarStatus[];
  /** Events with a problem or a note: skipped, failed, moved/cancelled occurrences. */
  problems: Array<Pick<EventNote, 'source' | 'calendarId' | 'eventId' | 'kind' | 'reason' | 'title' | 'start'>>;
  lastRun?: { startedAt: string; finishedAt?: string; ok?: boolean; summary?: unknown; error?: string };
}

/** What `meetsync status` shows: per calendar its health and counts, per event with a problem the reason. */
export function buildStatus(store: Store, configured: Array<{ source: string; calendarId: string }>): StatusReport {
  const states = new Map<string, CalendarState>(store.calendarStates().map((s) => [`${s.source}\u0000${s.calendarId}`, s]));
  const mappings = store.mappings();
  const calendars = configured.map(({ source, calendarId }) => {
    const s = states.get(`${source}\u0000${calendarId}`);
    const mine = mappings.filter((m) => m.source === source && m.calendarId === calendarId);
    const meetings: Record<MappingState, number> = { creating: 0, active: 0, cancelled: 0, kept: 0 };
    mine.forEach((m: Mapping) => (meetings[m.state] += 1));
    return {
      source,
      calendarId,
      ...(s?.lastSuccessAt ? { lastSuccessAt: s.lastSuccessAt } : {}),
      ...(s?.lastError ? { lastError: s.lastError, ...(s.lastErrorAt ? { lastErrorAt: s.lastErrorAt } : {}) } : {}),
      consecutiveFailures: s?.consecutiveFailures ?? 0,
      meetings,
      writeBackPending: mine.filter((m) => m.state === 'active' && m.writeBack === 'pending').length,
    };
  });
  const problems = store.notes().map(({ source, calendarId, eventId, kind, reason, title, start }) => ({
    source,
    calendarId,
    eventId,
    kind,
    reason,
    title,
    ...(start ? { start } : {}),
  }));
  const last = store.lastRuns(1)[0];
  return { calendars, problems, ...(last ? { lastRun: last } : {}) };
}

export function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const c of report.calendars) {
    const health = c.consecutiveFailures > 0 ? `FAILING (${c.consecutiveFailures} cycle${c.consecutiveFailures === 1 ? '' : 's'})` : c.lastSuccessAt ? 'ok' : 'never synced';
    lines.push(`${c.source} / ${c.calendarId}: ${health}`);
    lines.push(`  last success: ${c.lastSuccessAt ?? 'never'}`);
    if (c.lastError && c.consecutiveFailures > 0) lines.push(`  last error:   ${c.lastError} (${c.lastErrorAt ?? '?'})`);
    const m = c.meetings;
    lines.push(`  meetings: ${m.active} active, ${m.creating} being created, ${m.cancelled} cancelled, ${m.kept} kept${c.writeBackPending ? `; ${c.writeBackPending} join link(s) still to write back` : ''}`);
  }
  if (report.calendars.length === 0) lines.push('No calendars configured (sources: in the config).');
  if (report.problems.length > 0) {
    lines.push('', 'Events needing attention:');
    for (const p of report.problems) {
      const label = p.kind === 'exception' ? 'occurrence' : p.kind;
      lines.push(`  [${label}] ${p.title || p.eventId}${p.start ? ` (${p.start})` : ''} in ${p.calendarId}: ${p.reason}`);
    }
  }
  if (report.lastRun) {
    const r = report.lastRun;
    lines.push('', `Last run: ${r.startedAt}${r.finishedAt ? `, ${r.ok ? 'ok' : 'with failures'}` : ', unfinished'}${r.error ? `: ${r.error}` : ''}`);
  }
  return lines.join('\n');
}
