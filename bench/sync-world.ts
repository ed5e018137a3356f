import type { GoogleCalendarSimulator } from '../src/simulators/google/server.js';
import type { GraphSimulator } from '../src/simulators/graph/server.js';
import type { WebMeetingSimulator } from '../src/simulators/webmeeting/server.js';

/**
 * The world of the real-path benchmark (sync-paths.ts), seeded through the simulators' control
 * methods in-process (what their /_sim/ endpoints do, without an HTTP round trip per event):
 * N calendars of M events each, the first half Google calendars, the second half Outlook
 * mailboxes, each owned by an organizer who is a platform user.
 *
 * Per calendar: M - C events the owner organizes and C attendee copies (C = M/10, rounded), the
 * copies of events the previous calendar of the same provider organizes and invites this one to
 * (the simulators make the copies, as Google and Exchange do). Of the organized events (index j):
 * - j % 10 == 0 are tagged: `#webmeeting` in the Google title; in Outlook the category
 *   `Web Meeting` (j % 20 == 0) or the keyword in the subject (j % 20 == 10);
 * - j % 25 == 0 are weekly series of 10 occurrences (j % 50 == 0 of them tagged);
 * - j = 5k (k < C) invite the next calendar: half of those invitations are tagged, so tagged
 *   attendee copies exist, whose organizer has a platform user: meetsync must make no meeting of them.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
export const BENCH_DOMAIN = 'bench.example';
export const GOOGLE_ZONE = 'Europe/Berlin';

export interface WorldSize {
  calendars: number;
  events: number;
  /** Organizers per platform account (the first is the account's admin). */
  usersPerAccount: number;
}

export interface OwnEvent {
  provider: 'google' | 'outlook';
  calendarId: string;
  eventId: string;
  tagged: boolean;
  series: boolean;
  startMs: number;
  durationMs: number;
}

export interface World {
  googleCalendars: string[];
  mailboxes: string[];
  accountIds: string[];
  /** Events the calendars' owners organize (attendee copies are not among them). */
  own: OwnEvent[];
  /** Items per calendar, organized and copies, as seeded. */
  counts: { organized: number; copies: number; tagged: number; taggedCopies: number; series: number };
}

export function ownerOf(index: number): string {
  return `u${String(index).padStart(5, '0')}@${BENCH_DOMAIN}`;
}

interface Sims {
  google: GoogleCalendarSimulator;
  graph: GraphSimulator;
  webMeeting: WebMeetingSimulator;
}

export function seedWorld(sims: Sims, size: WorldSize, now: number): World {
  const googleCount = Math.ceil(size.calendars / 2);
  const owners = Array.from({ length: size.calendars }, (_, i) => ownerOf(i));
  const googleCalendars = owners.slice(0, googleCount);
  const mailboxes = owners.slice(googleCount);
  const accountIds: string[] = [];
  for (let i = 0; i < owners.length; i += size.usersPerAccount) {
    const { account } = sims.webMeeting.seedAccount({ adminEmail: owners[i]!, adminFirstname: 'Bench', adminLastname: `User ${i}` });
    accountIds.push(account.id);
    for (const email of owners.slice(i + 1, i + size.usersPerAccount)) sims.webMeeting.addUser(account.id, { email, firstName: 'Bench', lastName: email });
  }
  for (const id of googleCalendars) sims.google.addCalendar(id, { timeZone: GOOGLE_ZONE });
  for (const box of mailboxes) sims.graph.addMailbox(box);

  const copies = Math.round(size.events / 10);
  const organized = size.events - copies;
  const own: OwnEvent[] = [];
  const day0 = Math.floor(now / DAY_MS) * DAY_MS;
  const seedCalendars = (ids: string[], provider: OwnEvent['provider']) => {
    ids.forEach((calendarId, i) => {
      const next = ids[(i + 1) % ids.length]!;
      for (let j = 0; j < organized; j += 1) {
        const series = j % 25 === 0;
        const tagged = j % 10 === 0;
        // Series start within 90 days so that all 10 weekly occurrences lie in the 180-day window.
        const day = 1 + (series ? (i + j) % 90 : (i * 7 + j * 37) % 170);
        const startMs = day0 + day * DAY_MS + (8 + ((i + j) % 9)) * HOUR_MS;
        const durationMs = (j % 3 === 0 ? 60 : 30) * 60_000;
        const invites = j % 5 === 0 && j / 5 < copies && next !== calendarId ? next : undefined;
        const e = { j, tagged, series, startMs, durationMs, invites };
        const eventId = provider === 'google' ? insertGoogle(sims.google, calendarId, e) : insertOutlook(sims.graph, calendarId, e);
        own.push({ provider, calendarId, eventId, tagged, series, startMs, durationMs });
      }
    });
  };
  seedCalendars(googleCalendars, 'google');
  seedCalendars(mailboxes, 'outlook');
  const taggedCopies = Array.from({ length: Math.min(copies, Math.ceil(organized / 5)) }, (_, k) => k * 5).filter((j) => j % 10 === 0).length;
  return {
    googleCalendars,
    mailboxes,
    accountIds,
    own,
    counts: {
      organized,
      copies,
      tagged: own.filter((e) => e.tagged).length / size.calendars,
      taggedCopies,
      series: own.filter((e) => e.series).length / size.calendars,
    },
  };
}

