import { attentionItems, RETRY_DEFAULTS, type AttentionItem, type RetryPolicy } from './domain/attention.js';
import type { CalendarState, EventNote, Mapping, MappingState } from './domain/mapping.js';
import { inline } from './domain/printable.js';
import type { Store } from './store/store.js';
import { organizersNextCheck } from './sync/organizer-checks.js';

export interface CalendarStatus {
  source: string;
  calendarId: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  meetings: Record<MappingState, number>;
  writeBackPending: number;
  /** On PostgreSQL: the replica whose lease of the calendar is current, and until when (store/leases.ts). */
  lease?: { holder: string; expiresAt: string };
  /** Push on (issue 18): the calendar's channel that ends last, with its provider and end. */
  push?: { provider: string; channelId: string; expiresAt: string };
}

/** A calendar the config no longer lists whose mappings the database keeps (issue 15, "stable identities"). */
export interface DormantCalendar {
  source: string;
  calendarId: string;
  meetings: Record<MappingState, number>;
}

export interface StatusReport {
  calendars: CalendarStatus[];
  /**
   * Calendars out of the config with mappings kept: nothing reads them or touches their meetings,
   * and they never count as holding one. Not a problem, not work left to do.
   */
  dormant: DormantCalendar[];
  /** Events with a problem or a note: skipped, failed, moved/cancelled occurrences. */
  problems: Array<Pick<EventNote, 'source' | 'calendarId' | 'eventId' | 'kind' | 'reason' | 'title' | 'start'>>;
  lastRun?: { startedAt: string; finishedAt?: string; ok?: boolean; summary?: unknown; error?: string };
  /**
   * What meetsync still has to do, one item per thing (domain/attention.ts): each with its reason,
   * when it is tried next, and the bound past which it is held for IT.
   */
  attention: AttentionItem[];
  /**
   * Counts of the above: failed actions, creations and join links as before; `unconfirmed`: updates
   * and deletions whose answer was lost; `needPerson`: items only a person can move on (refused,
   * held for IT, waiting for an organizer's platform user).
   */
  leftToDo: { failed: number; creating: number; writeBacks: number; unconfirmed: number; needPerson: number };
}

/** `meetsync status` exits 1 while a calendar fails, anything is left to do, or no cycle has ever succeeded. */
export function statusNeedsAttention(report: StatusReport): boolean {
  const l = report.leftToDo;
  return report.calendars.some((c) => c.consecutiveFailures > 0) || l.failed + l.creating + l.writeBacks + l.unconfirmed > 0 || neverSucceeded(report);
}

/**
 * No calendar this instance reads has ever been synced: no cycle has succeeded (a new install, a
 * daemon whose every cycle fails, a database restored empty). Nothing is synced, so a monitoring
 * check must not read it as well. On PostgreSQL the database is the replicas' together: a calendar
 * synced by any of them counts.
 */
export function neverSucceeded(report: StatusReport): boolean {
  return report.calendars.length > 0 && report.calendars.every((c) => !c.lastSuccessAt);
}

