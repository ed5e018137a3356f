import { DateTime } from 'luxon';
import type { RunningSimulators } from '../simulators/launch.js';

/**
 * The made-up company of `meetsync demo`: who works where, and what is in their calendars. Dates
 * are working days from today, so every event is inside meetsync's sync window. Everything is
 * put into the simulators the way a person would put it there (the simulators' user actions,
 * also served as their /_sim/ control endpoints), never through meetsync.
 */

/** The company's time zone; Outlook names it by its Windows name. */
export const ZONE = 'Europe/Berlin';
const WINDOWS_ZONE = 'W. Europe Standard Time';

export interface Person {
  name: string;
  email: string;
  provider: 'Google' | 'Outlook';
  /** Has a user on the Web Meeting platform (only then do their events get meetings). */
  platformUser: boolean;
}

export const PEOPLE = {
  alice: { name: 'Alice Martin', email: 'alice@acme.example', provider: 'Google', platformUser: true },
  bob: { name: 'Bob Chen', email: 'bob@acme.example', provider: 'Outlook', platformUser: true },
  carol: { name: 'Carol Diaz', email: 'carol@acme.example', provider: 'Outlook', platformUser: true },
  dave: { name: 'Dave Okafor', email: 'dave@acme.example', provider: 'Google', platformUser: false },
} as const satisfies Record<string, Person>;

/** One event as the demo put it into a calendar. */
export interface SeededEvent {
  /** The demo's own handle for it. */
  key: string;
  title: string;
  /** Whose calendar holds this copy (its organizer's, or a guest's). */
  calendarId: string;
  eventId: string;
  organizer: string;
  provider: Person['provider'];
  /** ISO instants; for an all-day event the first day's midnight in ZONE. */
  start: string;
  end: string;
  allDay: boolean;
  /** Asks for a web meeting (keyword or Outlook category). */
  tagged: boolean;
  /** A guest's copy of someone else's event, not the organizer's. */
  guestCopy: boolean;
  /** What the table says about it besides the title: "weekly ×6", "4 guests". */
  note?: string;
}

/** The n-th working day after today, at hh:mm in ZONE. */
function workday(n: number, hour = 0, minute = 0, today = DateTime.now().setZone(ZONE)): DateTime {
  let day = today.startOf('day');
  for (let left = n; left > 0; ) {
    day = day.plus({ days: 1 });
    if (day.weekday <= 5) left -= 1;
  }
  return day.set({ hour, minute });
}

/** Google's EventDateTime: wall time plus zone. */
const googleTime = (t: DateTime) => ({ dateTime: t.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: ZONE });
/** Graph's dateTimeTimeZone: wall time plus a Windows zone name. */
const graphTime = (t: DateTime) => ({ dateTime: t.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: WINDOWS_ZONE });
const iso = (t: DateTime) => t.toUTC().toISO()!;

interface Span {
  start: DateTime;
  end: DateTime;
}

const span = (day: number, from: [number, number], minutes: number): Span => {
  const start = workday(day, ...from);
  return { start, end: start.plus({ minutes }) };
};

