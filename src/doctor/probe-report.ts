import type { PlatformProfile, ProbeResult, ProfileEntry } from '../store/platform-profile.js';

/**
 * The assumptions `meetsync doctor --probe-platform` checks, in the words an IT person acts on:
 * what meetsync takes for granted beyond the tutorial (README, "Web Meeting API: what meetsync
 * assumes"), what happens when it does not hold, and what to do. The probe (probe.ts) finds a
 * result for each; this module words them and decides the exit code.
 */

export interface Assumption {
  key: string;
  /** What is assumed, as a label: `feed carries the agenda`. */
  label: string;
  /** What goes wrong while it is not confirmed. */
  consequence: string;
  /** What IT can do. */
  remedy: string;
  /** Whether meetsync relies on it, given the other results (a fallback is needed only when its first choice fails). */
  needed?: (results: ReadonlyMap<string, ProbeResult>) => boolean;
  /** Where meetsync does not rely on it (the client takes either answer): what it does instead. */
  tolerated?: string;
}

const REPORT = 'report it to the meetsync maintainers with this output: the assumption lives in src/webmeeting/assumptions.ts';

export const ASSUMPTIONS: readonly Assumption[] = [
  {
    key: 'admin-lists-every-organizer',
    label: 'the admin list (GET /api/v6/account/admin/<id>) names every organizer of an account',
    consequence:
      "the tutorial promises only \"the first Meeting Organizer\": an account's other organizers are not found, and their tagged events get no meeting (status: the organizer has no platform user)",
    remedy: "give every organizer an account of their own ('meetsync accounts create'), or check in the platform's administration that each account's organizers are all listed",
  },
  {
    key: 'create-answer',
    label: 'the create answer (POST /api/v6/meeting) has responseCode 0 and the meeting in data, with its id and number',
    consequence: "every creation's answer is taken for lost: the meeting exists but its event gets no join link, and the creation waits for the feed or IT",
    remedy: REPORT,
  },
  {
    key: 'meeting-id-form',
    label: "the meeting id is 24 hex digits (the tutorial's form)",
    consequence:
      "the create answer is taken as given, in any form; but meetsync's feed reader finds ids in the tutorial's form only, so a creation whose answer was lost is found by its reference alone and held for IT, and reconcile matches meetings by number",
    remedy: REPORT,
  },
  {
    key: 'meeting-number-form',
    label: "the meeting number is four groups of four digits (the tutorial's form)",
    consequence:
      "the create answer is taken as given, in any form, and the join link is built from it; but meetsync's feed reader finds numbers in the tutorial's form only, so reconcile matches meetings by id",
    remedy: REPORT,
  },
  {
    key: 'update-answer',
    label: 'the update (PUT /api/v6/meeting/<id>/false) answers responseCode 0 with the meeting in data',
    consequence: 'none: an update answered responseCode 0 is done, whatever data holds',
    remedy: REPORT,
    needed: () => false,
    tolerated: 'an update answered responseCode 0 is taken as done, whatever data holds (the record names the meeting)',
  },
  {
    key: 'delete-route',
    label: 'a meeting is deleted with DELETE /api/v6/meeting/<id>',
    consequence: 'meetings of cancelled or untagged events stay on the platform, and status shows each deletion failing',
    remedy: 'find the delete call in the platform\'s Swagger (https://<domain>/api/v6/documentation/swagger) and ' + REPORT,
  },
  {
    key: 'delete-gone',
    label: 'deleting a meeting already deleted answers "not found" (taken as already gone)',
    consequence: 'a deletion whose answer was lost is sent again and again and shown failing',
    remedy: REPORT,
  },
  {
    key: 'feed-without-key',
    label: "the organizer's feed (icsPath) answers to its token alone, without the API key",
    consequence: 'none: a feed that answers 401 or 403 is asked again with the API key (to the platform\'s own host only), and from then on with it',
    remedy: 'nothing needed; to keep the API key off feed reads, ask the platform operator to serve calendar feeds to their token (as calendar subscriptions are)',
    needed: () => false,
    tolerated: 'meetsync reads this feed with the API key (sent to webMeeting.baseUrl\'s host only)',
  },
  {
    key: 'feed-shows-soon',
    label: 'a new meeting shows in the feed within the probe\'s wait (meetsync gives it 10 minutes before taking absence as evidence)',
    consequence:
      'a feed that lags more than 10 minutes could make a lost creation look absent: meetsync holds lost creations for IT rather than posting them again',
    remedy: 'probe again with a longer --probe-wait; if the feed lags by design, keep lost creations for IT to resolve',
  },
  {
    key: 'feed-carries-id',
    label: 'a feed entry carries the meeting id',
    consequence: 'a creation whose answer was lost and that the feed shows by its reference cannot be linked (no id): it is held for IT',
    remedy: REPORT,
  },
  {
    key: 'feed-carries-number',
    label: 'a feed entry carries the meeting number',
    consequence: 'feed entries can be matched by nothing when the id is missing too',
    remedy: REPORT,
    // The number is the fallback: needed only when the feed does not carry the id.
    needed: (results) => results.get('feed-carries-id') !== 'confirmed',
  },
  {
    key: 'feed-carries-agenda',
    label: "a feed entry repeats the meeting's agenda (where meetsync writes its reference)",
    consequence: "the reference's absence from a feed proves nothing: lost creations will be held for IT rather than posted again",
    remedy: 'nothing to do for safety; to let meetsync resolve lost creations itself, ask the platform operator to include the agenda in the calendar feed',
  },
  {
    key: 'feed-follows-update',
    label: 'the feed shows a moved meeting at its new time',
    consequence: 'reconcile reports moved meetings as out of step with their events',
    remedy: REPORT,
  },
  {
    key: 'feed-drops-deleted',
    label: 'a deleted meeting leaves the feed',
    consequence: 'reconcile reports deleted meetings as still on the platform',
    remedy: REPORT,
  },
  {
    key: 'join-link',
    label: 'the join link (webMeeting.joinUrlTemplate) opens',
    consequence: 'every attendee gets a dead link; setting the template right later rewrites every event, and Outlook mails every attendee again',
    remedy: 'set webMeeting.joinUrlTemplate to the link your platform writes into its invitations (placeholders {meetingNumber}, {meetingId}) before going live',
  },
];

