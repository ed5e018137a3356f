import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testSeeds } from '../support/seed.js';
import { SyncWorld, type Fault, type FeedNames, type Op, type Organizers, type PlatformFault, type Reading, type Slot, type Tag } from '../support/sync-world.js';

/**
 * A property-based state machine over the real sync algorithm, after vdirsyncer's `SyncMachine`
 * (tests/system/utils/test_main.py): random user edits on one or two organizers' calendars,
 * random faults on the platform (5xx, dropped requests, lost answers) and on the calendar (failed
 * reads and write-backs, expired cursors), crashes between cycles, a lost database (with an
 * organizer made by provisioning in some worlds). Once the faults stop, a few
 * cycles must bring everything in step, and then nothing more may happen. The invariants are in
 * test/support/sync-world.ts (checkInvariants).
 */

/**
 * Two seeds that found bugs (the fixed examples below are what they found), and a random one;
 * SYNC_MACHINE_SEED=n replays one. Runs per seed: about 15 ms a run on a 2-core machine (each run
 * has its own simulator over HTTP), 1,000 runs over a default run's three seeds. The count does not
 * depend on how many seeds run, so a replayed seed makes the runs it made in CI.
 */
const SEEDS = testSeeds('sync machine', import.meta.url, { fixed: [-297181533, -78734204] });
const RUNS_PER_SEED = 334;

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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('calendar' as const), method: fc.constantFrom('readChanges' as const, 'getEvent' as const, 'writeJoinDetails' as const) }) },
);

/** One organizer, two in the configured account, or Bob made by provisioning (finding 6). */
const organizers = fc.constantFrom<Organizers>(1, 2, 'bob-provisioned');

/** Either naming of meetings in the organizers' feeds (assumption 8), and a feed that leaves the agenda out. */
const feedNames = fc.constantFrom<FeedNames>('id', 'number', 'id-no-agenda');

/**
 * One calendar read at a time, as before issue 11, or several at once, with a team calendar of
 * Alice's sharing her organizer account, and reads that finish in another order than they started.
 */
const reading: fc.Arbitrary<Reading> = fc.oneof(
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

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), cal, base, tag, slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invite' as const), cal, base, tag, slot }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), pick, slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('undo' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('all-day' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), pick, base, keepTag: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('untag' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retag' as const), pick, tag }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cursor-expires' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rename-source' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'database-lost' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('cycle' as const), faults: fc.array(fault, { maxLength: 3 }) }) },
);

/**
 * Found by this property (seed -297181533), kept as a fixed example: a deleted event's meeting
 * was left live forever. Fixed by re-driving every transiently failed action from its event note
 * each cycle (engine recheckNotes), whatever the cursor.
 * The first POST is dropped, so the mapping stays 'creating'; the event is deleted; the next
 * cycle cannot POST either, and its read (a full read: no cursor yet, so the tombstone is not in
 * it) advances the cursor past the deletion. When the creation finally succeeds, engine catchUp
 * sees the tombstone and tries to DELETE the meeting; that DELETE fails (503 on every attempt),
 * and catchUp dropped the failure: no cursor was held back, the write-back to the cancelled event
 * failed every cycle and triggered no re-read, so the meeting stayed live with an 'active' mapping.
 */
const ORPHAN_AFTER_LATE_CREATION: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'drop', method: 'POST' }] },
  { kind: 'delete', pick: 0 },
  { kind: 'cycle', faults: [{ kind: 'drop', method: 'POST' }] },
  { kind: 'cycle', faults: [{ kind: 'status', status: 503, count: 3, method: 'DELETE' }] },
];

/**
 * Issue 7, point 6, kept as a fixed example: the answer to POST /meeting is lost, and the feed
 * names meetings by number only. Before the fix the next cycle found the marker but no id and
 * posted a second meeting.
 */
const DUPLICATE_AFTER_LOST_ANSWER: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'lose-answer', method: 'POST' }] },
  { kind: 'cycle', faults: [{ kind: 'feed-lag' }] },
];

