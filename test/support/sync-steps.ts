import fc from 'fast-check';
import type { Fault, FeedNames, Op, Organizers, PlatformFault, Reading, Rule, Slot, Tag } from './sync-model.js';

/**
 * The generators of the sync state machine (test/integration/sync-machine.test.ts): its worlds
 * and the steps taken in them (sync-model.ts says what each step means).
 */

const slot: fc.Arbitrary<Slot> = fc.record({
  // Within the 180-day sync window, so a full read sees the event as an incremental one does.
  day: fc.integer({ min: 1, max: 170 }),
  quarter: fc.integer({ min: 0, max: 95 }),
  quarters: fc.integer({ min: 1, max: 16 }),
});
const base = fc.constantFrom('Planning', 'Budget review', 'Standup', 'Design crit');
const tag: fc.Arbitrary<Tag> = fc.record({ text: fc.constantFrom('#webmeeting' as const, '#WebMeeting' as const), at: fc.constantFrom('prefix' as const, 'suffix' as const) });
const pick = fc.nat({ max: 7 });
const cal = fc.nat({ max: 2 });

const platformFault: fc.Arbitrary<PlatformFault> = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    status: fc.constantFrom(500 as const, 503 as const),
    count: fc.integer({ min: 1, max: 5 }),
    method: fc.constantFrom('POST' as const, 'PUT' as const, 'DELETE' as const),
  }),
  fc.constant({ kind: 'drop' as const, method: 'POST' as const }),
  fc.record({ kind: fc.constant('lose-answer' as const), method: fc.constantFrom('POST' as const, 'PUT' as const, 'DELETE' as const) }),
);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 3, arbitrary: platformFault },
  { weight: 1, arbitrary: fc.constant({ kind: 'credential' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('organizer-removed' as const), who: fc.nat({ max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'feed-lag' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('feed-broken' as const), pick: fc.oneof(fc.nat({ max: 7 }), fc.constant('all' as const)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('calendar' as const), method: fc.constantFrom('readChanges' as const, 'getEvent' as const, 'writeJoinDetails' as const) }) },
);

/** One organizer, two in the configured account, or Bob made by provisioning (finding 6). */
export const organizers = fc.constantFrom<Organizers>(1, 2, 'bob-provisioned');

/** Either naming of meetings in the organizers' feeds (assumption 8), and a feed that leaves the agenda out. */
export const feedNames = fc.constantFrom<FeedNames>('id', 'number', 'id-no-agenda');

/**
 * One calendar read at a time, as before issue 11, or several at once, with a team calendar of
 * Alice's sharing her organizer account, and reads that finish in another order than they started.
 */
export const reading: fc.Arbitrary<Reading> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Reading>({ concurrency: 1, team: false, turns: [0] }) },
  {
    weight: 3,
    arbitrary: fc.record({
      concurrency: fc.integer({ min: 2, max: 4 }),
      team: fc.boolean(),
      turns: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
    }),
  },
);

/** Every day or every week, ending after 4 to 10 meetings (more than the 3 occurrences edited) or on a date past every slot. */
const rule: fc.Arbitrary<Rule> = fc.record({
  freq: fc.constantFrom('DAILY' as const, 'WEEKLY' as const),
  end: fc.oneof(fc.record({ count: fc.integer({ min: 4, max: 10 }) }), fc.record({ untilDay: fc.integer({ min: 175, max: 200 }) })),
});

export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), cal, base, tag, slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invite' as const), cal, base, tag, slot }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), pick, slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('undo' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('all-day' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), pick, base, keepTag: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('untag' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retag' as const), pick, tag }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('untag-retag' as const), pick, tag }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('series' as const), cal, base, tag, slot, rule }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('occurrence' as const), pick, nth: fc.integer({ min: 1, max: 3 }), shift: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rule' as const), pick, rule }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cursor-expires' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rename-source' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'database-lost' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'backup' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restore-backup' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('cycle' as const), faults: fc.array(fault, { maxLength: 3 }) }) },
);
