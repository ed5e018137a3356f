import { describe, expect, it } from 'vitest';
import type { DesiredMeeting, SyncAction } from '../../src/domain/action.js';
import type { CalendarEvent } from '../../src/domain/event.js';
import type { Mapping, Organizer } from '../../src/domain/mapping.js';
import type { Recurrence } from '../../src/domain/meeting.js';
import { changesBetween, plan, unknownOrganizers, type PlanInput } from '../../src/sync/plan.js';
import { withJoinBlock } from '../../src/domain/join-block.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const RULES = { keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] };
const MEETING_ID = 'a'.repeat(24);
const ALICE: Organizer = {
  email: 'alice@example.com', accountId: 'acct-1', userId: 'u-alice', firstName: 'Alice', lastName: 'A', hasFeed: true, refreshedAt: '2026-05-01T00:00:00Z',
};
const ORGANIZERS = new Map([[ALICE.email, ALICE]]);

/** A tagged, future, one-hour organizer copy on alice's calendar (Tuesday 1 Dec 2026, 10:00 Berlin). */
function ev(over: Partial<CalendarEvent> = {}): CalendarEvent {
  return {
    source: 'corp', calendarId: 'alice@example.com', eventId: 'e1', organizerEmail: 'alice@example.com', isOrganizerCopy: true,
    status: 'confirmed', kind: 'single', title: 'Planning #webmeeting', description: '', location: '', categories: [],
    start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', timeZone: 'Europe/Berlin', allDay: false, ...over,
  };
}
const WEEKLY10 = ['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10'];
const series = (over: Partial<CalendarEvent> = {}) => ev({ eventId: 's1', kind: 'series', recurrence: WEEKLY10, ...over });
const occ = (over: Partial<CalendarEvent> = {}) =>
  ev({ eventId: 's1_20261208', kind: 'occurrence', seriesId: 's1', originalStart: '2026-12-08T09:00:00Z', start: '2026-12-08T11:00:00Z', end: '2026-12-08T12:00:00Z', ...over });

const weekly = (count: number): Recurrence => ({ frequencyType: 'weekly', frequency: 1, monthlyPattern: '', endsType: 'after', endsAfter: count });

/** The mapping meetsync holds after creating the meeting of `ev()`. */
function map(over: Partial<Mapping> = {}): Mapping {
  return {
    source: 'corp', calendarId: 'alice@example.com', eventId: 'e1', organizerEmail: 'alice@example.com', userId: 'u-alice',
    marker: 'meetsync:m1', meetingId: MEETING_ID, meetingNumber: '1234-5678-9012-3456', state: 'active', topic: 'Planning',
    start: '2026-12-01T09:00:00.000Z', end: '2026-12-01T10:00:00.000Z', timeZone: 'Europe/Berlin', recurrence: null,
    writeBack: 'done', createdAt: '2026-05-01T00:00:00Z', updatedAt: '2026-05-01T00:00:00Z', ...over,
  };
}
const seriesMap = (over: Partial<Mapping> = {}) => map({ eventId: 's1', recurrence: weekly(10), ...over });

function run(events: CalendarEvent[], mappings: Mapping[] = [], over: Partial<PlanInput> = {}): SyncAction[] {
  return plan({
    events, mappings, organizers: ORGANIZERS, rules: RULES, now: NOW, onEventCancelled: 'delete',
    accountIds: ['acct-1', 'acct-2'], provisioning: false, ...over,
  });
}

/** The fields a case asserts on, flattened from whichever action kind it is. */
function view(a: SyncAction): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: a.kind, id: a.event.eventId };
  if ('reason' in a) out.reason = a.reason;
  if ('changes' in a) out.changes = a.changes;
  if ('mode' in a) out.mode = a.mode;
  if ('desired' in a) Object.assign(out, { topic: a.desired.topic, recurrence: a.desired.recurrence, start: a.desired.start });
  if ('organizer' in a) out.organizer = a.organizer.email;
  if ('stamp' in a) out.stamp = a.stamp.meetingId;
  if (a.kind === 'exception') out.series = a.seriesId;
  if ('mapping' in a) out.mapping = a.mapping.eventId;
  return out;
}

const re = (pattern: RegExp) => expect.stringMatching(pattern);
type Case = [name: string, events: CalendarEvent[], mappings: Mapping[], expected: Record<string, unknown>[], over?: Partial<PlanInput>];

