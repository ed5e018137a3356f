import type { FeedReading } from '../domain/meeting.js';
import type { Mapping } from '../domain/mapping.js';
import type { Store } from '../store/store.js';
import { feedCarriesReferences, profileConfirmsAbsence, profileDeniesAbsence } from './feed-evidence.js';

/**
 * What to do with an unconfirmed creation whose marker is not in its organizer's feed. Absence is
 * evidence that the POST never took effect only where it can be: the feed was read whole, has
 * been seen to carry meetsync's references (feed-evidence.ts), has had `graceMs` to show the
 * meeting, and shows no meeting of the organizer that could be it without the reference (same
 * topic and times, no marker, mapped to no event). Anything less waits or is held; a second
 * meeting is the one thing meetsync promises never to make.
 */
export type AbsenceVerdict = { kind: 'post' } | Unresolved;

export type Unresolved =
  /** Looked at again next cycle; `reason` is what `status` shows meanwhile. */
  | { kind: 'wait'; reason: string }
  /** Needs IT: looked at again hourly (pending.ts heldRecheckMs); `reason` says what to do. */
  | { kind: 'hold'; reason: string };

export interface AbsenceInput {
  intent: Mapping;
  email: string;
  reading: FeedReading;
  store: Store;
  now: number;
  graceMs: number;
  /** Past this age a creation that cannot be confirmed is held for IT instead of waiting. */
  limitMs: number;
}

export function judgeAbsence(input: AbsenceInput): AbsenceVerdict {
  const { intent, email, reading, store, now } = input;
  const age = now - Date.parse(intent.updatedAt);
  if (reading.problems.length > 0) {
    const n = reading.problems.length;
    const what =
      `its creation is not confirmed: ${n} entr${n === 1 ? 'y' : 'ies'} of ${email}'s meeting feed could not be read ` +
      `(${reading.problems[0]}), and its meeting may be one of them`;
    return unconfirmable(what, age, input);
  }
  const denied = profileDeniesAbsence(store);
  if (denied) {
    return {
      kind: 'hold',
      reason:
        `its creation is not confirmed (the answer to POST /meeting was lost), and ${denied}, so the meeting's absence from ${email}'s feed proves nothing; ` +
        `meetsync will not post a second one while the profile says so. Look for "${intent.topic}" at ${intent.start} among ${email}'s meetings on the platform; ` +
        `once the platform's feed carries the agenda, run 'meetsync doctor --probe-platform' again and meetsync resolves it within the hour`,
    };
  }
  if (age < input.graceMs) {
    const wait = Math.ceil((input.graceMs - age) / 60_000);
    return {
      kind: 'wait',
      reason: `its creation is not confirmed yet: the meeting is not in the organizer's feed, which may lag; created again in about ${wait} min if it still is not there`,
    };
  }
  const lookalike = reading.meetings.find(
    (f) =>
      f.summary === intent.topic &&
      sameInstant(f.start, intent.start) &&
      sameInstant(f.end, intent.end) &&
      !f.description.includes('meetsync:') &&
      (f.meetingId === undefined || store.mappingsByMeeting(f.meetingId).length === 0),
  );
  if (lookalike) {
    const number = lookalike.meetingNumber ?? lookalike.meetingId ?? lookalike.uid;
    return {
      kind: 'hold',
      reason:
        `its creation is not confirmed (the answer to POST /meeting was lost), and ${email}'s feed shows meeting ${number} with its topic and times ` +
        `but without meetsync's reference, linked to no event: it may be this event's meeting, so meetsync will not create a second one. ` +
        `Delete meeting ${number} on the platform to have it created again with a link meetsync manages; meetsync looks again every hour`,
    };
  }
  if (!feedCarriesReferences(store, email) && !profileConfirmsAbsence(store)) {
    return {
      kind: 'hold',
      reason:
        `its creation is not confirmed (the answer to POST /meeting was lost) and ${email}'s meeting feed has never been seen to carry ` +
        `meetsync's reference (the agenda), so the meeting's absence there proves nothing; meetsync will not post a second one. ` +
        `Look for "${intent.topic}" at ${intent.start} among ${email}'s meetings on the platform and delete it if it is there; ` +
        `meetsync looks again every hour and creates it once the feed shows references for meetings it knows, or once ` +
        `'meetsync doctor --probe-platform ${email}' confirms that the platform's feeds carry the agenda`,
    };
  }
  return { kind: 'post' };
}

/**
 * The organizer's feed cannot confirm the creation: it waits, cycle after cycle, up to
 * `limitMs` after the POST; then it is held for IT instead of being retried silently without end.
 */
export function unconfirmable(what: string, age: number, input: Pick<AbsenceInput, 'limitMs' | 'email' | 'intent'>): Unresolved {
  // Held already (for this or another reason), it stays held: its hourly look found no answer either.
  if (age < input.limitMs && input.intent.held === undefined) {
    return { kind: 'wait', reason: `${what}; meetsync creates nothing until it can tell, looks again next cycle, and holds it for IT after ${hours(input.limitMs)}` };
  }
  return {
    kind: 'hold',
    reason:
      `${what}; held for IT${age >= input.limitMs ? ` after ${hours(input.limitMs)} without an answer` : ''}. Make ${input.email}'s meeting feed readable (its icsPath; ` +
      `\`meetsync reconcile\` names the problem) and meetsync resolves it within the hour; meanwhile it will not post a second meeting ` +
      `("${input.intent.topic}" at ${input.intent.start} may exist on the platform)`,
  };
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${Number.isInteger(h) ? h : h.toFixed(1)} h`;
}

function sameInstant(a: string | undefined, b: string): boolean {
  return a !== undefined && Date.parse(a) === Date.parse(b);
}
