import { describe, expect, it } from 'vitest';
import type { EventNote, Mapping } from '../../src/domain/mapping.js';
import { compare, type OrganizerFeed } from '../../src/reconcile/compare.js';
import { readFeedText } from '../../src/webmeeting/feed/read.js';
import type { Finding } from '../../src/reconcile/findings.js';
import { feedText, mapping, meetingIds, type FeedEventSpec } from '../support/feed-builder.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const ALICE = 'alice@example.com';

function run(events: FeedEventSpec[], mappings: Mapping[], options: { notes?: EventNote[]; text?: string; now?: Date } = {}) {
  const feed: OrganizerFeed = { ok: true, read: readFeedText(options.text ?? feedText(events)) };
  return compare({ now: options.now ?? NOW, organizers: [{ email: ALICE, feed }], mappings, notes: options.notes ?? [] });
}

const kinds = (findings: Finding[]) => findings.map((f) => f.kind).sort();

/** A meeting and its mapping, in step unless the test changes one side. */
function pair(over: Partial<Mapping> = {}, feed: Partial<FeedEventSpec> = {}) {
  const { id, number } = meetingIds();
  const m = mapping({ meetingId: id, meetingNumber: number, ...over });
  return { m, e: { id, number, summary: m.topic, marker: m.marker, ...feed } as FeedEventSpec };
}