/** Puts the company's calendars and platform users into freshly started simulators. */
export function seedCompany(sims: RunningSimulators): { accountId: string; events: SeededEvent[] } {
  const { alice, bob, carol, dave } = PEOPLE;
  // One platform account for the company: Alice is its admin, Bob and Carol were added to it.
  // Dave never got a user: his tagged events are skipped, with the reason.
  const [firstName, lastName] = alice.name.split(' ') as [string, string];
  const { account } = sims.webMeeting.seedAccount({ adminEmail: alice.email, adminFirstname: firstName, adminLastname: lastName, accountType: 'trial' });
  for (const p of [bob, carol]) {
    const [first, last] = p.name.split(' ') as [string, string];
    sims.webMeeting.addUser(account.id, { email: p.email, firstName: first, lastName: last });
  }

  const events: SeededEvent[] = [];
  const google = (person: Person, key: string, title: string, when: Span, extra: Record<string, unknown> = {}, note?: string) => {
    const e = sims.google.userInsert(person.email, { summary: title, start: googleTime(when.start), end: googleTime(when.end), ...extra });
    events.push(seeded(key, title, person, person.email, e.id, when, { tagged: title.includes('#webmeeting'), ...(note ? { note } : {}) }));
    return e;
  };
  const outlook = (person: Person, key: string, title: string, when: Span, extra: Record<string, unknown> = {}, note?: string) => {
    const e = sims.graph.userInsert(person.email, { subject: title, start: graphTime(when.start), end: graphTime(when.end), ...extra });
    const tagged = title.includes('#webmeeting') || (Array.isArray(extra.categories) && extra.categories.includes('Web Meeting'));
    events.push(seeded(key, title, person, person.email, e.id, when, { tagged, ...(note ? { note } : {}) }));
    return e;
  };

  google(alice, 'team-sync', 'Weekly team sync #webmeeting', span(1, [9, 30], 30), { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=6'] }, 'weekly ×6');
  const guests = [bob.email, carol.email, dave.email, 'partner@globex.example'];
  const planningWhen = span(3, [10, 0], 90);
  const planning = google(alice, 'planning', 'Quarterly planning #webmeeting', planningWhen, { attendees: guests.map((email) => ({ email })) }, `${guests.length} guests`);
  google(alice, 'lunch', 'Lunch with Dave', span(2, [12, 30], 60));
  const offsite = { start: workday(6), end: workday(8) };
  const offsiteEvent = sims.google.userInsert(alice.email, {
    summary: 'Company offsite #webmeeting',
    start: { date: offsite.start.toISODate()! },
    end: { date: offsite.end.toISODate()! },
  });
  events.push(seeded('offsite', 'Company offsite #webmeeting', alice, alice.email, offsiteEvent.id, offsite, { tagged: true, allDay: true }));

  outlook(bob, 'budget', 'Budget review', span(4, [14, 0], 60), { categories: ['Web Meeting'] }, 'category Web Meeting');
  outlook(bob, 'dentist', 'Dentist', span(2, [8, 0], 60));
  outlook(carol, 'hiring', 'Hiring sync #webmeeting', span(3, [16, 0], 30));
  outlook(carol, 'globex', 'Customer call: Globex', span(2, [11, 0], 45), {
    categories: ['Web Meeting'],
    attendees: [{ emailAddress: { address: 'buyer@globex.example', name: 'Globex buyer' }, type: 'required' }],
  }, 'category Web Meeting');

  google(dave, 'vendor-demo', 'Vendor demo #webmeeting', span(2, [15, 0], 60));
  // Dave was invited to Alice's planning: Google put a copy of it into his calendar.
  events.push(seeded('planning-copy', 'Quarterly planning #webmeeting', alice, dave.email, planning.id, planningWhen, { tagged: true, guestCopy: true, note: "Dave's copy" }));
  return { accountId: account.id, events };
}

function seeded(key: string, title: string, organizer: Person, calendarId: string, eventId: string, when: Span, more: { tagged: boolean; allDay?: boolean; guestCopy?: boolean; note?: string }): SeededEvent {
  return {
    key, title, calendarId, eventId, organizer: organizer.email, provider: organizer.provider,
    start: iso(when.start), end: iso(when.end), allDay: more.allDay ?? false, tagged: more.tagged, guestCopy: more.guestCopy ?? false,
    ...(more.note ? { note: more.note } : {}),
  };
}

/** What an organizer did between the two cycles, for the demo to say. */
export interface Change {
  key: string;
  kind: 'moved' | 'renamed' | 'cancelled';
  /** "Bob moves “Budget review” from … to …" */
  said: string;
  /** The event's new start and end (moved) or title (renamed). */
  start?: string;
  end?: string;
  title?: string;
}

/**
 * Bob moves his budget review a day later, Alice renames her planning, Carol cancels her hiring
 * sync: each in their own calendar, as they would in Google Calendar or Outlook.
 */
export function changeCalendars(sims: RunningSimulators, events: readonly SeededEvent[], when: (iso: string) => string): Change[] {
  const find = (key: string) => events.find((e) => e.key === key && !e.guestCopy)!;
  const budget = find('budget');
  const moved = span(5, [15, 0], 60);
  sims.graph.userPatch(budget.calendarId, budget.eventId, { start: graphTime(moved.start), end: graphTime(moved.end) });
  const planning = find('planning');
  const renamed = 'Quarterly planning FY27 #webmeeting';
  sims.google.userPatch(planning.calendarId, planning.eventId, { summary: renamed });
  const hiring = find('hiring');
  sims.graph.userDelete(hiring.calendarId, hiring.eventId);
  return [
    { key: budget.key, kind: 'moved', said: `Bob moves “${budget.title}” from ${when(budget.start)} to ${when(iso(moved.start))}`, start: iso(moved.start), end: iso(moved.end) },
    { key: planning.key, kind: 'renamed', said: `Alice renames “${topicOf(planning.title)}” to “${topicOf(renamed)}”`, title: renamed },
    { key: hiring.key, kind: 'cancelled', said: `Carol cancels “${topicOf(hiring.title)}”` },
  ];
}

/** The title without the tag, as the meeting's topic shows it. */
export function topicOf(title: string): string {
  return title.replace(/\s*#webmeeting\s*/i, ' ').trim();
}