/**
 * Issue 7, point 1, kept as a fixed example: the API key is refused for a cycle in which an event
 * is added, one moved and one deleted. Before the fix the refusals were final and the calendar's
 * cursor moved past them: the changes were lost for good.
 */
const LOST_IN_KEY_ROTATION: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'create', cal: 0, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'cycle', faults: [] },
  { kind: 'move', pick: 0, slot: { day: 3, quarter: 8, quarters: 4 } },
  { kind: 'delete', pick: 1 },
  { kind: 'create', cal: 0, base: 'Standup', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 4, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'credential' }] },
];

/**
 * Found by this property (seed -78734204), kept as a fixed example: the DELETE of an untagged
 * event's meeting takes effect but its answer is lost, and the retries fail; the event is tagged
 * again. The mapping still said 'active', the plan saw nothing to change, and the event was left
 * pointing at a deleted meeting. Fixed by recording a DELETE before it is sent (deletingSince): an
 * event wanted again checks its meeting with a PUT, and a 404 creates it again.
 */
const DELETED_BEHIND_A_LOST_ANSWER: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [] },
  { kind: 'rename', pick: 0, base: 'Planning', keepTag: false },
  { kind: 'cycle', faults: [{ kind: 'lose-answer', method: 'DELETE' }, { kind: 'status', status: 500, count: 2, method: 'DELETE' }] },
  { kind: 'retag', pick: 0, tag: { text: '#webmeeting', at: 'prefix' } },
];

/**
 * Issue 15, finding 3, kept as a fixed example: the answer to a PUT is lost (and its retries
 * fail), then the organizer undoes the move. The mapping was updated only after a confirmed PUT,
 * so the plan saw the event equal to it and sent nothing: the meeting stayed at the moved time.
 * Fixed by recording the PUT before it is sent (updatingSince), as POST and DELETE are.
 */
const MOVE_UNDONE_AFTER_A_LOST_ANSWER: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [] },
  { kind: 'move', pick: 0, slot: { day: 3, quarter: 8, quarters: 4 } },
  { kind: 'cycle', faults: [{ kind: 'lose-answer', method: 'PUT' }, { kind: 'status', status: 503, count: 5, method: 'PUT' }] },
  { kind: 'undo', pick: 0 },
];

/**
 * Issue 15, finding 5, kept as a fixed example: an event with a meeting becomes all-day. Before
 * the fix the meeting stayed at the old times while status said the event had none.
 */
const ALL_DAY_FLIP: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [] },
  { kind: 'all-day', pick: 0 },
];

/**
 * Found by this property once all-day flips were modelled (seed -297181533), kept as a fixed
 * example: a tagged all-day event (noted: no meeting, and why) is deleted while the calendar's
 * cursor has expired. The full read that follows does not list deleted events, so its note
 * stayed in \`status\` for good. Fixed: a full read drops the 'skipped' notes of events it did
 * not list (sync/absent.ts unlistedSkips).
 */
const STALE_NOTE_AFTER_A_FULL_READ: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'all-day', pick: 0 },
  { kind: 'cycle', faults: [] },
  { kind: 'cursor-expires' },
  { kind: 'delete', pick: 0 },
];

/**
 * Issue 15, finding 1, kept as a fixed example: IT removes Alice's platform user for a cycle in
 * which she moves her event and Bob tags a new one. Before the fix the PUT's 403 / -3 halted the
 * cycle for every calendar (and blamed the API key); now only Alice's change waits, and it is
 * applied once her user is restored.
 */
const ORGANIZER_REMOVED_FOR_A_CYCLE: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [] },
  { kind: 'move', pick: 0, slot: { day: 3, quarter: 8, quarters: 4 } },
  { kind: 'create', cal: 1, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'cycle', faults: [{ kind: 'organizer-removed', who: 0 }] },
];

/**
 * Found by this property once organizer removal was modelled (seed 4242), kept as a fixed
 * example: Alice's new event is held while her user is removed (a 'failed' note with retry); the
 * next cycle re-checks it, records the creation's intent, which cleared the note, and the POST
 * meets a refused API key: the intent goes (no meeting exists) and so had the note, so nothing
 * brought the event back. The change was lost for good. Fixed: the note stays until the meeting
 * is confirmed.
 */