export interface ProbeOutcome {
  platform: string;
  organizerEmail: string;
  probedAt: string;
  entries: ProfileEntry[];
  /** Lines about the canary: made, deleted, or what is left and where. */
  canary: string[];
  /** False when the probe stopped before the end (interrupted, the platform refused meetsync). */
  finished: boolean;
}

export function assumption(key: string): Assumption {
  const found = ASSUMPTIONS.find((a) => a.key === key);
  if (!found) throw new Error(`no assumption ${key}`);
  return found;
}

/** The entries meetsync relies on that are not confirmed. */
export function gapsOf(entries: readonly ProfileEntry[]): ProfileEntry[] {
  const results = new Map(entries.map((e) => [e.assumption, e.result]));
  return entries.filter((e) => e.result !== 'confirmed' && (assumption(e.assumption).needed?.(results) ?? true));
}

/** Exit 0 only when every assumption meetsync relies on is confirmed and the canary is gone. */
export function probeExitCode(outcome: ProbeOutcome): number {
  return outcome.finished && gapsOf(outcome.entries).length === 0 ? 0 : 1;
}

const WIDTH = 'contradicted'.length;

export function renderProbe(outcome: ProbeOutcome): string {
  const lines = [`Probe of ${outcome.platform} as ${outcome.organizerEmail}, ${outcome.probedAt}:`];
  const gaps = new Set(gapsOf(outcome.entries).map((g) => g.assumption));
  for (const e of outcome.entries) {
    const a = assumption(e.assumption);
    lines.push(`${e.result.padEnd(WIDTH)}  ${a.label}: ${e.detail}`);
    if (!gaps.has(e.assumption)) {
      if (e.result !== 'confirmed') lines.push(`${''.padEnd(WIDTH)}  not relied on: ${a.tolerated ?? 'the assumptions above hold'}`);
    } else if (!e.detail.startsWith('not checked')) {
      // An assumption not reached says so in its detail; its consequence is the step's that stopped it.
      lines.push(`${''.padEnd(WIDTH)}  consequence: ${a.consequence}`);
      lines.push(`${''.padEnd(WIDTH)}  fix: ${a.remedy}`);
    }
  }
  lines.push('');
  for (const c of outcome.canary) lines.push(c);
  const n = gaps.size;
  if (!outcome.finished) lines.push('The probe did not finish and stored nothing: run it again.');
  else if (n === 0) lines.push('Everything meetsync relies on is confirmed. The platform profile is stored in the database.');
  else lines.push(`${n} gap${n === 1 ? '' : 's'}: ${[...gaps].join(', ')}. The platform profile is stored in the database, and meetsync acts on it (see each consequence).`);
  return lines.join('\n');
}

/** What `doctor` and `status` say of the stored profile: one line, then a line per gap. */
export function describeProfile(profile: PlatformProfile | undefined, baseUrl: string): string[] {
  if (!profile) return ['platform never probed: run meetsync doctor --probe-platform <email> before going live'];
  const gaps = gapsOf(profile.entries);
  const confirmed = profile.entries.filter((e) => e.result === 'confirmed').length;
  const lines = [
    `platform probed ${profile.probedAt} as ${profile.organizerEmail}: ${confirmed} of ${profile.entries.length} assumptions confirmed` +
      (gaps.length === 0 ? ', everything meetsync relies on' : `; ${gaps.length} gap${gaps.length === 1 ? '' : 's'}`),
  ];
  const origin = safeOrigin(baseUrl);
  if (origin !== profile.platform) lines.push(`  the probe was of ${profile.platform}, not of webMeeting.baseUrl (${origin}): probe again`);
  for (const g of gaps) lines.push(`  ${g.result} ${assumption(g.assumption).label}: ${assumption(g.assumption).consequence}`);
  return lines;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