/** What `meetsync status` shows: per calendar its health and counts, per event with a problem the reason. */
export function buildStatus(
  store: Store,
  configured: ReadonlyArray<{ source: string; calendarId: string }>,
  options: { now?: Date; retry?: Partial<RetryPolicy> } = {},
): StatusReport {
  const states = new Map<string, CalendarState>(store.calendarStates().map((s) => [`${s.source}\u0000${s.calendarId}`, s]));
  const listed = new Set(configured.map((c) => `${c.source}\u0000${c.calendarId}`));
  const inConfig = (x: { source: string; calendarId: string }) => listed.has(`${x.source}\u0000${x.calendarId}`);
  const all = store.mappings();
  const mappings = all.filter(inConfig);
  // Leases run on the database's clock, not on a report's `now` (a test's, a frozen clock's).
  const leases = currentLeases(store, new Date());
  const channels = currentChannels(store, new Date());
  const calendars = configured.map(({ source, calendarId }) => {
    const s = states.get(`${source}\u0000${calendarId}`);
    const lease = leases.get(`${source}\u0000${calendarId}`);
    const push = channels.get(`${source}\u0000${calendarId}`);
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
      ...(lease ? { lease } : {}),
      ...(push ? { push } : {}),
    };
  });
  const problems = store.notes().filter(inConfig).map(({ source, calendarId, eventId, kind, reason, title, start }) => ({
    source,
    calendarId,
    eventId,
    kind,
    reason,
    title,
    ...(start ? { start } : {}),
  }));
  const last = store.lastRuns(1)[0];
  const nextCheck = organizersNextCheck(store);
  const attention = attentionItems({
    notes: store.notes().filter(inConfig),
    mappings,
    now: options.now ?? new Date(),
    policy: { ...RETRY_DEFAULTS, ...options.retry },
    ...(nextCheck ? { organizersNextCheck: nextCheck } : {}),
  });
  const leftToDo = {
    failed: problems.filter((p) => p.kind === 'failed').length,
    creating: mappings.filter((m) => m.state === 'creating').length,
    writeBacks: mappings.filter((m) => m.state === 'active' && m.writeBack === 'pending').length,
    unconfirmed: attention.filter((a) => a.kind === 'update' || a.kind === 'deletion').length,
    needPerson: attention.filter((a) => a.needsPerson).length,
  };
  // What has no note of its own (a creation, a join link, an update or deletion not confirmed) is
  // named among the events too, with its reason; the schedule is the attention item's.
  const noted = new Set(problems.map((p) => `${p.source}\u0000${p.calendarId}\u0000${p.eventId}`));
  for (const a of attention.filter((x) => !noted.has(`${x.source}\u0000${x.calendarId}\u0000${x.eventId}`))) {
    problems.push({ source: a.source, calendarId: a.calendarId, eventId: a.eventId, kind: 'failed', title: a.title, ...(a.start ? { start: a.start } : {}), reason: a.reason });
  }
  return { calendars, dormant: dormantCalendars(all.filter((m) => !inConfig(m))), problems, attention, leftToDo, ...(last ? { lastRun: last } : {}) };
}

/** The calendars' open push channels (the one ending last of each), by calendar; none without push. */
function currentChannels(store: Store, now: Date): Map<string, { provider: string; channelId: string; expiresAt: string }> {
  const rows = store.sql.all<{ source: string; calendarId: string; provider: string; channelId: string; expiresAt: string }>(
    'SELECT source, calendar_id AS "calendarId", provider, channel_id AS "channelId", expires_at AS "expiresAt" FROM push_channels WHERE expires_at > ? ORDER BY expires_at',
    [now.toISOString()],
  );
  return new Map(rows.map((r) => [`${r.source}\u0000${r.calendarId}`, { provider: r.provider, channelId: r.channelId, expiresAt: r.expiresAt }]));
}

/** The calendars' current leases, by calendar: replicas on PostgreSQL hold them; on SQLite there are none. */
function currentLeases(store: Store, now: Date): Map<string, { holder: string; expiresAt: string }> {
  const rows = store.sql.all<{ source: string; calendarId: string; holder: string; expiresAt: string }>(
    'SELECT source, calendar_id AS "calendarId", holder, expires_at AS "expiresAt" FROM calendar_leases WHERE expires_at > ?',
    [now.toISOString()],
  );
  return new Map(rows.map((r) => [`${r.source}\u0000${r.calendarId}`, { holder: r.holder, expiresAt: r.expiresAt }]));
}

/** When an item is tried again and until when, in a line (the terminal and the status page). */
export function scheduleOf(a: AttentionItem): string {
  const tries = a.attempts ? `${a.attempts} tr${a.attempts === 1 ? 'y' : 'ies'} since ${a.since}` : a.since ? `since ${a.since}` : '';
  const bound = a.heldAfter ? (a.needsPerson ? `held for IT since ${a.heldAfter}, tried hourly` : `held for IT from ${a.heldAfter}`) : '';
  const next = /^\d/.test(a.nextTry) ? `next try ${a.nextTry}` : `next try: ${a.nextTry}`;
  return [next, tries, bound].filter(Boolean).join('; ');
}