const KEY_REFUSED_AFTER_AN_ORGANIZER_WAS_HELD: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'organizer-removed', who: 0 }] },
  { kind: 'cycle', faults: [{ kind: 'credential' }] },
];

const SERIAL: Reading = { concurrency: 1, team: false, turns: [0] };

/**
 * Issue 11, kept as a fixed example: three calendars read at once (Alice's, Bob's, and Alice's
 * team calendar sharing her organizer account), each with a new event, when the platform refuses
 * the API key. No cursor may move past a change, and every event gets its meeting once the key
 * works again.
 */
const KEY_REFUSED_WHILE_READING: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'create', cal: 1, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'create', cal: 2, base: 'Standup', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 3, quarter: 8, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'credential' }] },
  { kind: 'move', pick: 2, slot: { day: 4, quarter: 0, quarters: 2 } },
  { kind: 'cycle', faults: [{ kind: 'status', status: 503, count: 2, method: 'POST' }] },
];

/**
 * Found by the fault campaign (FAULT_SEED=1070131348), kept as a fixed example: a late creation
 * whose catch-up cannot read the event. The POST is dropped (the mapping stays 'creating'), the
 * event is deleted and that deletion read while the creation is still unconfirmed (the cursor
 * moves past it); the creation then succeeds, but the write-back and catch-up's read of the event
 * both fail. catchUp logged its failure and dropped it, and the write-back found the event
 * cancelled every cycle after: the meeting stayed live for good. Fixed by keeping the event on the
 * re-check list (a 'failed' note with retry) when the catch-up fails or the write-back finds the
 * event cancelled or gone.
 */
const ORPHAN_AFTER_FAILED_CATCH_UP: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'drop', method: 'POST' }] },
  { kind: 'delete', pick: 0 },
  { kind: 'cycle', faults: [{ kind: 'drop', method: 'POST' }] },
  { kind: 'cycle', faults: [{ kind: 'calendar', method: 'writeJoinDetails' }, { kind: 'calendar', method: 'getEvent' }] },
];

/**
 * Issue 15, finding 2, as a fixed example: the source is renamed between cycles, once with a
 * creation unconfirmed (its POST answer lost) and a move waiting, then renamed back. Before the
 * calendars kept their identity, every event got a second meeting at each rename.
 */
const SOURCE_RENAMED: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'create', cal: 1, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'cycle', faults: [] },
  { kind: 'create', cal: 0, base: 'Standup', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 3, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'lose-answer', method: 'POST' }] },
  { kind: 'rename-source' },
  { kind: 'move', pick: 0, slot: { day: 4, quarter: 8, quarters: 4 } },
  { kind: 'cycle', faults: [] },
  { kind: 'rename-source' },
  { kind: 'cursor-expires' },
  { kind: 'cycle', faults: [] },
];

/**
 * Issue 15, kept as a fixed example: the database is lost and meetsync starts on an empty one;
 * the organizers then move one event and delete another. Their meetings are adopted from the
 * events' stamps, and the move and the deletion reach the platform: no second meeting, no orphan.
 * With Bob made by provisioning (finding 6), only his stamps know his account: before the fix his
 * meetings were never adopted and POST /account was refused every cycle.
 */
const DATABASE_LOST: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'create', cal: 1, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'cycle', faults: [] },
  { kind: 'database-lost' },
  { kind: 'move', pick: 0, slot: { day: 3, quarter: 8, quarters: 4 } },
  { kind: 'delete', pick: 1 },
];

/**
 * Issue 15, finding 4, kept as a fixed example: the feed does not repeat the agenda, so
 * meetsync's reference never shows there, and the answer to POST /meeting is lost. Before the fix
 * the marker's absence was taken as proof once the feed's grace was over: a second meeting ten
 * minutes later. Now the creation is held (the feed shows an unmapped meeting with its topic and
 * times; and it was never seen to carry references) with exactly one meeting.
 */
