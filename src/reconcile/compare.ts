import type { EventNote, Mapping } from '../domain/mapping.js';
import { PENDING_DEFAULTS } from '../sync/pending.js';
import { mappingEndsBy } from '../domain/mapping-end.js';
import { driftOf } from './compare-fields.js';
import type { FeedItem, FeedRead } from '../webmeeting/feed/read.js';
import type { EventSide, Finding, OrganizerResult, PlatformSide, ReportedFeedWarning, Summary } from './findings.js';
import { summarize } from './findings.js';

/**
 * Reconciliation, the pure part: each organizer's meeting feed against meetsync's mappings and
 * the events as meetsync last saw them (a mapping holds what was last sent for its event), to
 * findings. No I/O and no clock but `now`.
 *
 * A feed meeting is matched to a mapping by meeting id, else by meeting number, never by title
 * or time (assumptions.ts 8: those change and collide). Only a meeting no mapping claims is
 * looked at for meetsync's marker (`meetsync:<uuid>` in its agenda): the reference written at a
 * meeting's creation is never rewritten, but a mapping that adopted the meeting without learning
 * it holds a stand-in (and one from before issue 15 may hold a marker of its own).
 */

export type OrganizerFeed = { ok: true; read: FeedRead } | { ok: false; error: string };

export interface CompareInput {
  now: Date;
  /** The organizers reconciled, each with its feed as read (or why it could not be). */
  organizers: ReadonlyArray<{ email: string; feed: OrganizerFeed }>;
  /** meetsync's mappings (any state, any organizer: others are ignored). */
  mappings: readonly Mapping[];
  /** Event notes; those of kind 'failed' are stuck findings. */
  notes: readonly EventNote[];
  /** A new meeting may take this long to show in a feed. @default PENDING_DEFAULTS.feedGraceMs */
  feedGraceMs?: number;
}

export interface Comparison {
  organizers: OrganizerResult[];
  findings: Finding[];
  summary: Summary;
}

/** The feed entries of one platform meeting (a series' overrides listed without their master share its id). */
interface Group {
  key: string;
  item: FeedItem;
  lastEnd: string | null;
  markers: string[];
  claimed: boolean;
}

/**
 * The reader's warnings as the report lists them. A line outside every meeting that could not be
 * read (kind `outside`) concerns no meeting and is left out; so are the fields the reader gives
 * its callers to decide by, so that the report shows what it showed before the readers were one.
 */
export function reportedWarnings(read: FeedRead): ReportedFeedWarning[] {
  return read.warnings.filter((w) => w.kind !== 'outside').map(({ kind: _kind, detail: _detail, ...shown }) => shown);
}

function groupsOf(items: readonly FeedItem[]): Group[] {
  const byKey = new Map<string, Group>();
  const numberToKey = new Map<string, string>();
  for (const item of items) {
    const key =
      (item.meetingId && `id:${item.meetingId}`) ||
      (item.meetingNumber && (numberToKey.get(item.meetingNumber) ?? `number:${item.meetingNumber}`)) ||
      `line:${item.line}`;
    if (item.meetingId && item.meetingNumber) numberToKey.set(item.meetingNumber, key);
    const group = byKey.get(key);
    if (!group) {
      byKey.set(key, { key, item, lastEnd: item.lastEnd, markers: [...item.markers], claimed: false });
      continue;
    }
    // The master (no RECURRENCE-ID) describes the meeting; overrides only extend its end.
    if (group.item.occurrenceOf !== undefined && item.occurrenceOf === undefined) group.item = item;
    group.lastEnd = group.lastEnd === null || item.lastEnd === null ? null : item.lastEnd > group.lastEnd ? item.lastEnd : group.lastEnd;
    group.markers = [...new Set([...group.markers, ...item.markers])];
  }
  return [...byKey.values()];
}

