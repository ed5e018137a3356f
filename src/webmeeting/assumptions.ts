import type { Recurrence } from '../domain/meeting.js';

/**
 * EVERY assumption meetsync makes about the Web Meeting API beyond the provider's tutorial
 * (shared/spec/web-meeting-api-tutorial.txt) lives in this file and only here, so someone holding
 * the real Swagger (https://<domain>/api/v6/documentation/swagger) can correct them in one place.
 * The README lists them. What the tutorial documents (paths of account, admin, create and update,
 * headers, the `{responseCode: 0, data}` envelope, `duration` coming back as a string) is built
 * as documented in http.ts, schemas.ts and client.ts and is not repeated here.
 */

/**
 * ASSUMED: a meeting is deleted with `DELETE /api/v6/meeting/<meetingId>` and the same
 * X-API-KEY + X-USER-ID headers as update. The tutorial shows no delete; the vendor's webhooks
 * (`onMeetingDeleted`) prove meetings can be deleted, and this is the REST form matching the
 * documented `PUT /api/v6/meeting/<id>/false`.
 */
export const DELETE_MEETING = {
  method: 'DELETE',
  path: (meetingId: string): string => `/api/v6/meeting/${encodeURIComponent(meetingId)}`,
} as const;

/**
 * ASSUMED: error codes of the v1 API's envelope `{responseCode: <negative>, responseMessage}`,
 * kept by v6 (the vendor's newer pages describe v1 only). Used to make errors readable.
 */
export const RESPONSE_CODES: Readonly<Record<number, string>> = {
  [-99]: 'unknown error (also: unknown meeting / not found)',
  [-10]: 'account already exists (an email exists only once per instance)',
  [-4]: 'data not valid',
  [-3]: 'not allowed (wrong or missing X-USER-ID, or the key lacks the permission)',
  [-2]: 'session key not valid',
  [-1]: 'API key not valid',
};

/** ASSUMED (see RESPONSE_CODES): the code the platform uses for an unknown meeting. */
export const UNKNOWN_CODE = -99;

/** What a "not found" message looks like. */
const NOT_FOUND_MESSAGE = /not\s*found|unknown meeting|no such meeting|does not exist|doesn't exist/i;

/**
 * ASSUMED: when a DELETE fails, the meeting is already gone when
 *  - HTTP 410, or
 *  - HTTP 404 carrying the platform's envelope (a non-zero responseCode) with no message or a
 *    "not found"-like one, or
 *  - responseCode -99 with a "not found"-like message, whatever the status (errors may come
 *    with HTTP 200, WEB-MEETING-API.md).
 * A 404 WITHOUT the envelope (a proxy's or framework's "Cannot DELETE ...") or one whose message
 * names a missing route is NOT taken as gone: it most likely means DELETE_MEETING above is
 * wrong, and calling that "already gone" would silently leave every meeting behind. It is
 * thrown as a PlatformError instead. `message` is the server's own, never a default text.
 */
export function isAlreadyGone(status: number, responseCode: number | undefined, message: string | undefined): boolean {
  if (status === 410) return true;
  const saysNotFound = message !== undefined && NOT_FOUND_MESSAGE.test(message);
  if (status === 404 && responseCode !== undefined && responseCode !== 0) return message === undefined || saysNotFound;
  return responseCode === UNKNOWN_CODE && saysNotFound;
}

/** Wire form of the `recurring` object (see recurringBody). */
export interface WireRecurring {
  frequencyType: string;
  frequency: number | null;
  monthlyPattern: string;
  endsType: string;
  endsOn?: string | null;
  endsAfter?: number;
}

/**
 * ASSUMED: the `recurring` object of a recurring meeting. The tutorial shows only the empty
 * request form `{}` and the empty response form (`frequencyType: ""`, `frequency: null`,
 * `monthlyPattern: ""`, `endsType: ""`, `endsOn: <ISO>`, `endsAfter: 0`). We send the same keys
 * filled in: frequencyType daily|weekly|monthly|yearly, frequency = RRULE INTERVAL,
 * monthlyPattern ""|dayOfMonth|dayOfWeek, endsType never|on|after, endsOn (ISO instant, or null
 * when not ending on a date) and endsAfter (count, 0 when not ending after N).
 * A non-recurring meeting sends `{}` exactly as the tutorial does.
 */
export function recurringBody(recurrence: Recurrence | null): WireRecurring | Record<string, never> {
  if (!recurrence) return {};
  return {
    frequencyType: recurrence.frequencyType,
    frequency: recurrence.frequency,
    monthlyPattern: recurrence.monthlyPattern,
    endsType: recurrence.endsType,
    endsOn: recurrence.endsType === 'on' ? (recurrence.endsOn ?? null) : null,
    endsAfter: recurrence.endsType === 'after' ? (recurrence.endsAfter ?? 0) : 0,
  };
}