const cases: Case[] = [
  // create
  ['tag in the title: create, keyword removed from the topic', [ev()], [],
    [{ kind: 'create', id: 'e1', topic: 'Planning', recurrence: null, organizer: 'alice@example.com', start: '2026-12-01T09:00:00.000Z' }]],
  ['tag in the description, any case', [ev({ title: 'Planning', description: 'agenda\n#WebMeeting' })], [], [{ kind: 'create', topic: 'Planning' }]],
  ['tag in the location', [ev({ title: 'Planning', location: '#WEBMEETING' })], [], [{ kind: 'create', topic: 'Planning' }]],
  ['Outlook category, any case', [ev({ title: 'Planning', categories: ['web meeting'] })], [], [{ kind: 'create', topic: 'Planning' }]],
  ['organizer email looked up lower-cased', [ev({ organizerEmail: 'Alice@Example.COM' })], [], [{ kind: 'create', organizer: 'alice@example.com' }]],
  ['tentative event is created like a confirmed one', [ev({ status: 'tentative' })], [], [{ kind: 'create' }]],
  ['weekly series with COUNT: one create with a recurrence', [series()], [],
    [{ kind: 'create', id: 's1', topic: 'Planning', recurrence: weekly(10) }]],
  ['mapping of the same event id on another calendar does not count', [ev()], [map({ calendarId: 'bob@example.com' })], [{ kind: 'create' }]],
  // update / unchanged
  ['start moved earlier', [ev({ start: '2026-12-01T08:30:00Z' })], [map()], [{ kind: 'update', mapping: 'e1', changes: ['start'] }]],
  ['moved by an hour', [ev({ start: '2026-12-01T10:00:00Z', end: '2026-12-01T11:00:00Z' })], [map()],
    [{ kind: 'update', changes: ['start', 'end'], start: '2026-12-01T10:00:00.000Z' }]],
  ['title edited', [ev({ title: 'Planning v2 #webmeeting' })], [map()], [{ kind: 'update', changes: ['topic'], topic: 'Planning v2' }]],
  ['series rule edited', [series({ recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12'] })], [seriesMap()],
    [{ kind: 'update', changes: ['recurrence'], recurrence: weekly(12) }]],
  ['nothing changed', [ev()], [map()], [{ kind: 'unchanged', mapping: 'e1' }]],
  ['series unchanged', [series()], [seriesMap()], [{ kind: 'unchanged', id: 's1' }]],
  ['only our write-back changed (description, location, stamp, etag)', [ev({
    description: withJoinBlock('agenda', { meetingId: MEETING_ID, meetingNumber: '1234-5678-9012-3456', joinUrl: 'https://m.example.com/j/1' }),
    location: 'https://m.example.com/j/1', stamp: { meetingId: MEETING_ID, meetingNumber: '1234-5678-9012-3456' }, etag: '"2"', updated: '2026-05-02T00:00:00Z',
  })], [map()], [{ kind: 'unchanged' }]],
  ['stored instant without milliseconds is the same time', [ev()], [map({ start: '2026-12-01T09:00:00Z', end: '2026-12-01T11:00:00+01:00' })], [{ kind: 'unchanged' }]],
  // cancel
  ['cancelled event with a mapping', [ev({ status: 'cancelled' })], [map()], [{ kind: 'cancel', mode: 'delete', reason: re(/cancelled or deleted/) }]],
  ['bare cancellation without times', [ev({ status: 'cancelled', start: undefined, end: undefined, title: '' })], [map()], [{ kind: 'cancel', mode: 'delete' }]],
  ['cancelled event, onEventCancelled keep', [ev({ status: 'cancelled' })], [map()], [{ kind: 'cancel', mode: 'keep' }], { onEventCancelled: 'keep' }],
  ['tag removed', [ev({ title: 'Planning' })], [map()], [{ kind: 'cancel', mode: 'delete', reason: re(/no longer tagged/) }]],
  ['tag removed, onEventCancelled keep', [ev({ title: 'Planning' })], [map()], [{ kind: 'cancel', mode: 'keep', reason: re(/no longer tagged/) }], { onEventCancelled: 'keep' }],
  // adopt
  ['our stamp but no mapping: adopt, never create', [ev({ stamp: { meetingId: MEETING_ID } })], [],
    [{ kind: 'adopt', stamp: MEETING_ID, organizer: 'alice@example.com', topic: 'Planning' }]],
  // skip
  ['all-day event', [ev({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' })], [], [{ kind: 'skip', reason: re(/all-day/) }]],
  ['already over', [ev({ start: '2026-05-01T09:00:00Z', end: '2026-05-01T10:00:00Z' })], [], [{ kind: 'skip', reason: re(/already over/) }]],
  ['series whose last occurrence has passed', [series({ start: '2026-01-06T09:00:00Z', end: '2026-01-06T10:00:00Z', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3'] })], [],
    [{ kind: 'skip', reason: re(/already over/) }]],
  ['ends before it starts', [ev({ end: '2026-12-01T08:00:00Z' })], [], [{ kind: 'skip', reason: re(/ends before it starts/) }]],
  ["attendee's copy", [ev({ isOrganizerCopy: false })], [], [{ kind: 'skip', reason: re(/attendee's copy/) }]],
  ['organizer without a platform user: names the organizer and the accounts', [ev({ organizerEmail: 'bob@example.com' })], [],
    [{ kind: 'skip', reason: re(/organizer bob@example\.com has no platform user in accounts acct-1, acct-2: .*meetsync accounts create/) }]],
  ['organizer unknown and no accounts configured', [ev({ organizerEmail: 'bob@example.com' })], [],
    [{ kind: 'skip', reason: re(/webMeeting\.accountIds is empty/) }], { accountIds: [] }],
  // Found by the state machine (seed 2): with provisioning on, the note told IT to enable it.
  ['organizer unknown while provisioning is on: it creates one, no advice to enable it', [ev({ organizerEmail: 'bob@example.com' })], [],
    [{ kind: 'skip', reason: re(/^(?!.*enable webMeeting\.provisioning).*provisioning creates one/) }], { provisioning: true }],
  ['organizer whose provisioning was answered "account already exists": add that account\'s id', [ev({ organizerEmail: 'bob@example.com' })], [],
    [{ kind: 'skip', reason: re(/account already exists.*2026-12-01T08:00:00\.000Z.*Add that account's id to webMeeting\.accountIds/) }],
    { provisioning: true, accountExists: (email: string) => (email === 'bob@example.com' ? '2026-12-01T08:00:00.000Z' : undefined) }],
  ['re-tagged after its meeting was cancelled: a new meeting, not the deleted one', [ev({ stamp: { meetingId: MEETING_ID } })], [map({ state: 'cancelled' })],
    [{ kind: 'create', id: 'e1' }]],
  ['re-tagged after its meeting was kept: a new meeting', [ev({ stamp: { meetingId: MEETING_ID } })], [map({ state: 'kept' })], [{ kind: 'create' }]],
  ['unknown organizer is never adopted', [ev({ organizerEmail: 'bob@example.com', stamp: { meetingId: MEETING_ID } })], [], [{ kind: 'skip', reason: re(/bob@example\.com/) }]],
  ['recurrence the platform cannot express', [series({ recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE'] })], [],
    [{ kind: 'skip', id: 's1', reason: re(/recurrence the platform cannot express: .*MO, WE/) }]],
  ['tagged occurrence of an untagged, unmapped series', [occ()], [], [{ kind: 'skip', reason: re(/only one occurrence/) }]],
  ['moved occurrence read together with its tagged series: the series is created, the occurrence noted', [series(), occ()], [],
    [{ kind: 'create', id: 's1' }, { kind: 'exception', id: 's1_20261208', series: 's1' }]],
  ['occurrence read with its mapped series untagged: no note (the cancellation clears its occurrences\')', [series({ title: 'Planning' }), occ({ title: 'Planning' })], [seriesMap()],
    [{ kind: 'cancel', id: 's1' }]],
  ['cancelled occurrence read with its mapped series deleted: no note', [series({ status: 'cancelled' }), occ({ status: 'cancelled' })], [seriesMap()],
    [{ kind: 'cancel', id: 's1' }]],
  ['tagged occurrence read with its untagged series', [series({ title: 'Planning' }), occ()], [], [{ kind: 'skip', reason: re(/only one occurrence/) }]],
  // occurrences
  ['moved occurrence of a mapped series: exception only', [occ()], [seriesMap()],
    [{ kind: 'exception', id: 's1_20261208', series: 's1', reason: re(/2026-12-08T09:00:00Z was moved or edited/) }]],
  ['cancelled occurrence of a mapped series: exception only', [occ({ status: 'cancelled' })], [seriesMap()],
    [{ kind: 'exception', series: 's1', reason: re(/was cancelled in the calendar/) }]],
  ['untagged moved occurrence of a mapped series is still an exception', [occ({ title: 'Planning' })], [seriesMap()], [{ kind: 'exception' }]],
  ['occurrence of a series whose mapping was cancelled', [occ({ title: 'Planning' })], [seriesMap({ state: 'cancelled' })], []],
  ['cancelled occurrence of an unmapped series', [occ({ status: 'cancelled' })], [], []],
  ['untagged moved occurrence of an unmapped series', [occ({ title: 'Planning' })], [], []],
  // pending and non-live mappings
  ['unconfirmed creation: pending, never a second create', [ev()], [map({ state: 'creating', meetingId: undefined })], [{ kind: 'pending', mapping: 'e1' }]],
  ['unconfirmed creation of a cancelled event stays pending', [ev({ status: 'cancelled' })], [map({ state: 'creating' })], [{ kind: 'pending' }]],
  ['re-tagged after a cancelled mapping: created anew', [ev()], [map({ state: 'cancelled' })], [{ kind: 'create', topic: 'Planning' }]],
  ['re-tagged after a kept mapping: created anew', [ev()], [map({ state: 'kept' })], [{ kind: 'create' }]],
  ['cancelled event whose mapping is already cancelled', [ev({ status: 'cancelled' })], [map({ state: 'cancelled' })], []],
  ['untagged event whose mapping is kept', [ev({ title: 'Planning' })], [map({ state: 'kept' })], []],
  // no action
  ['untagged event without a mapping', [ev({ title: 'Planning' })], [], []],
  ['cancelled event without a mapping', [ev({ status: 'cancelled' })], [], []],
  ["attendee's copy that has a mapping: no skip, no update", [ev({ isOrganizerCopy: false })], [map()], []],
  ['absence from the input is never a cancel', [ev()], [map(), map({ eventId: 'e2', marker: 'meetsync:m2' })], [{ kind: 'unchanged', id: 'e1' }]],
  ['several events: one action each, in input order', [ev({ eventId: 'e3', title: 'Other' }), ev({ eventId: 'e2' }), ev({ status: 'cancelled' })],
    [map()], [{ kind: 'create', id: 'e2' }, { kind: 'cancel', id: 'e1' }]],
];

describe('plan', () => {
  it.each(cases)('%s', (_name, events, mappings, expected, over) => {
    const actions = run(events, mappings, over);
    expect(actions.map((a) => a.kind)).toEqual(expected.map((e) => e['kind']));
    expect(actions.map(view)).toMatchObject(expected);
  });
});

describe('unknownOrganizers', () => {
  it('lists only organizers of events that want a meeting (tagged, live, not all-day nor over, organizer copies of singles and series), lower-cased and once each', () => {
    const events = [
      ev(), // known
      ev({ eventId: 'b1', organizerEmail: 'Bob@Example.com' }),
      series({ eventId: 'b2', organizerEmail: 'bob@example.com' }),
      ev({ eventId: 'c1', organizerEmail: 'carol@example.com', status: 'cancelled' }),
      ev({ eventId: 'd1', organizerEmail: 'dave@example.com', isOrganizerCopy: false }),
      occ({ organizerEmail: 'erin@example.com' }),
      ev({ eventId: 'f1', organizerEmail: 'frank@example.com', title: 'Untagged' }),
      ev({ eventId: 'g1', organizerEmail: undefined }),
      ev({ eventId: 'h1', organizerEmail: 'heidi@example.com', title: 'Review', categories: ['Web Meeting'] }),
      ev({ eventId: 'i1', organizerEmail: 'ivan@example.com', allDay: true }),
      ev({ eventId: 'j1', organizerEmail: 'judy@example.com', start: '2026-05-01T09:00:00.000Z', end: '2026-05-01T10:00:00.000Z' }),
    ];
    expect(unknownOrganizers(events, ORGANIZERS, RULES, NOW)).toEqual(['bob@example.com', 'heidi@example.com']);
    expect(unknownOrganizers([ev()], ORGANIZERS, RULES, NOW)).toEqual([]);
  });
});

describe('changesBetween', () => {
  const desired: DesiredMeeting = { topic: 'Planning', start: '2026-12-01T09:00:00.000Z', end: '2026-12-01T10:00:00.000Z', timeZone: 'Europe/Berlin', recurrence: null };
  it.each<[string, Partial<Mapping>, Partial<DesiredMeeting>, string[]]>([
    ['same instants written differently', { start: '2026-12-01T09:00:00Z', end: '2026-12-01T11:00:00+01:00' }, {}, []],
    ['topic', {}, { topic: 'Planning v2' }, ['topic']],
    ['start one millisecond later', {}, { start: '2026-12-01T09:00:00.001Z' }, ['start']],
    ['end', {}, { end: '2026-12-01T10:30:00Z' }, ['end']],
    ['recurrence added', {}, { recurrence: weekly(10) }, ['recurrence']],
    ['recurrence count', { recurrence: weekly(10) }, { recurrence: weekly(12) }, ['recurrence']],
    ['same recurrence', { recurrence: weekly(10) }, { recurrence: weekly(10) }, []],
    ['series moved to another zone at the same instant', { recurrence: weekly(10) }, { recurrence: weekly(10), timeZone: 'America/New_York' }, ['timeZone']],
    ['single event in another zone at the same instant', {}, { timeZone: 'America/New_York' }, []],
    ['everything', { topic: 'Old' }, { start: '2026-12-02T09:00:00Z', end: '2026-12-02T10:00:00Z', recurrence: weekly(3) }, ['topic', 'start', 'end', 'recurrence']],
  ])('%s', (_name, mapping, want, changes) => {
    expect(changesBetween(map(mapping), { ...desired, ...want })).toEqual(changes);
  });
});

describe('plan: one event the planner cannot handle stays that event\'s problem (issue 15, finding 8)', () => {
  it('skips, with the reason, a series whose COUNT ends past any date, and plans the others', () => {
    const actions = run([series({ recurrence: ['RRULE:FREQ=DAILY;COUNT=2147483648'] }), ev({ eventId: 'e2' })]);
    expect(actions.map(view)).toEqual([
      expect.objectContaining({ kind: 'skip', id: 's1', reason: expect.stringMatching(/repeats 2147483648 times.*give it an end date or fewer repetitions/) }),
      expect.objectContaining({ kind: 'create', id: 'e2' }),
    ]);
  });

  it('skips, with what went wrong, an event whose planning throws (a start no date can hold), and plans the others', () => {
    // Date.parse gives NaN for both, so no earlier check stops it: toISOString throws RangeError.
    const actions = run([ev({ start: '+999999-01-01T00:00:00Z', end: '+999999-01-01T01:00:00Z' }), ev({ eventId: 'e2' })]);
    expect(actions.map(view)).toEqual([
      expect.objectContaining({ kind: 'skip', id: 'e1', reason: expect.stringMatching(/could not work out this event's meeting \(Invalid time value\): check its start, end and repeat rule/) }),
      expect.objectContaining({ kind: 'create', id: 'e2' }),
    ]);
  });
});

describe('plan: a meeting kept for its organizer (onEventCancelled: keep) is never taken back', () => {
  const stamped = (over: Partial<CalendarEvent> = {}) => ev({ stamp: { meetingId: MEETING_ID, userId: 'u-alice' }, ...over });
  const kept = (id: string) => id === MEETING_ID;

  it('gives an event whose stamp names a kept meeting a new meeting, with or without its mapping', () => {
    expect(run([stamped()], [], { isKept: kept }).map(view)).toEqual([expect.objectContaining({ kind: 'create', id: 'e1' })]);
  });

  it('remembers the meeting of an untagged, stamped organizer copy no record knows as kept, in keep mode only', () => {
    const untagged = stamped({ title: 'Planning' });
    expect(run([untagged], [], { onEventCancelled: 'keep' }).map(view)).toEqual([expect.objectContaining({ kind: 'remember-kept', id: 'e1', stamp: MEETING_ID, topic: 'Planning' })]);
    expect(run([untagged], [], { onEventCancelled: 'delete' })).toEqual([]);
    expect(run([untagged], [map({ state: 'kept' })], { onEventCancelled: 'keep' })).toEqual([]);
    expect(run([untagged], [], { onEventCancelled: 'keep', isKept: kept })).toEqual([]);
    // A stamp copied with its event names another event's meeting: it proves nothing about this one.
    expect(run([untagged], [], { onEventCancelled: 'keep', meetingHolders: () => [{ source: 'corp', calendarId: 'alice@example.com', eventId: 'other' }] })).toEqual([]);
    expect(run([stamped({ title: 'Planning', isOrganizerCopy: false })], [], { onEventCancelled: 'keep' })).toEqual([]);
    expect(run([stamped({ title: 'Planning', status: 'cancelled' })], [], { onEventCancelled: 'keep' })).toEqual([]);
  });
});