function platformSide(g: Group): PlatformSide {
  const i = g.item;
  return {
    ...(i.meetingId ? { meetingId: i.meetingId } : {}),
    ...(i.meetingNumber ? { meetingNumber: i.meetingNumber } : {}),
    topic: i.summary,
    ...(i.start ? { start: i.start } : {}),
    ...(i.end ? { end: i.end } : {}),
    allDay: i.allDay,
    ...(i.rrule ? { rrule: i.rrule } : {}),
    markers: g.markers,
  };
}

function eventSide(m: Mapping): EventSide {
  return {
    source: m.source,
    calendarId: m.calendarId,
    eventId: m.eventId,
    state: m.state,
    topic: m.topic,
    start: m.start,
    end: m.end,
    ...(m.timeZone ? { timeZone: m.timeZone } : {}),
    recurrence: m.recurrence,
    marker: m.marker,
  };
}

const keyOfEvent = (e: { source: string; calendarId: string; eventId: string }) => `${e.source}\u0000${e.calendarId}\u0000${e.eventId}`;

export function compare(input: CompareInput): Comparison {
  const now = input.now.getTime();
  const grace = input.feedGraceMs ?? PENDING_DEFAULTS.feedGraceMs;
  const findings: Finding[] = [];
  const organizers: OrganizerResult[] = [];
  const failedNotes = new Map(input.notes.filter((n) => n.kind === 'failed').map((n) => [keyOfEvent(n), n]));
  const counted = { platformMeetings: 0, mappings: 0, past: 0 };
  const emails = new Set(input.organizers.map((o) => o.email.toLowerCase()));

  for (const { email: rawEmail, feed } of input.organizers) {
    const email = rawEmail.toLowerCase();
    const mine = input.mappings.filter((m) => m.organizerEmail.toLowerCase() === email);
    const add = (f: Omit<Finding, 'organizer'>) => findings.push({ organizer: email, ...f });
    const noteFor = (m: Mapping) => {
      const note = failedNotes.get(keyOfEvent(m));
      failedNotes.delete(keyOfEvent(m));
      return note;
    };

    if (!feed.ok) {
      organizers.push({ email, feed: { ok: false, error: feed.error } });
      add({ kind: 'feed-unreadable', topic: '', detail: `${feed.error}; nothing was compared or repaired for ${email}` });
      // Without the platform's view no meeting of this organizer can be judged; a failing action still is one.
      for (const m of mine) {
        const note = noteFor(m);
        if (note) add({ kind: 'stuck', topic: m.topic, ...ids(undefined, m), event: eventSide(m), detail: note.reason });
      }
      continue;
    }
    const read = feed.read;
    organizers.push({ email, feed: { ok: true, meetings: read.items.length, vevents: read.vevents, complete: read.complete, warnings: reportedWarnings(read) } });
    const groups = groupsOf(read.items);
    const byId = new Map<string, Group>();
    const byNumber = new Map<string, Group>();
    for (const g of groups) {
      if (g.item.meetingId) byId.set(g.item.meetingId, g);
      if (g.item.meetingNumber) byNumber.set(g.item.meetingNumber, g);
    }
    const over = (g: Group) => g.lastEnd !== null && Date.parse(g.lastEnd) < now;
    const mappingOver = (m: Mapping) => {
      const ends = mappingEndsBy(m);
      return ends !== undefined && ends.getTime() < now;
    };
    const lost = read.warnings.filter((w) => w.lost);
    /** Why absence from this feed is no proof that the meeting of `m` is gone, if it is not. */
    const absenceDoubt = (m: Mapping): string | undefined => {
      if (lost.some((w) => (w.meetingId && w.meetingId === m.meetingId) || (w.meetingNumber && w.meetingNumber === m.meetingNumber))) {
        return 'the feed has an entry naming this meeting that could not be read';
      }
      if (lost.some((w) => !w.meetingId && !w.meetingNumber)) return 'the feed has entries that could not be read; this may be one of them';
      if (!read.complete) return 'the feed ended early (no END:VCALENDAR); the meeting may be in the part that did not arrive';
      if (read.vevents === 0) return 'the feed lists no meeting at all, which is no proof that every meeting is gone';
      const age = now - Date.parse(m.createdAt);
      if (age < grace) return `it was created ${Math.max(0, Math.round(age / 60_000))} min ago and a feed may take ${Math.round(grace / 60_000)} min to show a new meeting`;
      return undefined;
    };
    const claim = (g: Group | undefined) => {
      if (g) g.claimed = true;
      return g;
    };
    // Indexed: looked up once per mapping, so a scan of every meeting each time would be quadratic.
    const withMarker = new Map<string, Group[]>();
    for (const g of groups) for (const x of g.markers) withMarker.set(x, [...(withMarker.get(x) ?? []), g]);
    const byMarker = (markers: readonly string[]) => [...new Set(markers.flatMap((x) => withMarker.get(x) ?? []))].filter((g) => !g.claimed);
    /** A meeting with `m`'s reference that meetsync did not make as it is: a person's copy (a follow-up), theirs. */
    const personsCopy = (m: Mapping, g: Group) =>
      add({
        kind: 'unmanaged',
        topic: g.item.summary,
        ...ids(g),
        event: eventSide(m),
        platform: platformSide(g),
        detail:
          m.state === 'kept'
            ? `carries the meetsync reference of a meeting kept for its organizer (onEventCancelled: keep): theirs now; listed, never touched`
            : `carries meetsync's reference of event ${m.eventId}, but not the topic and times meetsync gave its meeting: a copy a person made (a follow-up, another week); listed, never touched`,
      });
    const duplicates = (m: Mapping, kept: Group, markers: readonly string[]) => {
      for (const d of byMarker(markers)) {
        claim(d);
        if (!madeAs(m, d)) {
          personsCopy(m, d);
          continue;
        }
        add({
          kind: 'duplicate',
          topic: m.topic,
          ...ids(d),
          event: eventSide(m),
          platform: platformSide(d),
          detail: `a second meeting for the event of meeting ${kept.item.meetingNumber ?? kept.item.meetingId ?? '?'} (it carries the same meetsync reference)`,
          ...deletable(d, 'duplicate', m),
        });
      }
    };

    // Pass 1: the meetings mappings name by id or number.
    const matched = new Map<Mapping, Group | undefined>();
    for (const m of mine) {
      const g = (m.meetingId && byId.get(m.meetingId)) || (m.meetingNumber && byNumber.get(m.meetingNumber)) || undefined;
      matched.set(m, claim(g));
    }

    // Pass 2: each mapping's finding; unclaimed meetings carrying its marker.
    for (const m of mine) {
      const g = matched.get(m);
      if (m.state === 'kept') {
        if (g) add({ kind: 'unmanaged', topic: g.item.summary, ...ids(g), event: eventSide(m), platform: platformSide(g), detail: 'kept on the platform after its event was cancelled (onEventCancelled: keep); meetsync no longer changes it' });
        // Before noteFor: a kept meeting's event may hold a new meeting, whose note this is.
        continue;
      }
      const note = noteFor(m);
      if (m.state === 'cancelled') {
        if (g && !over(g)) add({ kind: 'orphan', topic: g.item.summary, ...ids(g), event: eventSide(m), platform: platformSide(g), detail: 'its event was cancelled and meetsync deleted this meeting, yet the platform still lists it', ...deletable(g, 'orphan', m) });
        for (const o of byMarker([m.marker]).filter((x) => !over(x))) {
          claim(o);
          if (!madeAs(m, o)) personsCopy(m, o);
          else add({ kind: 'orphan', topic: o.item.summary, ...ids(o), event: eventSide(m), platform: platformSide(o), detail: 'it carries the meetsync reference of an event that was cancelled, whose meeting meetsync deleted', ...deletable(o, 'orphan', m) });
        }
        continue;
      }
      if (m.state === 'creating') {
        if (m.held) {
          byMarker([m.marker]).forEach(claim);
          add({ kind: 'stuck', topic: m.topic, ...(m.meetingNumber ? { meetingNumber: m.meetingNumber } : {}), event: eventSide(m), detail: m.held });
          continue;
        }
        const [found] = byMarker([m.marker]);
        if (found) {
          claim(found);
          add(adoptable(m, found, 'its creation was interrupted before meetsync stored the answer'));
          duplicates(m, found, [m.marker, ...found.markers]);
        } else {
          add({ kind: 'stuck', topic: m.topic, event: eventSide(m), detail: note?.reason ?? 'its creation is not confirmed yet: the meeting is not in the organizer\'s feed; the sync creates it again once the feed has had 10 minutes to show it' });
        }
        continue;
      }
      // Active.
      if (mappingOver(m)) {
        counted.past += 1;
        continue;
      }
      counted.mappings += 1;
      if (m.deletingSince) {
        add({ kind: 'stuck', topic: m.topic, ...ids(g, m), event: eventSide(m), ...(g ? { platform: platformSide(g) } : {}), detail: `a deletion of its meeting was sent at ${m.deletingSince} and not confirmed; the next sync cycle finds out` });
        continue;
      }
      if (m.updatingSince && g) {
        // The meeting may hold the unconfirmed PUT's fields: not drift to repair from the mapping.
        add({ kind: 'stuck', topic: m.topic, ...ids(g, m), event: eventSide(m), platform: platformSide(g), detail: `an update of its meeting was sent at ${m.updatingSince} and not confirmed; the next sync cycle sends it again` });
        continue;
      }
      if (!g) {
        const [found] = byMarker([m.marker]);
        if (found && !over(found)) {
          claim(found);
          add(adoptable(m, found, `its meeting ${m.meetingNumber ?? m.meetingId} is gone from the platform, and this one carries its meetsync reference`));
          duplicates(m, found, [m.marker, ...found.markers]);
          continue;
        }
        const doubt = absenceDoubt(m);
        add({
          kind: 'missing',
          topic: m.topic,
          ...ids(undefined, m),
          event: eventSide(m),
          detail: `its meeting ${m.meetingNumber ?? m.meetingId} is not on the platform any more${doubt ? ` (not certain: ${doubt})` : ''}`,
          fix: 'recreate',
          ...(doubt ? { fixBlocked: `not repaired: ${doubt}` } : {}),
        });
        continue;
      }
      counted.platformMeetings += 1;
      duplicates(m, g, [m.marker, ...g.markers]);
      const drift = driftOf(m, g.item);
      const both = { topic: m.topic, ...ids(g, m), event: eventSide(m), platform: platformSide(g), fix: 'update' as const };
      if (drift.time) add({ kind: 'time-drift', ...both, fields: drift.fields.filter((f) => f !== 'topic'), detail: drift.time });
      if (drift.topic) add({ kind: 'topic-drift', ...both, fields: ['topic'], detail: drift.topic });
      if (drift.fields.length > 0) continue;
      if (note) add({ kind: 'stuck', topic: m.topic, ...ids(g, m), event: eventSide(m), platform: platformSide(g), detail: note.reason });
      else if (m.writeBack === 'pending') add({ kind: 'stuck', topic: m.topic, ...ids(g, m), event: eventSide(m), platform: platformSide(g), detail: `the join link is not written into the event yet${m.lastError ? ` (${m.lastError})` : ''}; the sync tries again on its retry schedule (meetsync status shows when)` });
      else add({ kind: 'in-step', topic: m.topic, ...ids(g, m), event: eventSide(m), platform: platformSide(g), detail: 'in step' });
    }

    // Pass 3: meetings no mapping claims.
    const known = new Map(input.mappings.map((m) => [m.marker, m]));
    for (const g of groups.filter((x) => !x.claimed)) {
      if (over(g)) {
        counted.past += 1;
        continue;
      }
      counted.platformMeetings += 1;
      if (g.markers.length === 0) {
        add({ kind: 'unmanaged', topic: g.item.summary, ...ids(g), platform: platformSide(g), detail: 'not made by meetsync (no meetsync reference in its agenda); listed for information, never touched' });
        continue;
      }
      const owner = g.markers.map((x) => known.get(x)).find((m) => m !== undefined);
      if (owner && (owner.state === 'kept' || !madeAs(owner, g))) {
        personsCopy(owner, g);
        continue;
      }
      const why = owner
        ? `it carries the meetsync reference of event ${owner.eventId} (${owner.source}/${owner.calendarId}), whose mapping is for another organizer or state`
        : 'it carries a meetsync reference that no event in this database has (a database restored from a backup, or another meetsync instance)';
      add({ kind: 'orphan', topic: g.item.summary, ...ids(g), platform: platformSide(g), detail: why, ...deletable(g, 'orphan', owner) });
    }
  }

  // Failing actions of events whose organizer was reconciled but which have no mapping (a refused creation).
  for (const note of failedNotes.values()) {
    const organizer = note.calendarId.toLowerCase();
    if (!emails.has(organizer)) continue;
    findings.push({ kind: 'stuck', organizer, topic: note.title, event: { source: note.source, calendarId: note.calendarId, eventId: note.eventId, state: 'none', topic: note.title, ...(note.start ? { start: note.start } : {}) }, detail: note.reason });
  }

  return { organizers, findings, summary: summarize({ organizers: organizers.length, ...counted }, findings) };
}