const LOST_ANSWER_IN_A_FEED_WITHOUT_AGENDA: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [] },
  { kind: 'create', cal: 0, base: 'Budget review', tag: { text: '#webmeeting', at: 'suffix' }, slot: { day: 2, quarter: 4, quarters: 2 } },
  { kind: 'cycle', faults: [{ kind: 'lose-answer', method: 'POST' }] },
  { kind: 'cycle', faults: [] },
];

/**
 * A join link that failed to be written, its event deleted, and the organizer removed for the next
 * cycle: the deletion waits for her, and its note is tried again on the retry schedule until the
 * meeting is deleted (a retry waiting for its time is not a settled world).
 */
const DELETED_BEFORE_ITS_LINK_WHILE_THE_ORGANIZER_IS_REMOVED: Op[] = [
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
  { kind: 'cycle', faults: [{ kind: 'calendar', method: 'writeJoinDetails' }] },
  { kind: 'delete', pick: 0 },
  { kind: 'cycle', faults: [{ kind: 'organizer-removed', who: 0 }] },
  { kind: 'create', cal: 0, base: 'Planning', tag: { text: '#webmeeting', at: 'prefix' }, slot: { day: 1, quarter: 0, quarters: 1 } },
];

describe('sync state machine', () => {
  it.for(SEEDS.list)('converges on one in-step meeting per tagged organizer event, whatever fails on the way (seed %i)', { timeout: 120_000 }, async (seed) => {
    await fc.assert(
      fc.asyncProperty(organizers, feedNames, fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), reading, async (organizers, names, ops, read) => {
        const world = await SyncWorld.start(organizers, names, read);
        try {
          for (const o of ops) await world.apply(o);
          const settled = await world.settle();
          world.checkInvariants();
          expect(settled, 'a cycle without platform writes or write-backs once faults stop').toBe(true);
          // 5. meetsync's own write-back never loops: one more cycle asks the platform nothing at all.
          const extra = await world.cycle();
          expect(extra, 'the cycle after a quiet one').toEqual({ platformWrites: 0, platformCalls: 0, writeBacks: 0 });
        } finally {
          await world.close();
        }
      }),
      {
        numRuns: RUNS_PER_SEED,
        seed,
        examples: [
          [1, 'id', DELETED_BEFORE_ITS_LINK_WHILE_THE_ORGANIZER_IS_REMOVED, { concurrency: 1, team: false, turns: [0] }],
          [1, 'id', ORPHAN_AFTER_LATE_CREATION, SERIAL],
          [1, 'id', ORPHAN_AFTER_FAILED_CATCH_UP, SERIAL],
          [1, 'number', DUPLICATE_AFTER_LOST_ANSWER, SERIAL],
          [1, 'id-no-agenda', LOST_ANSWER_IN_A_FEED_WITHOUT_AGENDA, SERIAL],
          [1, 'id', LOST_IN_KEY_ROTATION, SERIAL],
          [1, 'id', DELETED_BEHIND_A_LOST_ANSWER, SERIAL],
          [1, 'id', MOVE_UNDONE_AFTER_A_LOST_ANSWER, SERIAL],
          [1, 'id', ALL_DAY_FLIP, SERIAL],
          [2, 'id', ORGANIZER_REMOVED_FOR_A_CYCLE, SERIAL],
          [1, 'id', KEY_REFUSED_AFTER_AN_ORGANIZER_WAS_HELD, SERIAL],
          [1, 'id', STALE_NOTE_AFTER_A_FULL_READ, { concurrency: 2, team: false, turns: [0] }],
          [2, 'id', KEY_REFUSED_WHILE_READING, { concurrency: 3, team: true, turns: [2, 0, 1] }],
          [2, 'id', SOURCE_RENAMED, { concurrency: 2, team: true, turns: [1, 0] }],
          [2, 'id', DATABASE_LOST, SERIAL],
          ['bob-provisioned', 'id', DATABASE_LOST, SERIAL],
        ],
      },
    );
  });
});
