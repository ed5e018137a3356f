import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import type { CalendarSource, SyncWindow } from '../../src/calendars/source.js';
import type { CalendarEvent, JoinDetails } from '../../src/domain/event.js';
import { CalendarError } from '../../src/domain/errors.js';

/**
 * The ONE contract every CalendarSource passes (vdirsyncer's StorageTests, STYLE.md): the sync
 * engine relies on exactly these behaviours, whichever provider sits behind the port. Each
 * implementation supplies a Harness that plays the user on the provider's side (creating,
 * editing, deleting events) and lets the tests look at the provider's own copy of an event.
 */

export interface ContractEventInput {
  title: string;
  description?: string;
  location?: string;
  /** UTC ISO instants. */
  start: string;
  end: string;
  timeZone?: string;
  /** Calendar ids (emails) invited; a harness with an attendee calendar puts a copy there. */
  attendees?: string[];
  recurrence?: string[];
}

export interface Harness {
  source: CalendarSource;
  /** A calendar of `source` owned by the user the harness acts as (the organizer). */
  calendarId: string;
  /** Another calendar of `source` where invitations from `calendarId` arrive as attendee copies. */
  attendeeCalendarId?: string;
  /** User actions on the organizer's calendar, as in the provider's own UI. */
  createEvent(input: ContractEventInput): Promise<string>;
  updateEvent(eventId: string, patch: { title?: string; start?: string; end?: string }): Promise<void>;
  deleteEvent(eventId: string): Promise<void>;
  /** Makes the provider refuse every cursor handed out so far (Google 410, Graph syncStateNotFound). */
  expireCursor(): Promise<void>;
  /** The provider's current copy of an event on `calendarId` (default the organizer's), provider-neutral. */
  rawEvent(eventId: string, calendarId?: string): Promise<{ description: string; location: string } | undefined>;
  /** Write requests (PATCH/PUT/POST of events) the provider has received so far. */
  countWrites?(): number;
  /** Makes the provider throttle the next `count` calls (Google 403 rateLimitExceeded / 429). */
  injectRateLimit?(count: number): void | Promise<void>;
  /** Calendar API requests the provider has received so far, throttled ones included. */
  attempts?(): number;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Whole hours from now, so every provider stores them without rounding. */
function at(hoursFromNow: number): string {
  const base = Math.ceil(Date.now() / HOUR) * HOUR;
  return new Date(base + hoursFromNow * HOUR).toISOString();
}

function sameInstant(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && Date.parse(a) === Date.parse(b);
}

function byId(events: CalendarEvent[], eventId: string): CalendarEvent | undefined {
  return events.find((e) => e.eventId === eventId);
}

function countBlocks(description: string): number {
  return description.split(BLOCK_START).length - 1;
}

const details: JoinDetails = {
  meetingId: 'mtg-4711',
  meetingNumber: '123 456 789',
  joinUrl: 'https://meet.example.test/j/123456789?pwd=abc',
};

export function describeCalendarSourceContract(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`CalendarSource contract: ${name}`, () => {
    let h: Harness;
    const window: SyncWindow = { from: new Date(Date.now() - DAY), to: new Date(Date.now() + 60 * DAY) };

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('probe reads a calendar without changing it (the next incremental read has nothing new) and fails for one it cannot read', async () => {
      await h.createEvent({ title: 'Standup', start: at(24), end: at(25) });
      const first = await h.source.readChanges(h.calendarId, null, window);
      await h.source.probe(h.calendarId);
      const next = await h.source.readChanges(h.calendarId, first.cursor, window);
      expect(next.full).toBe(false);
      expect(next.events).toEqual([]);
      await expect(h.source.probe('nobody-here@example.com')).rejects.toThrow();
    });

    it('a full read returns every event with its title, start and end, and a cursor', async () => {
      const a = await h.createEvent({ title: 'Standup', start: at(24), end: at(25) });
      const b = await h.createEvent({ title: 'Review', start: at(48), end: at(50), timeZone: 'Europe/Berlin' });
      const c = await h.createEvent({ title: 'Planning', start: at(72), end: at(73), description: 'Agenda' });

      const read = await h.source.readChanges(h.calendarId, null, window);

      expect(read.full).toBe(true);
      expect(read.cursor).not.toBe('');
      for (const [id, title, start, end] of [
        [a, 'Standup', at(24), at(25)],
        [b, 'Review', at(48), at(50)],
        [c, 'Planning', at(72), at(73)],
      ] as const) {
        const event = byId(read.events, id);
        expect(event, `event ${title}`).toBeDefined();
        expect(event!.title).toBe(title);
        expect(sameInstant(event!.start, start)).toBe(true);
        expect(sameInstant(event!.end, end)).toBe(true);
        expect(event!.start).toMatch(/Z$/);
        expect(event!.status).not.toBe('cancelled');
        expect(event!.isOrganizerCopy).toBe(true);
        expect(event!.calendarId).toBe(h.calendarId);
        expect(event!.source).toBe(h.source.name);
      }
      expect(byId(read.events, c)!.description).toBe('Agenda');
    });

    it('an incremental read returns only what changed since the cursor', async () => {
      const untouched = await h.createEvent({ title: 'Untouched', start: at(24), end: at(25) });
      const edited = await h.createEvent({ title: 'Before', start: at(30), end: at(31) });
      const first = await h.source.readChanges(h.calendarId, null, window);

      await h.updateEvent(edited, { title: 'After', start: at(32), end: at(33) });
      const added = await h.createEvent({ title: 'New', start: at(40), end: at(41) });
      const second = await h.source.readChanges(h.calendarId, first.cursor, window);

      expect(second.full).toBe(false);
      const ids = second.events.map((e) => e.eventId);
      expect(ids).toContain(edited);
      expect(ids).toContain(added);
      expect(ids).not.toContain(untouched);
      const after = byId(second.events, edited)!;
      expect(after.title).toBe('After');
      expect(sameInstant(after.start, at(32))).toBe(true);

      const third = await h.source.readChanges(h.calendarId, second.cursor, window);
      expect(third.full).toBe(false);
      expect(third.events).toEqual([]);
    });

    it('a deletion comes back as a cancelled event with the same eventId', async () => {
      const gone = await h.createEvent({ title: 'Doomed', start: at(24), end: at(25) });
      const first = await h.source.readChanges(h.calendarId, null, window);

      await h.deleteEvent(gone);
      const second = await h.source.readChanges(h.calendarId, first.cursor, window);

      const tombstone = byId(second.events, gone);
      expect(tombstone).toBeDefined();
      expect(tombstone!.status).toBe('cancelled');
      const now = await h.source.getEvent(h.calendarId, gone);
      expect(now === null || now.status === 'cancelled').toBe(true);
    });

    it('an expired cursor leads to a full read that says so and loses no event', async () => {
      const a = await h.createEvent({ title: 'One', start: at(24), end: at(25) });
      const first = await h.source.readChanges(h.calendarId, null, window);
      const b = await h.createEvent({ title: 'Two', start: at(26), end: at(27) });
      await h.expireCursor();

      const second = await h.source.readChanges(h.calendarId, first.cursor, window);

      expect(second.full).toBe(true);
      expect(second.fullReason).toMatch(/expired/i);
      expect(byId(second.events, a)?.title).toBe('One');
      expect(byId(second.events, b)?.title).toBe('Two');
      // The new cursor works: nothing changed since.
      const third = await h.source.readChanges(h.calendarId, second.cursor, window);
      expect(third.full).toBe(false);
      expect(third.events).toEqual([]);
    });

    it('a throttled read is retried with backoff and every attempt reaches the provider (skipped for sources that cannot be throttled: the in-memory source has no network)', async (ctx) => {
      ctx.skip(!h.injectRateLimit || !h.attempts, `${name} cannot inject throttling`);
      const id = await h.createEvent({ title: 'Busy', start: at(24), end: at(25) });
      const first = await h.source.readChanges(h.calendarId, null, window);
      const quiet = h.attempts!();
      await h.source.readChanges(h.calendarId, first.cursor, window);
      const onePlainRead = h.attempts!() - quiet;
      await h.updateEvent(id, { title: 'Busier' });

      await h.injectRateLimit!(2);
      const before = h.attempts!();
      const read = await h.source.readChanges(h.calendarId, first.cursor, window);

      expect(h.attempts!() - before).toBe(onePlainRead + 2);
      expect(byId(read.events, id)?.title).toBe('Busier');
    });

    it('writing join details twice leaves exactly one block and the second write changes nothing', async () => {
      const id = await h.createEvent({ title: 'Sync', start: at(24), end: at(25), description: 'Agenda:\n1. numbers' });

      const first = await h.source.writeJoinDetails(h.calendarId, id, details);
      const writesAfterFirst = h.countWrites?.();
      const second = await h.source.writeJoinDetails(h.calendarId, id, details);

      expect(first.changed).toBe(true);
      expect(second.changed).toBe(false);
      if (writesAfterFirst !== undefined) expect(h.countWrites!()).toBe(writesAfterFirst);
      const raw = await h.rawEvent(id);
      expect(raw).toBeDefined();
      expect(countBlocks(raw!.description)).toBe(1);
      expect(raw!.description.startsWith('Agenda:\n1. numbers')).toBe(true);
      expect(raw!.description).toContain(details.joinUrl);
      expect(raw!.location).toBe(details.joinUrl);
      const event = await h.source.getEvent(h.calendarId, id);
      expect(event?.stamp).toEqual({ meetingId: details.meetingId, meetingNumber: details.meetingNumber });
    });

    it("the stamp carries the organizer's platform user and account, read back by getEvent and a full read; an older stamp gains them", async () => {
      const id = await h.createEvent({ title: 'Owned', start: at(24), end: at(25) });
      // A stamp written before issue 15: meeting id and number only.
      await h.source.writeJoinDetails(h.calendarId, id, details);
      const who = { userId: '5e9459c5b863b82cefdddf50', accountId: '5e9459c5b863b82cefdddf4f' };
      const result = await h.source.writeJoinDetails(h.calendarId, id, { ...details, ...who });

      expect(result.changed).toBe(true);
      const stamp = { meetingId: details.meetingId, meetingNumber: details.meetingNumber, ...who };
      expect((await h.source.getEvent(h.calendarId, id))?.stamp).toEqual(stamp);
      await h.expireCursor();
      const full = await h.source.readChanges(h.calendarId, null, window);
      expect(byId(full.events, id)?.stamp).toEqual(stamp);
      await expect(h.source.writeJoinDetails(h.calendarId, id, { ...details, ...who })).resolves.toMatchObject({ changed: false });
    });

    it('write-back keeps a location the organizer typed and replaces our block when the meeting changes', async () => {
      const id = await h.createEvent({ title: 'Room', start: at(24), end: at(25), location: 'Room 4.12' });
      await h.source.writeJoinDetails(h.calendarId, id, details);
      const moved = { ...details, meetingId: 'mtg-4712', joinUrl: 'https://meet.example.test/j/987' };
      const result = await h.source.writeJoinDetails(h.calendarId, id, moved);

      expect(result.changed).toBe(true);
      const raw = await h.rawEvent(id);
      expect(raw!.location).toBe('Room 4.12');
      expect(countBlocks(raw!.description)).toBe(1);
      expect(raw!.description).toContain(moved.joinUrl);
      expect(raw!.description).not.toContain(details.joinUrl);
    });

    it('our own write-back never comes back as a change of title, start or end', async () => {
      const id = await h.createEvent({ title: 'Quiet', start: at(24), end: at(25) });
      const first = await h.source.readChanges(h.calendarId, null, window);
      const before = byId(first.events, id)!;

      await h.source.writeJoinDetails(h.calendarId, id, details);
      const second = await h.source.readChanges(h.calendarId, first.cursor, window);

      for (const event of second.events.filter((e) => e.eventId === id)) {
        expect(event.title).toBe(before.title);
        expect(event.start).toBe(before.start);
        expect(event.end).toBe(before.end);
        expect(event.status).toBe(before.status);
        expect(event.stamp?.meetingId).toBe(details.meetingId);
      }
    });

    it("an attendee's copy is never the organizer's, and write-back to it is refused", async (ctx) => {
      ctx.skip(!h.attendeeCalendarId, `${name} has no attendee calendar`);
      const attendee = h.attendeeCalendarId!;
      const id = await h.createEvent({ title: 'Invite', start: at(24), end: at(25), attendees: [attendee] });

      const organizerRead = await h.source.readChanges(h.calendarId, null, window);
      const attendeeRead = await h.source.readChanges(attendee, null, window);
      const original = organizerRead.events.find((e) => e.title === 'Invite');
      const copy = attendeeRead.events.find((e) => e.title === 'Invite');

      expect(original?.eventId).toBe(id);
      expect(original?.isOrganizerCopy).toBe(true);
      expect(copy).toBeDefined();
      expect(copy!.isOrganizerCopy).toBe(false);
      if (original?.iCalUid !== undefined) expect(copy!.iCalUid).toBe(original.iCalUid);
      await expect(h.source.writeJoinDetails(attendee, copy!.eventId, details)).rejects.toBeInstanceOf(CalendarError);
      const raw = await h.rawEvent(copy!.eventId, attendee);
      expect(raw?.description ?? '').not.toContain(BLOCK_START);
    });

    it("clearing takes our block, our link in the location and our stamp off, and keeps the organizer's text", async () => {
      const id = await h.createEvent({ title: 'Untagged', start: at(24), end: at(25), description: 'Agenda: budget' });
      await h.source.writeJoinDetails(h.calendarId, id, details);
      const writesBefore = h.countWrites?.();

      const result = await h.source.clearJoinDetails(h.calendarId, id);

      expect(result.changed).toBe(true);
      if (writesBefore !== undefined) expect(h.countWrites!()).toBe(writesBefore + 1);
      expect(await h.rawEvent(id)).toEqual({ description: 'Agenda: budget', location: '' });
      const event = await h.source.getEvent(h.calendarId, id);
      expect(event?.stamp).toBeUndefined();
      expect(event?.etag === undefined || event.etag === result.etag).toBe(true);
    });

    it('clearing keeps a location the organizer typed', async () => {
      const id = await h.createEvent({ title: 'Room', start: at(24), end: at(25), location: 'Room 4.12' });
      await h.source.writeJoinDetails(h.calendarId, id, details);

      await expect(h.source.clearJoinDetails(h.calendarId, id)).resolves.toMatchObject({ changed: true });

      expect(await h.rawEvent(id)).toEqual({ description: '', location: 'Room 4.12' });
      expect((await h.source.getEvent(h.calendarId, id))?.stamp).toBeUndefined();
    });

    it('a second clear, or a clear of an event meetsync never wrote to, sends no write', async () => {
      const id = await h.createEvent({ title: 'Twice', start: at(24), end: at(25), description: 'Notes' });
      const untouched = await h.createEvent({ title: 'Never ours', start: at(26), end: at(27), location: details.joinUrl });
      await h.source.writeJoinDetails(h.calendarId, id, details);
      await h.source.clearJoinDetails(h.calendarId, id);
      const writes = h.countWrites?.();

      const second = await h.source.clearJoinDetails(h.calendarId, id);
      const other = await h.source.clearJoinDetails(h.calendarId, untouched);

      expect(second.changed).toBe(false);
      expect(other.changed).toBe(false);
      if (writes !== undefined) expect(h.countWrites!()).toBe(writes);
      // A link the organizer pasted without our block is theirs: nothing proves meetsync put it there.
      expect((await h.rawEvent(untouched))?.location).toBe(details.joinUrl);
      expect((await h.rawEvent(id))?.description).toBe('Notes');
    });

    it('clearing a deleted or unknown event changes nothing and does not throw', async () => {
      const id = await h.createEvent({ title: 'Gone', start: at(24), end: at(25) });
      await h.source.writeJoinDetails(h.calendarId, id, details);
      await h.deleteEvent(id);
      const writes = h.countWrites?.();

      await expect(h.source.clearJoinDetails(h.calendarId, id)).resolves.toMatchObject({ changed: false });
      await expect(h.source.clearJoinDetails(h.calendarId, 'nosuchevent0000')).resolves.toMatchObject({ changed: false });
      if (writes !== undefined) expect(h.countWrites!()).toBe(writes);
    });

    it("clearing an attendee's copy is refused", async (ctx) => {
      ctx.skip(!h.attendeeCalendarId, `${name} has no attendee calendar`);
      const attendee = h.attendeeCalendarId!;
      await h.createEvent({ title: 'Invite', start: at(24), end: at(25), attendees: [attendee] });
      const copy = (await h.source.readChanges(attendee, null, window)).events.find((e) => e.title === 'Invite');
      expect(copy?.isOrganizerCopy).toBe(false);
      const writes = h.countWrites?.();

      await expect(h.source.clearJoinDetails(attendee, copy!.eventId)).rejects.toBeInstanceOf(CalendarError);
      if (writes !== undefined) expect(h.countWrites!()).toBe(writes);
    });

    it('our own clear never comes back as a change of title, start or end', async () => {
      const id = await h.createEvent({ title: 'Quiet', start: at(24), end: at(25), description: 'Agenda: budget' });
      await h.source.writeJoinDetails(h.calendarId, id, details);
      const first = await h.source.readChanges(h.calendarId, null, window);
      const before = byId(first.events, id)!;

      await h.source.clearJoinDetails(h.calendarId, id);
      const second = await h.source.readChanges(h.calendarId, first.cursor, window);

      // Every provider here reports our own write in the next read; that report must not look
      // like the organizer's edit.
      const seen = second.events.filter((e) => e.eventId === id);
      expect(seen).toHaveLength(1);
      for (const event of seen) {
        expect(event.title).toBe(before.title);
        expect(event.start).toBe(before.start);
        expect(event.end).toBe(before.end);
        expect(event.status).toBe(before.status);
        expect(event.stamp).toBeUndefined();
        expect(event.description).toBe('Agenda: budget');
      }
    });

    it('getEvent returns the current event, and null for an id that never existed', async () => {
      const id = await h.createEvent({ title: 'Lookup', start: at(24), end: at(25) });
      await h.updateEvent(id, { title: 'Looked up' });

      const event = await h.source.getEvent(h.calendarId, id);

      expect(event?.title).toBe('Looked up');
      expect(sameInstant(event?.start, at(24))).toBe(true);
      expect(await h.source.getEvent(h.calendarId, 'nosuchevent0000')).toBeNull();
    });

    it('getEvent on a calendar the source cannot see is an error, never proof that the event is gone', async () => {
      await expect(h.source.getEvent('nobody@unknown.example', 'nosuchevent0000')).rejects.toBeInstanceOf(CalendarError);
    });
  });
}