describe('compare: one finding per planted difference', () => {
  it.each<[string, Partial<Mapping>, Partial<FeedEventSpec>, string[], Finding['fields']?]>([
    ['in step', {}, {}, ['in-step']],
    ['time drift (moved an hour)', {}, { dtstart: 'DTSTART:20300107T100000Z', dtend: 'DTEND:20300107T110000Z' }, ['time-drift'], ['start', 'end']],
    ['time drift (end only)', {}, { dtend: 'DTEND:20300107T103000Z' }, ['time-drift'], ['end']],
    ['topic drift', {}, { summary: 'Planning (renamed on the platform)' }, ['topic-drift'], ['topic']],
    ['both drifts', {}, { summary: 'Other', dtstart: 'DTSTART:20300107T083000Z' }, ['time-drift', 'topic-drift']],
  ])('%s', (_name, over, feedOver, expected, fields) => {
    const { m, e } = pair(over, feedOver);
    const { findings, summary } = run([{ ...e, ...feedOver }], [m]);
    expect(kinds(findings)).toEqual(expected);
    if (fields) expect(findings[0]?.fields).toEqual(fields);
    const drift = findings.filter((f) => f.kind !== 'in-step');
    drift.forEach((f) => expect(f.fix).toBe('update'));
    expect(summary.open).toBe(drift.length);
  });

  it('says how far a time drifted, in UTC', () => {
    const { m, e } = pair({}, {});
    const [f] = run([{ ...e, dtstart: 'DTSTART:20300107T100000Z', dtend: 'DTEND:20300107T110000Z' }], [m]).findings;
    expect(f?.detail).toBe('the platform has 2030-01-07 10:00-11:00 UTC, the event 2030-01-07 09:00-10:00 UTC (the platform is 1 h later)');
  });

  it('missing: mapped, gone from a complete feed -> recreate', () => {
    const { m } = pair();
    const other = pair();
    const { findings } = run([other.e], [m, other.m]);
    const missing = findings.find((f) => f.kind === 'missing');
    expect(missing).toMatchObject({ fix: 'recreate', meetingId: m.meetingId, event: { eventId: m.eventId } });
    expect(missing?.fixBlocked).toBeUndefined();
    expect(kinds(findings)).toEqual(['in-step', 'missing']);
  });

  it.each<[string, (ids: { id: string; number: string }) => string, Partial<Mapping>]>([
    ['the feed is empty', () => feedText([]), {}],
    ['the feed was cut short', () => feedText([pair().e], { tail: [] }), {}],
    ['the entry naming it was cut off', (ids) => feedText([pair().e], { tail: ['BEGIN:VEVENT', `UID:${ids.id}@x`, 'DTSTART:2030'] }), {}],
    ['it is younger than the feed grace', () => feedText([pair().e]), { createdAt: '2029-12-31T23:55:00.000Z' }],
  ])('missing but not certain when %s: never recreated', (_name, text, over) => {
    const { m } = pair(over);
    const { findings } = run([], [m], { text: text({ id: m.meetingId!, number: m.meetingNumber! }) });
    const missing = findings.find((f) => f.kind === 'missing');
    expect(missing?.fixBlocked).toMatch(/^not repaired: /);
  });

  it('an entry with an unreadable DTSTART is still the meeting it names (not missing, no guessed drift)', () => {
    const { m, e } = pair();
    const { findings, organizers } = run([{ ...e, dtstart: 'DTSTART;TZID="broken:1' }], [m]);
    expect(kinds(findings)).toEqual(['in-step']);
    const feed = organizers[0]!.feed;
    expect(feed.ok && feed.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^DTSTART could not be read \(.+\); left out$/)]);
  });

  it('orphan: carries the marker of a creation never confirmed -> adopt into that event', () => {
    const intent = mapping({ state: 'creating' });
    const { id, number } = meetingIds();
    const { findings, summary } = run([{ id, number, marker: intent.marker }], [intent]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'orphan', fix: 'adopt', meetingId: id, event: { eventId: intent.eventId, state: 'creating' } });
    expect(summary.orphan).toBe(1);
  });

  it('orphan: carries the marker of an event whose meeting is gone -> adopt, not missing', () => {
    const { m } = pair();
    const { id, number } = meetingIds();
    const { findings } = run([{ id, number, marker: m.marker }], [m]);
    expect(kinds(findings)).toEqual(['orphan']);
    expect(findings[0]).toMatchObject({ fix: 'adopt', meetingId: id, event: { eventId: m.eventId } });
  });

  it('orphan: a marker no mapping has is listed, never deleted (no record tells it from a person\'s copy); by number only it cannot be', () => {
    const a = meetingIds();
    const b = meetingIds();
    const { findings } = run([{ ...a, marker: 'meetsync:11111111-2222-4333-8444-555555555555' }, { number: b.number, uid: `${b.number}@x`, marker: 'meetsync:11111111-2222-4333-8444-666666666666' }], []);
    expect(kinds(findings)).toEqual(['orphan', 'orphan']);
    expect(findings.find((f) => f.meetingId === a.id)).toMatchObject({ fixBlocked: expect.stringContaining('no record in this database says what meetsync made') });
    expect(findings.find((f) => f.meetingId === a.id)?.fix).toBeUndefined();
    expect(findings.find((f) => f.meetingNumber === b.number)).toMatchObject({ fixBlocked: expect.stringContaining('only') });
  });

  it("a person's copy (meetsync's reference, another week or topic) is unmanaged, never a duplicate or orphan to delete", () => {
    const { m, e } = pair();
    const followUp = meetingIds();
    const renamed = meetingIds();
    const cancelled = pair({ state: 'cancelled' });
    const copyOfCancelled = meetingIds();
    const { findings, summary } = run(
      [
        e,
        { ...followUp, marker: m.marker, dtstart: 'DTSTART:20300114T090000Z', dtend: 'DTEND:20300114T100000Z' },
        { ...renamed, marker: m.marker, summary: 'Planning, part 2' },
        { ...copyOfCancelled, marker: cancelled.m.marker, summary: 'Retro (my own)' },
      ],
      [m, cancelled.m],
    );
    expect(kinds(findings)).toEqual(['in-step', 'unmanaged', 'unmanaged', 'unmanaged']);
    for (const id of [followUp.id, renamed.id, copyOfCancelled.id]) {
      const f = findings.find((x) => x.meetingId === id);
      expect(f).toMatchObject({ kind: 'unmanaged', detail: expect.stringContaining('a copy a person made') });
      expect(f?.fix).toBeUndefined();
    }
    expect(summary.open).toBe(0);
  });

  it('a cancelled meeting still listed but changed since meetsync sent it is listed, not deleted', () => {
    const cancelled = pair({ state: 'cancelled' }, { summary: 'Taken over by hand' });
    const { findings } = run([cancelled.e], [cancelled.m]);
    expect(findings).toEqual([expect.objectContaining({ kind: 'orphan', fixBlocked: expect.stringContaining('topic differ from what meetsync sent') })]);
  });

  it('duplicate: a second meeting with the mapped meeting\'s marker; the mapped one stays in step', () => {
    const { m, e } = pair();
    const copy = meetingIds();
    const { findings } = run([e, { ...copy, marker: m.marker }], [m]);
    expect(kinds(findings)).toEqual(['duplicate', 'in-step']);
    expect(findings.find((f) => f.kind === 'duplicate')).toMatchObject({ meetingId: copy.id, fix: 'delete', event: { eventId: m.eventId } });
  });

  it('duplicate: found by the first marker in the agenda of a meeting the sync adopted', () => {
    const original = 'meetsync:aaaaaaaa-0000-4000-8000-000000000001';
    const { m, e } = pair({ marker: 'meetsync:adopted:x:1' }, {});
    const copy = meetingIds();
    const { findings } = run([{ ...e, marker: original }, { ...copy, marker: original }], [m]);
    expect(kinds(findings)).toEqual(['duplicate', 'in-step']);
  });

  it('unmanaged: no marker, no mapping: information only', () => {
    const { findings, summary } = run([{ ...meetingIds(), summary: 'Board meeting' }], []);
    expect(kinds(findings)).toEqual(['unmanaged']);
    expect(findings[0]?.fix).toBeUndefined();
    expect(summary.open).toBe(0);
  });

  it('never matches by title or time: same topic and time under another id is not the mapped meeting', () => {
    const { m, e } = pair();
    const stranger = meetingIds();
    const { findings } = run([{ ...e, id: stranger.id, number: stranger.number, uid: `${stranger.id}@x`, marker: undefined }], [m]);
    expect(kinds(findings)).toEqual(['missing', 'unmanaged']);
  });

  it('matches by number when the feed names meetings by number only', () => {
    const { m, e } = pair();
    const { findings } = run([{ ...e, id: undefined, uid: `${e.number}@meeting.example.com` }], [m]);
    expect(kinds(findings)).toEqual(['in-step']);
  });
});

