import { expect } from 'vitest';
import type { EngineHarness } from './engine-harness.js';
import { titleOf, type ModelEvent } from './sync-model.js';
import { platformRecurring, type ModelOccurrence } from './sync-series.js';

/**
 * The invariants of the sync state machine's world once settled, judged from its model of the
 * calendars (sync-model.ts) against the platform, the database and the calendars.
 */

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * The invariants of a settled world; each failure names the event and what was found. `events`
 * is the model (what the user did), `source` the source's name in the config now.
 */
export function checkInvariants(h: EngineHarness, events: readonly ModelEvent[], occurrences: readonly ModelOccurrence[], source: string): void {
  checkModelMatchesCalendars(h, events, occurrences);
  const meetings = new Map(h.sim.meetings().map((m) => [m.id, m]));
  const tagged = events.filter((e) => e.live && e.organizerCopy && e.tag !== null);
  // An all-day event cannot have a meeting (the platform's meetings have times): none, and a note saying why.
  const wanted = tagged.filter((e) => !e.allDay);
  // A creation held (its meeting found by number only) stays held whatever the event becomes: status names it.
  const allDay = () => tagged.filter((e) => e.allDay && !heldEvents.has(e.eventId));

  // 3. Nothing left half-created, except a held creation: one whose meeting the feed names
  // without its id (that meeting exists exactly once, carrying its marker), or one the feed
  // cannot prove absent (a feed never seen to carry references, a meeting that may be it):
  // at most one meeting carries its marker. Nothing posted any of them again.
  const held = h.store.mappings({ state: 'creating' }).filter((m) => m.held);
  expect(h.store.mappings({ state: 'creating' }).filter((m) => !m.held).map((m) => m.eventId), "mappings left in state 'creating'").toEqual([]);
  const heldMeetingIds: string[] = [];
  for (const m of held) {
    const carrying = [...meetings.values()].filter((x) => x.agenda.includes(m.marker));
    if (m.meetingNumber) expect(carrying.map((x) => x.meetingId), `meetings of held creation ${m.eventId}`).toEqual([m.meetingNumber]);
    else expect(carrying.length, `meetings of held creation ${m.eventId} (${m.held})`).toBeLessThanOrEqual(1);
    heldMeetingIds.push(...carrying.map((x) => x.id));
  }
  const heldEvents = new Set(held.map((m) => m.eventId));

  // 6. Nothing left noted but why each tagged all-day event has no meeting, and each occurrence
  // moved or cancelled of a series that has its meeting (the recurring meeting keeps the pattern,
  // README "Recurring events"): failures recovered, attendees' copies are not problems.
  const inStep = new Set(wanted.filter((e) => !heldEvents.has(e.eventId)).map((e) => `${e.calendarId}/${e.eventId}`));
  const excepted = occurrences.filter((o) => inStep.has(`${o.calendarId}/${o.seriesId}`) && !o.unseen);
  const unseen = new Set(occurrences.filter((o) => o.unseen).map((o) => o.eventId));
  const noted = (n: { eventId: string; kind: string; reason: string }) => (n.kind === 'exception' ? 'occurrence' : n.reason.startsWith('all-day event') ? 'all-day' : n.reason);
  // A held series' occurrences may be noted or not: whether its one meeting is there is what status says of it.
  // Nor need an occurrence edited while its series had no meeting be (sync-series.ts, ModelOccurrence.unseen).
  const ofHeld = (n: { eventId: string; kind: string; seriesId?: string }) => unseen.has(n.eventId) || (n.kind === 'exception' && n.seriesId !== undefined && heldEvents.has(n.seriesId));
  expect(h.store.notes().filter((n) => !ofHeld(n)).map((n) => `${n.eventId}: ${noted(n)}`).sort(), 'notes left after settling').toEqual(
    [...allDay().map((e) => `${e.eventId}: all-day`), ...excepted.map((o) => `${o.eventId}: occurrence`)].sort(),
  );

  // 1. Each live tagged organizer event: one active mapping, its meeting live and in step.
  const expectedMeetingIds: string[] = [...heldMeetingIds];
  for (const e of wanted) {
    if (heldEvents.has(e.eventId)) continue;
    const m = h.store.mapping({ source, calendarId: e.calendarId, eventId: e.eventId });
    expect(m?.state, `mapping of tagged event ${e.eventId}`).toBe('active');
    const meeting = m?.meetingId ? meetings.get(m.meetingId) : undefined;
    expect(meeting, `live meeting ${m?.meetingId} of tagged event ${e.eventId}`).toBeDefined();
    expect(
      { topic: meeting?.topic, startTime: meeting?.startTime, endTime: meeting?.endTime },
      `meeting of ${e.eventId} in step with the event`,
    ).toEqual({ topic: e.base, startTime: e.start, endTime: e.end });
    // A series' meeting carries its rule (one meeting for the whole series); a single event's repeats not.
    expect(meeting?.isRecurring, `meeting of ${e.eventId} recurring`).toBe(e.rule !== null);
    if (e.rule) expect(meeting?.recurring, `repeat rule of ${e.eventId}'s meeting`).toMatchObject(platformRecurring(e.rule));
    // The mapping records what was last sent; if it drifts, a later edit back to it is missed.
    expect({ topic: m?.topic, start: m?.start, end: m?.end }, `mapping of ${e.eventId} records the meeting`).toEqual({
      topic: e.base,
      start: e.start,
      end: e.end,
    });
    expectedMeetingIds.push(m!.meetingId!);
  }

  // 1 + 2. No duplicates, no orphans: live meetings are exactly those of the wanted events,
  // and no other event (deleted, untagged, an attendee's copy) holds an active mapping.
  expect([...meetings.keys()].sort(), 'live platform meetings = meetings of live tagged organizer events').toEqual(expectedMeetingIds.sort());
  expect(
    h.store.mappings({ state: 'active' }).map((m) => m.eventId).sort(),
    'events with an active mapping = live tagged organizer events',
  ).toEqual(wanted.filter((e) => !heldEvents.has(e.eventId)).map((e) => e.eventId).sort());

  // 4. The join block once, for the meeting it maps to, and the stamp naming it.
  for (const m of h.store.mappings({ state: 'active' })) {
    const event = h.source.peek(m.calendarId, m.eventId);
    const description = event?.description ?? '';
    expect(count(description, 'Meeting number:'), `join blocks in ${m.eventId}`).toBe(1);
    expect(description, `join block of ${m.eventId}`).toContain(`Meeting number: ${m.meetingNumber}`);
    expect(event?.stamp?.meetingId, `stamp of ${m.eventId}`).toBe(m.meetingId);
    expect(m.writeBack, `write-back of ${m.eventId}`).toBe('done');
  }
}