function ids(g: Group | undefined, m?: Mapping): Pick<Finding, 'meetingId' | 'meetingNumber'> {
  const meetingId = g?.item.meetingId ?? m?.meetingId;
  const meetingNumber = g?.item.meetingNumber ?? m?.meetingNumber;
  return { ...(meetingId ? { meetingId } : {}), ...(meetingNumber ? { meetingNumber } : {}) };
}

/**
 * The meeting is exactly what meetsync last sent for `m`: same topic, instants and rule, none of
 * them unreadable. Anything else may be a person's copy of it (same agenda, another week) or a
 * person's edit, and is theirs (issue 15, finding 7).
 */
function madeAs(m: Mapping, g: Group): boolean {
  return g.item.unreadable.length === 0 && driftOf(m, g.item).fields.length === 0;
}

/**
 * A meeting only --delete-orphans removes, and only on proof, here from the feed and the database
 * (repair adds the calendars' word): it has an id to delete it by, it carries meetsync's reference
 * (the proof of origin), and a record here (`made`) says what meetsync made with that reference,
 * which the meeting still is. Without such a record a meeting meetsync made cannot be told from a
 * person's copy of it: it is listed for a person to decide.
 */
function deletable(g: Group, what: string, made: Mapping | undefined): Pick<Finding, 'fix' | 'fixBlocked'> {
  if (!g.item.meetingId) return { fixBlocked: `the feed gives only this ${what}'s number, not the id needed to delete it` };
  if (g.markers.length === 0) return { fixBlocked: `not deleted: its agenda has no meetsync reference, the proof that meetsync made it` };
  if (!made) return { fixBlocked: `not deleted: no record in this database says what meetsync made with its reference, so it cannot be told from a person's copy; delete it on the platform if no one needs it` };
  if (g.item.unreadable.length > 0) return { fixBlocked: `not deleted: its ${g.item.unreadable.join(', ')} could not be read, so it cannot be shown to be what meetsync made` };
  if (!madeAs(made, g)) return { fixBlocked: `not deleted: its ${driftOf(made, g.item).fields.join(', ')} differ from what meetsync sent (a person may have changed it)` };
  return { fix: 'delete' };
}

function adoptable(m: Mapping, g: Group, why: string): Omit<Finding, 'organizer'> {
  return {
    kind: 'orphan',
    topic: m.topic,
    ...ids(g),
    event: eventSide(m),
    platform: platformSide(g),
    detail: `carries meetsync's reference of event ${m.eventId}, which has no meeting: ${why}`,
    ...(g.item.meetingId ? { fix: 'adopt' as const } : { fixBlocked: 'the feed gives only its number, not the id needed to adopt it' }),
  };
}