describe('compare: stuck', () => {
  it('a creation not confirmed, not in the feed', () => {
    const { findings } = run([], [mapping({ state: 'creating' })], { text: feedText([pair().e]) });
    expect(kinds(findings).filter((k) => k !== 'unmanaged' && k !== 'orphan')).toEqual(['stuck']);
  });

  it('a held creation: its number-only meeting is part of that finding, not an orphan', () => {
    const held = mapping({ state: 'creating', held: 'its meeting 1000-2000-3000-0009 exists on the platform (...)' });
    const n = meetingIds();
    const { findings } = run([{ number: n.number, uid: `${n.number}@x`, marker: held.marker }], [held]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'stuck', detail: held.held });
  });

  it('a failing action on a mapped event in step, and on an event without a mapping', () => {
    const { m, e } = pair();
    const notes: EventNote[] = [
      { source: m.source, calendarId: m.calendarId, eventId: m.eventId, kind: 'failed', reason: 'update failed: HTTP 503 (will retry)', title: 'x', updatedAt: '' },
      { source: 'mem', calendarId: ALICE, eventId: 'lonely', kind: 'failed', reason: 'create refused by the platform: data not valid', title: 'Lonely', updatedAt: '' },
      { source: 'mem', calendarId: ALICE, eventId: 'skipped', kind: 'skipped', reason: 'all-day event', title: 'Offsite', updatedAt: '' },
    ];
    const { findings } = run([e], [m], { notes });
    expect(findings.map((f) => [f.kind, f.detail])).toEqual([
      ['stuck', 'update failed: HTTP 503 (will retry)'],
      ['stuck', 'create refused by the platform: data not valid'],
    ]);
  });

  it('a join link not written back, and a deletion not confirmed', () => {
    const a = pair({ writeBack: 'pending' });
    const b = pair({ deletingSince: '2029-12-31T00:00:00.000Z' });
    const { findings } = run([a.e, b.e], [a.m, b.m]);
    expect(kinds(findings)).toEqual(['stuck', 'stuck']);
  });

  it('an update not confirmed is stuck until the next cycle sends it again, never drift to repair from the mapping', () => {
    const u = pair({ updatingSince: '2029-12-31T00:00:00.000Z', topic: 'Before the lost PUT' });
    const { findings } = run([u.e], [u.m]);
    expect(findings).toEqual([expect.objectContaining({ kind: 'stuck', detail: expect.stringMatching(/update of its meeting was sent at 2029-12-31T00:00:00.000Z and not confirmed/) })]);
  });
});