/** Guards the test itself: the calendars hold what the model says the user did. */
function checkModelMatchesCalendars(h: EngineHarness, events: readonly ModelEvent[], occurrences: readonly ModelOccurrence[]): void {
  for (const e of events) {
    const stored = h.source.peek(e.calendarId, e.eventId);
    const seen = stored && { status: stored.status, title: stored.title, start: stored.start, end: stored.end, allDay: stored.status === 'cancelled' ? false : stored.allDay };
    const modelled = e.live ? { status: 'confirmed', title: titleOf(e.base, e.tag), start: e.start, end: e.end, allDay: e.allDay } : { status: 'cancelled', title: '', start: undefined, end: undefined, allDay: false };
    expect(seen, `calendar copy of ${e.eventId} as modelled`).toEqual(modelled);
  }
  for (const o of occurrences) {
    const stored = h.source.peek(o.calendarId, o.eventId);
    const seen = stored && { kind: stored.kind, status: stored.status, seriesId: stored.seriesId, originalStart: stored.originalStart, start: stored.start, end: stored.end };
    const modelled = { kind: 'occurrence', status: o.cancelled ? 'cancelled' : 'confirmed', seriesId: o.seriesId, originalStart: o.originalStart, start: o.start, end: o.end };
    expect(seen, `calendar copy of occurrence ${o.eventId} as modelled`).toEqual(modelled);
  }
}
