import type { FeedMeeting } from '../domain/meeting.js';
import type { Mapping } from '../domain/mapping.js';
import { profileResult } from '../store/platform-profile.js';
import type { Store } from '../store/store.js';
import { markersIn } from '../webmeeting/feed/read.js';

/**
 * Whether an organizer's feed has been seen to carry meetsync's references (the marker in the
 * agenda). The tutorial says nothing about the feed's content: a platform whose feed leaves the
 * agenda out never shows a marker, and there the absence of a lost creation's marker proves
 * nothing. So absence is taken as proof that a POST never took effect (sync/pending.ts) only for
 * an organizer whose feed has shown the marker of a meeting meetsync knows.
 *
 * Kept in engine_state (one row per organizer, `feed_references:<email>` -> when it was seen),
 * not in a migration of its own: it is a fact the engine learned, like organizers_checked_at.
 */

/** What every marker starts with (markers.ts, and `meetsync:adopted:` for adopted meetings). */
const REFERENCE = 'meetsync:';
const KEY = (email: string) => `feed_references:${email.toLowerCase()}`;

export function feedCarriesReferences(store: Store, email: string): boolean {
  return store.engineState(KEY(email)) !== undefined;
}

/**
 * Learns from one read of `email`'s feed. Seen: an entry carries the marker of one of the
 * organizer's unconfirmed creations (`intents`) or of the mapping of the meeting it names. A
 * feed that shows meetings meetsync knows and no reference at all is recorded as not carrying
 * them (the platform changed its feed): absence is no proof from then on. One entry without its
 * reference is not enough for that (an agenda edited by hand); it only does not count as seen.
 */
export function learnFromFeed(store: Store, email: string, feed: readonly FeedMeeting[], intents: readonly Mapping[], now: Date): void {
  const who = email.toLowerCase();
  const known = store.mappings({ state: 'active' }).filter((m) => m.organizerEmail.toLowerCase() === who);
  const markers = new Set(known.map((m) => m.marker.toLowerCase()));
  const knownIds = new Set(known.flatMap((m) => (m.meetingId ? [m.meetingId] : [])));
  const knownNumbers = new Set(known.flatMap((m) => (m.meetingNumber ? [m.meetingNumber] : [])));
  const namesKnown = (entry: FeedMeeting) => (entry.meetingId !== undefined && knownIds.has(entry.meetingId)) || (entry.meetingNumber !== undefined && knownNumbers.has(entry.meetingNumber));
  // By marker, not by meeting id: a feed that names meetings by number only (assumption 9) counts
  // too. Or the entry of a meeting known by its id or number carries a reference: a record
  // rebuilt from a stamp after a lost database does not know the meeting's reference, but its
  // entry showing one proves the feed repeats the agenda (found by the crash campaign: every
  // lost creation after a lost database was held for IT).
  const carried = feed.some(
    (entry) =>
      intents.some((i) => entry.description.includes(i.marker)) ||
      markersIn(entry.description).some((m) => markers.has(m.toLowerCase())) ||
      (namesKnown(entry) && markersIn(entry.description).length > 0),
  );
  if (carried) {
    store.setEngineState(KEY(email), now.toISOString());
    return;
  }
  const showsKnown = feed.some((entry) => entry.meetingId !== undefined && knownIds.has(entry.meetingId));
  if (showsKnown && !feed.some((f) => f.description.includes(REFERENCE))) store.clearEngineState(KEY(email));
}

/**
 * What the platform profile (`meetsync doctor --probe-platform`, store/platform-profile.ts) says
 * against taking a feed's silence as proof: the probe saw the feed leave the agenda out, or could
 * not see a new meeting show in it in time. Returns the words for `status`, or undefined when the
 * profile says nothing against it (also when the platform was never probed: then the per-organizer
 * evidence above decides, as it always has).
 */
export function profileDeniesAbsence(store: Store): string | undefined {
  const agenda = profileResult(store.sql, 'feed-carries-agenda');
  if (agenda && agenda.result !== 'confirmed') {
    return `the platform probe of ${agenda.probedAt} found that organizers' feeds do not carry meetsync's reference (the agenda)${agenda.result === 'unknown' ? ' (it could not tell)' : ''}`;
  }
  const soon = profileResult(store.sql, 'feed-shows-soon');
  if (soon && soon.result !== 'confirmed') return `the platform probe of ${soon.probedAt} did not see a new meeting show in the feed in time`;
  return undefined;
}

/**
 * The platform profile confirms what per-organizer evidence would: the probe saw a feed repeat the
 * agenda and show a new meeting in time. The feed's format is the platform's, not the
 * organizer's, so after a lost database (the organizers' evidence gone with it) or for an
 * organizer with no meeting meetsync knows yet, a confirmed probe lets a lost creation's absence
 * count (README "Before going live").
 */
export function profileConfirmsAbsence(store: Store): boolean {
  return profileResult(store.sql, 'feed-carries-agenda')?.result === 'confirmed' && profileResult(store.sql, 'feed-shows-soon')?.result === 'confirmed';
}