describe('compare: states, the past, and feeds that fail', () => {
  it('a kept meeting is unmanaged; a cancelled one still listed is an orphan', () => {
    const kept = pair({ state: 'kept' });
    const cancelled = pair({ state: 'cancelled' });
    const { findings } = run([kept.e, cancelled.e], [kept.m, cancelled.m]);
    expect(findings.find((f) => f.meetingId === kept.m.meetingId)?.kind).toBe('unmanaged');
    expect(findings.find((f) => f.meetingId === cancelled.m.meetingId)).toMatchObject({ kind: 'orphan', fix: 'delete' });
  });

  it('a kept meeting whose event got a new meeting is unmanaged, and leaves the event\'s failing action to the new one', () => {
    const now = pair({ marker: 'meetsync:now' });
    const kept = pair({ state: 'kept', marker: 'meetsync:kept', eventId: now.m.eventId });
    const notes: EventNote[] = [{ source: now.m.source, calendarId: now.m.calendarId, eventId: now.m.eventId, kind: 'failed', reason: 'update failed: HTTP 503 (will retry)', title: 'x', updatedAt: '' }];
    // The kept meeting comes first, as reconcile lists it: its event's note must still reach the live mapping.
    const { findings, summary } = run([kept.e, now.e], [kept.m, now.m], { notes });
    expect(findings.find((f) => f.meetingId === kept.m.meetingId)?.kind).toBe('unmanaged');
    expect(findings.find((f) => f.meetingId === now.m.meetingId)).toMatchObject({ kind: 'stuck', detail: 'update failed: HTTP 503 (will retry)' });
    expect(summary.orphan).toBe(0);
  });

  it('meetings and mappings that are over are left out, and counted', () => {
    const old = meetingIds();
    const { m } = pair({ start: '2029-12-01T09:00:00.000Z', end: '2029-12-01T10:00:00.000Z' });
    const { findings, summary } = run([{ ...old, dtstart: 'DTSTART:20291201T090000Z', dtend: 'DTEND:20291201T100000Z', marker: 'meetsync:11111111-2222-4333-8444-777777777777' }], [m]);
    expect(findings).toEqual([]);
    expect(summary.past).toBe(2);
  });

  it('an unreadable feed is one finding for that organizer; the others are compared', () => {
    const { m, e } = pair();
    const bob = mapping({ organizerEmail: 'bob@example.com', meetingId: meetingIds().id });
    const { findings, organizers } = compare({
      now: NOW,
      organizers: [
        { email: 'bob@example.com', feed: { ok: false, error: 'the feed could not be read: HTTP 404' } },
        { email: ALICE, feed: { ok: true, read: readFeedText(feedText([e])) } },
      ],
      mappings: [m, bob],
      notes: [],
    });
    expect(findings.map((f) => [f.organizer, f.kind])).toEqual([
      ['bob@example.com', 'feed-unreadable'],
      [ALICE, 'in-step'],
    ]);
    expect(organizers[0]?.feed.ok).toBe(false);
  });
});