/**
 * ASSUMED: the meeting body accepts `agenda` (free text; the create RESPONSE shows the field,
 * `agenda: ""`) and `timezone` (IANA name; the response shows `timezone: "Europe/Zurich"`), so
 * meetsync can store its marker in the agenda and let the platform expand a series in the
 * organizer's local time. `timezone` is sent only when the spec has one.
 * ASSUMED too: an update without `agenda` leaves the meeting's agenda as it is, as an update
 * without `timezone` leaves its zone (the simulator models both so). meetsync leaves it out only
 * when adopting a meeting whose reference it does not know: the reference written at the
 * meeting's creation is never rewritten (issue 15).
 */
export function extraMeetingFields(agenda: string | undefined, timeZone: string | undefined): { agenda?: string; timezone?: string } {
  return { ...(agenda !== undefined ? { agenda } : {}), ...(timeZone ? { timezone: timeZone } : {}) };
}

/*
 * NOT ASSUMED: what the update (`PUT /api/v6/meeting/<id>/false`) answers. The tutorial shows the
 * request only. The update is done when the answer is the documented envelope with responseCode
 * 0, whatever `data` holds: `null`, the id only, or the meeting like the create answer (then it is
 * read, client.ts). Requiring the meeting would record an update the platform made as failed and
 * send it again every cycle. An answer without responseCode 0 is still not a success.
 * The trailing `/false` is a flag the tutorial never explains: meetsync sends it as the tutorial
 * does, always `false`, and relies on nothing it might switch (it invites no participant through
 * the platform, so a flag about notifying them would have no one to notify).
 */

/*
 * ASSUMED: `GET /api/v6/account/admin/<accountId>` lists EVERY organizer of the account, though
 * the tutorial introduces it as retrieving "the User ID of the first Meeting Organizer": meetsync
 * finds organizers by this list only. `meetsync doctor --probe-platform` checks the assumptions
 * here against a real platform and stores what it found (doctor/probe.ts, store/platform-profile.ts).
 */

/**
 * ASSUMED: the join link of a meeting is `https://<domain>/meeting/<meetingNumber>`, where the
 * domain is the one the API runs on and meetingNumber is the dashed `data.meetingId`.
 * Configurable (`joinUrlTemplate`, placeholders `{meetingNumber}` and `{meetingId}`) because
 * resellers brand their own links.
 */
export function defaultJoinUrlTemplate(baseUrl: string): string {
  return `${new URL(baseUrl).origin}/meeting/{meetingNumber}`;
}

/** A meeting's join link from the template's placeholders. */
export function joinUrlFrom(template: string, meetingNumber: string, meetingId: string): string {
  return template.replaceAll('{meetingNumber}', encodeURIComponent(meetingNumber)).replaceAll('{meetingId}', encodeURIComponent(meetingId));
}

/** The documented shape of ids (tutorial: "5e9459c5b863b82cefdddf4f"); accounts and users are read so. */
export const MEETING_ID_PATTERN = /^[0-9a-f]{24}$/i;

/**
 * NOT ASSUMED: the form of a new meeting's id (`data.id`) and number (`data.meetingId`). The
 * tutorial shows one example of each (24 hex, and four groups of four digits), which is no rule:
 * refusing another form would count a meeting made as a lost answer, and a lost answer can become
 * a second POST. So the create answer needs each to be present and plausible only: non-empty
 * after trimming, at most 200 characters, no control character (both go into URL paths, the join
 * link and the event). They are kept as given; the join link is built from them
 * (`joinUrlTemplate`). The feed is still searched for the tutorial's forms only (FEED_ID and
 * FEED_NUMBER below): a meeting of another form is not found there by id or number, and a lost
 * creation found by its reference alone is held rather than posted again (sync/pending.ts).
 */
export const MEETING_REF_MAX_LENGTH = 200;
/** The tutorial's form of a meeting number, the one the feed is searched for (FEED_NUMBER); the probe reports another. */
export const MEETING_NUMBER_PATTERN = /^\d{4}-\d{4}-\d{4}-\d{4}$/;
export const MEETING_REF_PATTERN = /^[^\p{Cc}]+$/u;