/** Mappings of calendars out of the config, counted per calendar (mappings come sorted by calendar). */
function dormantCalendars(mappings: readonly Mapping[]): DormantCalendar[] {
  const byKey = new Map<string, DormantCalendar>();
  for (const m of mappings) {
    const k = `${m.source}\u0000${m.calendarId}`;
    let d = byKey.get(k);
    if (!d) byKey.set(k, (d = { source: m.source, calendarId: m.calendarId, meetings: { creating: 0, active: 0, cancelled: 0, kept: 0 } }));
    d.meetings[m.state] += 1;
  }
  return [...byKey.values()];
}

const LABELS: Record<AttentionItem['kind'], string> = {
  action: 'failed', organizer: 'skipped', creation: 'creation', update: 'update', deletion: 'deletion', 'join-link': 'join link',
};

/** For a terminal: a line per fact, others' text (titles, reasons, errors) kept to its line by `inline`. */
export function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const c of report.calendars) {
    const health = c.consecutiveFailures > 0 ? `FAILING (${c.consecutiveFailures} cycle${c.consecutiveFailures === 1 ? '' : 's'})` : c.lastSuccessAt ? 'ok' : 'never synced';
    lines.push(`${inline(c.source)} / ${inline(c.calendarId)}: ${health}`);
    lines.push(`  last success: ${c.lastSuccessAt ?? 'never'}`);
    if (c.lease) lines.push(`  served by:    replica ${inline(c.lease.holder)} (lease until ${c.lease.expiresAt})`);
    if (c.push) lines.push(`  push:         ${inline(c.push.provider)} ${c.push.provider === 'graph' ? 'subscription' : 'channel'} open until ${c.push.expiresAt} (renewed before it ends)`);
    if (c.lastError && c.consecutiveFailures > 0) lines.push(`  last error:   ${inline(c.lastError)} (${inline(c.lastErrorAt ?? '?')})`);
    const m = c.meetings;
    lines.push(`  meetings: ${m.active} active, ${m.creating} being created, ${m.cancelled} cancelled, ${m.kept} kept${c.writeBackPending ? `; ${c.writeBackPending} join link(s) still to write back` : ''}`);
  }
  if (report.calendars.length === 0) lines.push('No calendars configured (sources: in the config).');
  for (const d of report.dormant) {
    const m = d.meetings;
    lines.push(`${inline(d.source)} / ${inline(d.calendarId)}: dormant, no longer in the config; ${m.active + m.creating} meeting(s) left as they are, never read, changed or deleted (${m.active} active, ${m.creating} being created, ${m.cancelled} cancelled, ${m.kept} kept)`);
  }
  if (report.problems.length > 0) {
    lines.push('', 'Events needing attention:');
    const items = new Map(report.attention.map((a) => [`${a.source}\u0000${a.calendarId}\u0000${a.eventId}`, a]));
    for (const p of report.problems) {
      const item = items.get(`${p.source}\u0000${p.calendarId}\u0000${p.eventId}`);
      const label = item ? LABELS[item.kind] : p.kind === 'exception' ? 'occurrence' : p.kind;
      lines.push(`  [${label}] ${inline(p.title || p.eventId)}${p.start ? ` (${inline(p.start)})` : ''} in ${inline(p.calendarId)}: ${inline(p.reason)}`);
      if (item) lines.push(`      ${scheduleOf(item)}`);
    }
  }
  const l = report.leftToDo;
  if (l.failed + l.creating + l.writeBacks + l.unconfirmed > 0) {
    lines.push(
      '',
      `Left to do: ${l.failed} failed action(s), ${l.creating} creation(s) not confirmed, ${l.writeBacks} join link(s) to write, ${l.unconfirmed} update(s) or deletion(s) not confirmed` +
        `; ${l.needPerson} need a person. Each event above says when it is tried next.`,
    );
  }
  if (report.lastRun) {
    const r = report.lastRun;
    lines.push('', `Last run: ${r.startedAt}${r.finishedAt ? `, ${r.ok ? 'ok' : 'with failures'}` : ', unfinished'}${r.error ? `: ${inline(r.error)}` : ''}`);
  }
  if (neverSucceeded(report)) {
    lines.push('', "No sync cycle has succeeded yet: no calendar has been synced. Run 'meetsync sync' (or 'meetsync doctor' to see what stops it).");
  }
  return lines.join('\n');
}