describe('compare: exact instants (time zones, DST, all-day, series)', () => {
  it.each<[string, Partial<Mapping>, Partial<FeedEventSpec>, string[]]>([
    ['Berlin winter wall time = same instant', {}, { dtstart: 'DTSTART;TZID=Europe/Berlin:20300107T100000', dtend: 'DTEND;TZID=Europe/Berlin:20300107T110000' }, ['in-step']],
    ['Berlin summer (CEST, +2)', { start: '2030-07-01T08:00:00.000Z', end: '2030-07-01T09:00:00.000Z' }, { dtstart: 'DTSTART;TZID=Europe/Berlin:20300701T100000', dtend: 'DTEND;TZID=Europe/Berlin:20300701T110000' }, ['in-step']],
    ['same wall time, an hour off across DST', { start: '2030-07-01T09:00:00.000Z', end: '2030-07-01T10:00:00.000Z' }, { dtstart: 'DTSTART;TZID=Europe/Berlin:20300701T100000', dtend: 'DTEND;TZID=Europe/Berlin:20300701T110000' }, ['time-drift']],
    ['the night the clocks go forward (02:30 does not exist in Berlin)', { start: '2030-03-31T01:30:00.000Z', end: '2030-03-31T02:30:00.000Z' }, { dtstart: 'DTSTART:20300331T013000Z', dtend: 'DTEND;TZID=Europe/Berlin:20300331T043000' }, ['in-step']],
    ['a Windows zone name', {}, { dtstart: 'DTSTART;TZID=W. Europe Standard Time:20300107T100000', dtend: 'DTEND;TZID=W. Europe Standard Time:20300107T110000' }, ['in-step']],
    ['an all-day entry on the same day is not the timed meeting', {}, { dtstart: 'DTSTART;VALUE=DATE:20300107', dtend: 'DTEND;VALUE=DATE:20300108' }, ['time-drift']],
  ])('%s', (_name, over, feedOver, expected) => {
    const { m, e } = pair(over);
    expect(kinds(run([{ ...e, ...feedOver }], [m]).findings)).toEqual(expected);
  });

  it('all-day: the detail names the day', () => {
    const { m, e } = pair();
    const [f] = run([{ ...e, dtstart: 'DTSTART;VALUE=DATE:20300107', dtend: 'DTEND;VALUE=DATE:20300108' }], [m]).findings;
    expect(f?.detail).toMatch(/^the platform has all day 2030-01-07, the event 2030-01-07 09:00-10:00 UTC/);
  });

  const weekly5 = { frequencyType: 'weekly', frequency: 1, monthlyPattern: '', endsType: 'after', endsAfter: 5 } as const;

  it('a series across DST with an override of the same meeting listed before its master: one meeting, in step', () => {
    const { m, e } = pair({ start: '2030-03-25T08:00:00.000Z', end: '2030-03-25T09:00:00.000Z', timeZone: 'Europe/Berlin', recurrence: weekly5 });
    const series = { ...e, dtstart: 'DTSTART;TZID=Europe/Berlin:20300325T090000', dtend: 'DTEND;TZID=Europe/Berlin:20300325T100000', rrule: 'FREQ=WEEKLY;COUNT=5' };
    const override = { ...e, dtstart: 'DTSTART;TZID=Europe/Berlin:20300402T140000', dtend: 'DTEND;TZID=Europe/Berlin:20300402T150000', recurrenceId: 'RECURRENCE-ID;TZID=Europe/Berlin:20300401T090000', summary: 'Moved once' };
    expect(kinds(run([override, series], [m]).findings)).toEqual(['in-step']);
  });

  it('overrides listed without their master are one meeting, not duplicates', () => {
    const { m, e } = pair({ recurrence: weekly5 });
    const o1 = { ...e, rrule: undefined, recurrenceId: 'RECURRENCE-ID:20300114T090000Z', dtstart: 'DTSTART:20300114T090000Z', dtend: 'DTEND:20300114T100000Z' };
    const o2 = { ...o1, recurrenceId: 'RECURRENCE-ID:20300121T090000Z', dtstart: 'DTSTART:20300121T090000Z', dtend: 'DTEND:20300121T100000Z' };
    const { findings } = run([o1, o2], [m]);
    expect(findings).toHaveLength(1);
  });

  it.each<[string, string | undefined, string[]]>([
    ['same rule (INTERVAL=1 left out)', 'FREQ=WEEKLY;COUNT=5', ['in-step']],
    ['another frequency', 'FREQ=DAILY;COUNT=5', ['time-drift']],
    ['another count', 'FREQ=WEEKLY;COUNT=6', ['time-drift']],
    ['not repeating at all', undefined, ['time-drift']],
  ])('recurrence: %s', (_name, rrule, expected) => {
    const { m, e } = pair({ recurrence: weekly5 });
    const { findings } = run([{ ...e, ...(rrule ? { rrule } : {}) }], [m]);
    expect(kinds(findings)).toEqual(expected);
    if (expected[0] === 'time-drift') expect(findings[0]?.fields).toEqual(['recurrence']);
  });

  it('an UNTIL within a day of endsOn is the same end', () => {
    const { m, e } = pair({ recurrence: { frequencyType: 'daily', frequency: 2, monthlyPattern: '', endsType: 'on', endsOn: '2030-02-01T00:00:00.000Z' } });
    expect(kinds(run([{ ...e, rrule: 'FREQ=DAILY;INTERVAL=2;UNTIL=20300201T090000Z' }], [m]).findings)).toEqual(['in-step']);
    expect(kinds(run([{ ...e, rrule: 'FREQ=DAILY;INTERVAL=2;UNTIL=20300210T090000Z' }], [m]).findings)).toEqual(['time-drift']);
  });

  it('a property the feed could not read is not compared (no guessed drift)', () => {
    const { m, e } = pair({ recurrence: weekly5 });
    const { findings } = run([{ ...e, rrule: 'FREQ=WEEKLY;COUNT=5;BYDAY=XX' }], [m]);
    expect(kinds(findings)).toEqual(['in-step']);
  });
});