/**
 * ASSUMED: how a VEVENT of a user's ICS feed (`icsPath`) is matched to a meeting. The feed is
 * taken to be RFC 5545 with one VEVENT per meeting, its UID or URL or DESCRIPTION or LOCATION
 * carrying the meeting's 24-hex id and/or its dashed number (the join link has the number).
 * We look in that order and take the first hit of each. A hit must stand alone: a 24-hex run
 * inside a longer hex run (Outlook GlobalObjectIds are long hex strings) does not count, nor
 * does a dashed number inside a longer digit run. Ids are matched in lower case, as the
 * tutorial writes them (an uppercase hex run is an Outlook id, not ours). Never matched by title or
 * time: those change and collide.
 */
export const FEED_MATCH_FIELDS = ['uid', 'url', 'description', 'location'] as const;

/*
 * NOT ASSUMED: that the feed's DESCRIPTION repeats the meeting's agenda, where meetsync writes its
 * reference. The tutorial says nothing about the feed's content. So the reference's absence from
 * a feed proves that a creation never took effect only for an organizer whose feed has been seen
 * to carry it for a meeting meetsync knows (sync/feed-evidence.ts, sync/lost-creation.ts).
 */
const FEED_ID = /(?<![0-9a-zA-Z])[0-9a-f]{24}(?![0-9a-zA-Z])/;
const FEED_NUMBER = /(?<![\d-])\d{4}-\d{4}-\d{4}-\d{4}(?![\d-])/;

export function findMeetingId(text: string): string | undefined {
  return FEED_ID.exec(text)?.[0];
}

export function findMeetingNumber(text: string): string | undefined {
  return FEED_NUMBER.exec(text)?.[0];
}

/**
 * ASSUMED: a VEVENT with STATUS:CANCELLED is a meeting that no longer exists (the platform is
 * taken to drop deleted meetings from the feed; a CANCELLED entry means the same), and a
 * VEVENT with RECURRENCE-ID is one occurrence of a series already listed by its master, so it
 * is not a meeting of its own. Both are left out of the feed's meetings.
 */
export const FEED_SKIPS_CANCELLED = true;
export const FEED_SKIPS_OVERRIDES_WITH_MASTER = true;

/*
 * ASSUMED: the feed writes DTSTART/DTEND in UTC, so feed/time.ts reads a floating time as UTC and an
 * all-day DATE as midnight UTC; a TZID is still honoured (the file's VTIMEZONE, else IANA).
 */

/*
 * NOT ASSUMED: that `GET /api/v6/account/admin/<accountId>` lists every organizer of the account.
 * The tutorial reads "the User ID of the first Meeting Organizer" there, and its answer is an
 * array: it may list that one only. So an organizer not found is told both ways out (an account
 * of their own with `meetsync accounts create`, or their account's id in webMeeting.accountIds;
 * sync/plan.ts), and `meetsync doctor` says how many organizers each account lists
 * (doctor/organizers.ts).
 */

/**
 * ASSUMED: when an admin comes without `icsPath` but with `icsToken`, the path is the
 * tutorial's `/api/v6/meeting/calender/user/<icsToken>` (spelling `calender` is the vendor's).
 */
export function icsPathFor(icsToken: string): string {
  return `/api/v6/meeting/calender/user/${encodeURIComponent(icsToken)}`;
}

/**
 * ASSUMED: the token of a feed path is its last non-empty path segment (the tutorial's
 * `/api/v6/meeting/calender/user/<icsToken>`); a query string, a fragment or a trailing slash is
 * not part of it. Returns the token as written in the path and percent-decoded, so that either
 * form is recognised as a secret when a message echoes it.
 */
export function icsTokensOfPath(icsPath: string): string[] {
  const pathOnly = icsPath.split(/[?#]/, 1)[0] ?? '';
  const segment = pathOnly.split('/').filter((s) => s !== '').pop();
  if (!segment) return [];
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoding: the segment as written is all there is.
  }
  return decoded === segment ? [segment] : [segment, decoded];
}

/**
 * The feed is read as the tutorial implies (it gives each user an `icsPath` carrying a token and
 * shows no call to it): without the API key, the token being the credential, like any calendar
 * subscription link. NOT ASSUMED that it never needs the key: a feed answering 401 or 403 is
 * asked once more with X-API-KEY, and a client whose feed answered so then sends the key first.
 * The key goes only to the API's own origin (baseUrl), never to another host: the tutorial says
 * "You must keep the API-KEY secret ... Everyone who has access to the API-KEY has full control
 * over your web meeting platform" (web-meeting-api-tutorial.txt, "Prerequisites"), and
 * WEB-MEETING-API.md, "Secrets", that the key is sent nowhere but the API. HttpCore refuses to
 * attach the key to any other origin (http.ts).
 */
export const FEED_KEY = {
  /** The first request of a feed carries the key. */
  firstWithKey: false,
  /** Statuses after which the feed is asked once more, with the key. */
  retryWithKeyOn: new Set([401, 403]),
} as const;