interface Seed {
  j: number;
  tagged: boolean;
  series: boolean;
  startMs: number;
  durationMs: number;
  invites: string | undefined;
}

function insertGoogle(google: GoogleCalendarSimulator, calendarId: string, e: Seed): string {
  const event = google.userInsert(calendarId, {
    summary: e.tagged ? `Planning ${e.j} #webmeeting` : `Focus time ${e.j}`,
    description: `Agenda for item ${e.j}`,
    start: { dateTime: new Date(e.startMs).toISOString(), timeZone: GOOGLE_ZONE },
    end: { dateTime: new Date(e.startMs + e.durationMs).toISOString(), timeZone: GOOGLE_ZONE },
    ...(e.series ? { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=10'] } : {}),
    ...(e.invites ? { attendees: [{ email: calendarId, organizer: true, responseStatus: 'accepted' }, { email: e.invites, responseStatus: 'needsAction' }] } : {}),
  });
  return event.id!;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function graphTime(ms: number): { dateTime: string; timeZone: string } {
  return { dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' };
}

function insertOutlook(graph: GraphSimulator, mailbox: string, e: Seed): string {
  const categories = e.tagged && e.j % 20 === 0 ? ['Web Meeting'] : [];
  const keyword = e.tagged && e.j % 20 !== 0 ? ' #webmeeting' : '';
  const startDate = new Date(e.startMs).toISOString().slice(0, 10);
  const event = graph.userInsert(mailbox, {
    subject: `${e.tagged ? 'Planning' : 'Focus time'} ${e.j}${keyword}`,
    body: { contentType: 'html', content: `<html><body><p>Agenda for item ${e.j}</p></body></html>` },
    start: graphTime(e.startMs),
    end: graphTime(e.startMs + e.durationMs),
    categories,
    ...(e.series
      ? {
          recurrence: {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: [WEEKDAYS[new Date(e.startMs).getUTCDay()]] },
            range: { type: 'numbered', startDate, numberOfOccurrences: 10 },
          },
        }
      : {}),
    ...(e.invites ? { attendees: [{ emailAddress: { address: e.invites, name: e.invites }, type: 'required' }] } : {}),
  });
  return event.id;
}

/**
 * 1% of all events (at least one) move by an hour, as their organizers would move them in the
 * calendar UI: spread over the calendars, some of them tagged, some series. Returns the moved.
 */
export function moveOnePercent(sims: Sims, world: World, size: WorldSize): OwnEvent[] {
  const total = Math.max(1, Math.round((size.calendars * size.events) / 100));
  const byCalendar = new Map<string, OwnEvent[]>();
  for (const e of world.own) byCalendar.set(e.calendarId, [...(byCalendar.get(e.calendarId) ?? []), e]);
  const calendars = [...byCalendar.keys()];
  const moved: OwnEvent[] = [];
  for (let k = 0; k < total; k += 1) {
    const list = byCalendar.get(calendars[k % calendars.length]!)!;
    const e = list[(k * 7 + Math.floor(k / calendars.length) * 13) % list.length]!;
    if (moved.includes(e)) continue;
    e.startMs += HOUR_MS;
    if (e.provider === 'google') {
      sims.google.userPatch(e.calendarId, e.eventId, {
        start: { dateTime: new Date(e.startMs).toISOString(), timeZone: GOOGLE_ZONE },
        end: { dateTime: new Date(e.startMs + e.durationMs).toISOString(), timeZone: GOOGLE_ZONE },
      });
    } else {
      sims.graph.userPatch(e.calendarId, e.eventId, { start: graphTime(e.startMs), end: graphTime(e.startMs + e.durationMs) });
    }
    moved.push(e);
  }
  return moved;
}
