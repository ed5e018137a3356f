import { randomInt, randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { describeError, UsageError } from '../domain/errors.js';
import type { PlatformUser } from '../domain/meeting.js';
import { registerSecret, scrub } from '../domain/redact.js';
import { silentLogger } from '../log.js';
import type { Store } from '../store/store.js';
import { canaryCreated, forgetCanary, leftCanaries, recordCanary, saveProfile, type Canary } from '../store/platform-profile.js';
import { DELETE_MEETING, isAlreadyGone } from '../webmeeting/assumptions.js';
import type { WebMeetingClient } from '../webmeeting/client.js';
import { failureDetails, HttpCore, type ApiRequest } from '../webmeeting/http.js';
import { checkJoinLink, createCanary, deleteAnswer, deleteCanary, moveCanary, Results, said } from './probe-calls.js';
import { carries, findCanary, readProbeFeed, startsAt, type CanaryLook, type FeedAnswer, type FeedEntry } from './probe-feed.js';
import type { ProbeOutcome } from './probe-report.js';

/**
 * `meetsync doctor --probe-platform <email>`: one canary meeting in the organizer's name, made,
 * read back through their feed, moved, deleted and seen to leave the feed; each step checks one
 * of meetsync's assumptions (probe-report.ts). The probe talks to the platform with the raw
 * request core, not the client: the client refuses what it does not expect, and what it does not
 * expect is what the probe is here to see. The canary is recorded in the database before its
 * POST and deleted on every path (an interrupt aborts `signal`, the steps stop, the canary is
 * deleted); a probe killed outright leaves the record, and the next probe deletes the meeting.
 */

export const CANARY_TOPIC = 'meetsync probe — safe to delete';

export interface ProbeOptions {
  config: Config;
  store: Store;
  /** Lists account admins (the client: its parsing of the admin list is not under test here). */
  client: WebMeetingClient;
  email: string;
  /** How long to wait for the feed to show a change. */
  waitMs: number;
  /** Between two reads of the feed. @default 1000 */
  pollMs?: number;
  /** Aborted on SIGINT/SIGTERM: the probe stops and deletes its canary. */
  signal: AbortSignal;
  /** Told each step as it starts, for a progress line. */
  onStep?: (text: string) => void;
}

interface Organizer {
  user: PlatformUser;
  icsPath?: string;
}

const ORDER = [
  'admin-lists-every-organizer',
  'create-answer',
  'meeting-id-form',
  'meeting-number-form',
  'update-answer',
  'delete-route',
  'delete-gone',
  'feed-without-key',
  'feed-shows-soon',
  'feed-carries-id',
  'feed-carries-number',
  'feed-carries-agenda',
  'feed-follows-update',
  'feed-drops-deleted',
  'join-link',
];

export async function probePlatform(options: ProbeOptions): Promise<ProbeOutcome> {
  const { config, store, signal } = options;
  const email = options.email.toLowerCase();
  const results = new Results();
  const canaryLines: string[] = [];
  const http = new HttpCore({
    baseUrl: config.webMeeting.baseUrl,
    apiKey: config.webMeeting.apiKey,
    timeoutMs: config.webMeeting.timeoutMs,
    retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 1000, maxRetryAfterMs: 5000 },
    logger: silentLogger(),
  });
  registerSecret(config.webMeeting.apiKey);
  const step = (text: string) => options.onStep?.(text);

  step('reading the accounts');
  const organizers = await findOrganizers(options, results);
  const organizer = organizers.get(email);
  if (!organizer) {
    const known = [...organizers.keys()];
    throw new UsageError(
      `--probe-platform ${options.email}: no organizer with this email in the accounts meetsync knows (${known.length} organizer${known.length === 1 ? '' : 's'} listed); ` +
        `give the email of an organizer in webMeeting.accountIds, or create one with 'meetsync accounts create --email ${options.email} --first <name> --last <name>'`,
    );
  }

  const feedState = { withKey: false };
  for (const left of leftCanaries(store.sql)) {
    step('deleting a canary left by an earlier probe');
    const owner = organizers.get(left.organizerEmail);
    canaryLines.push(await cleanUp(http, store, left, owner, feedState, 'left by an earlier probe'));
  }

  const start = new Date(Date.now() + 30 * 86_400_000);
  start.setUTCSeconds(0, 0);
  start.setUTCMinutes(randomInt(0, 60));
  const canary: Canary = {
    reference: `meetsync:${randomUUID()}`,
    organizerEmail: email,
    userId: organizer.user.id,
    topic: CANARY_TOPIC,
    startAt: start.toISOString(),
    createdAt: new Date().toISOString(),
  };
  let deleted = false;
  let number: string | undefined;
  try {
    recordCanary(store.sql, canary);
    step('creating the canary meeting');
    const created = await createCanary(http, config, canary, results);
    if (created?.id) {
      canary.meetingId = created.id;
      canaryCreated(store.sql, canary.reference, created.id);
    }
    number = created?.number;
    const look = (): CanaryLook => ({ reference: canary.reference, topic: canary.topic, startAt: canary.startAt, ...(canary.meetingId ? { id: canary.meetingId } : {}), ...(number ? { number } : {}) });

    if (created && !signal.aborted) {
      step('opening the join link');
      await checkJoinLink(config, created, results, signal);
    }
    if (created && !signal.aborted && organizer.icsPath) {
      step('waiting for the canary in the feed');
      const seen = await waitForFeed(http, organizer.icsPath, feedState, options, results, (entries) => findCanary(entries, look()));
      if (seen) judgeEntry(seen.entry, look(), results, seen.afterMs, options.waitMs);
      else if (!signal.aborted && results.map.get('feed-without-key')?.result !== 'contradicted') {
        results.set('feed-shows-soon', 'unknown', `the canary did not show in the feed within ${seconds(options.waitMs)}`);
        for (const key of ['feed-carries-id', 'feed-carries-number', 'feed-carries-agenda', 'feed-follows-update', 'feed-drops-deleted']) {
          results.set(key, 'unknown', 'not checked: the canary never showed in the feed');
        }
      }
    } else if (!organizer.icsPath) {
      results.set('feed-without-key', 'unknown', `the admin list gives ${email} no feed (no icsPath or icsToken)`);
    }
    if (created?.id && !signal.aborted) {
      step('moving the canary');
      const moved = await moveCanary(http, config, canary, created.id, results);
      if (moved && organizer.icsPath && results.map.get('feed-shows-soon')?.result === 'confirmed' && !signal.aborted) {
        const seen = await waitForFeed(http, organizer.icsPath, feedState, options, undefined, (entries) => {
          const e = findCanary(entries, look());
          return e && startsAt(e, moved) ? e : undefined;
        });
        if (seen) results.set('feed-follows-update', 'confirmed', `the feed showed the new start after ${seconds(seen.afterMs)}`);
        else if (!signal.aborted) results.set('feed-follows-update', 'contradicted', `the feed still showed the old start ${seconds(options.waitMs)} after the update`);
      }
    }
    if (created?.id && !signal.aborted) {
      step('deleting the canary');
      deleted = await deleteCanary(http, canary, created.id, results);
      if (deleted) {
        forgetCanary(store.sql, canary.reference);
        canaryLines.push(`Canary ${number ?? created.id} made and deleted.`);
      }
      if (deleted && organizer.icsPath && results.map.get('feed-shows-soon')?.result === 'confirmed' && !signal.aborted) {
        const gone = await waitForFeed(http, organizer.icsPath, feedState, options, undefined, (entries) => (findCanary(entries, look()) ? undefined : true));
        if (gone) results.set('feed-drops-deleted', 'confirmed', `the canary left the feed after ${seconds(gone.afterMs)}`);
        else if (!signal.aborted) results.set('feed-drops-deleted', 'contradicted', `the canary was still in the feed ${seconds(options.waitMs)} after its deletion`);
      }
    }
  } catch (err) {
    canaryLines.push(`The probe stopped: ${scrub(describeError(err))}`);
  } finally {
    if (!deleted) canaryLines.push(await cleanUp(http, store, canary, organizer, feedState, 'of this probe'));
  }
  for (const key of ORDER) if (!results.has(key)) results.set(key, 'unknown', signal.aborted ? 'not checked: the probe was interrupted' : 'not checked: an earlier step failed');
  const outcome: ProbeOutcome = {
    platform: new URL(config.webMeeting.baseUrl).origin,
    organizerEmail: email,
    probedAt: new Date().toISOString(),
    entries: ORDER.map((k) => results.map.get(k)!),
    canary: canaryLines,
    finished: !signal.aborted,
  };
  if (signal.aborted) outcome.canary.push('Interrupted: the platform profile was not changed.');
  // An interrupted probe leaves the stored profile as it was: half a probe would read as gaps.
  else saveProfile(store.sql, outcome);
  return outcome;
}

/** Every account's admins, by email; judges whether an account lists more than its first organizer. */
async function findOrganizers(options: ProbeOptions, results: Results): Promise<Map<string, Organizer>> {
  const accounts = [...new Set([...options.config.webMeeting.accountIds, ...options.store.organizers().map((o) => o.accountId)])];
  if (accounts.length === 0) {
    throw new UsageError(
      `--probe-platform ${options.email}: meetsync knows no platform account (webMeeting.accountIds is empty and the database knows no organizer); add your account ids to webMeeting.accountIds, or create one with 'meetsync accounts create'`,
    );
  }
  const found = new Map<string, Organizer>();
  const counts: number[] = [];
  for (const id of accounts) {
    const admins = await options.client.listAccountAdmins(id);
    counts.push(admins.length);
    for (const user of admins) found.set(user.email.toLowerCase(), { user, ...(user.icsPath ? { icsPath: user.icsPath } : {}) });
  }
  const most = Math.max(...counts);
  if (most > 1) results.set('admin-lists-every-organizer', 'confirmed', `an account lists ${most} organizers`);
  else {
    results.set(
      'admin-lists-every-organizer',
      'unknown',
      `each of the ${accounts.length} account${accounts.length === 1 ? '' : 's'} lists one organizer, so it cannot be told whether an account with several lists them all`,
    );
  }
  return found;
}

/**
 * Reads the feed until `match` finds what is awaited, or `waitMs` passes. The first read judges
 * whether the feed needs the key: without it first, then (401/403) with it, on the API's host.
 */
async function waitForFeed<T>(
  http: HttpCore,
  icsPath: string,
  state: { withKey: boolean },
  options: ProbeOptions,
  results: Results | undefined,
  match: (entries: readonly FeedEntry[]) => T | undefined,
): Promise<{ entry: T; afterMs: number } | undefined> {
  const started = Date.now();
  for (;;) {
    let answer: FeedAnswer = await readProbeFeed(http, icsPath, state.withKey);
    if (answer.kind === 'refused' && !state.withKey && (answer.status === 401 || answer.status === 403)) {
      const keyed = await readProbeFeed(http, icsPath, true);
      if (keyed.kind === 'read') {
        state.withKey = true;
        results?.set('feed-without-key', 'contradicted', `the feed answered HTTP ${answer.status} without the API key, and was read with it`);
      }
      answer = keyed;
    }
    if (answer.kind === 'read') {
      if (results && !results.has('feed-without-key')) results.set('feed-without-key', 'confirmed', 'the feed was read without the API key');
      const entry = match(answer.entries);
      if (entry !== undefined) return { entry, afterMs: Date.now() - started };
    } else if (results && !results.has('feed-without-key')) {
      const what = answer.kind === 'refused' ? `answered HTTP ${answer.status}${answer.withKey ? ' with the API key too' : ''}` : `could not be read: ${answer.why}`;
      results.set('feed-without-key', answer.kind === 'refused' ? 'contradicted' : 'unknown', `the feed ${what}`);
      return undefined;
    }
    if (Date.now() - started >= options.waitMs || options.signal.aborted) return undefined;
    await sleep(Math.min(options.pollMs ?? 1000, options.waitMs), options.signal);
  }
}

function judgeEntry(entry: FeedEntry, look: CanaryLook, results: Results, afterMs: number, waitMs: number): void {
  results.set('feed-shows-soon', 'confirmed', `the canary showed in the feed after ${seconds(afterMs)} (waited up to ${seconds(waitMs)})`);
  const idIn = carries(entry, look.id);
  results.set('feed-carries-id', idIn ? 'confirmed' : 'contradicted', idIn ? 'its entry carries the id' : `its entry (UID, URL, DESCRIPTION, LOCATION) does not carry the id ${look.id ?? '(none answered)'}`);
  const numberIn = carries(entry, look.number);
  results.set('feed-carries-number', numberIn ? 'confirmed' : 'contradicted', numberIn ? 'its entry carries the number' : `its entry does not carry the number ${look.number ?? '(none answered)'}`);
  const agendaIn = (entry.props.get('DESCRIPTION') ?? '').includes(look.reference);
  results.set('feed-carries-agenda', agendaIn ? 'confirmed' : 'contradicted', agendaIn ? "its DESCRIPTION carries the canary's reference" : "its DESCRIPTION does not carry the canary's reference (the agenda)");
}

/**
 * Deletes a canary whatever happened: by its id when the POST answered one, else found in the
 * organizer's feed (by reference, or by topic and start). Returns the line to print.
 */
async function cleanUp(http: HttpCore, store: Store, canary: Canary, owner: Organizer | undefined, feedState: { withKey: boolean }, whose: string): Promise<string> {
  const made = `${whose} (${canary.createdAt})`;
  let id = canary.meetingId;
  if (!id && owner?.icsPath) {
    let answer = await readProbeFeed(http, owner.icsPath, feedState.withKey);
    // A feed that needs the key (the probe's own finding, or not yet known for an earlier canary).
    if (answer.kind === 'refused' && (answer.status === 401 || answer.status === 403) && !feedState.withKey) answer = await readProbeFeed(http, owner.icsPath, true);
    const entry = answer.kind === 'read' ? findCanary(answer.entries, { reference: canary.reference, topic: canary.topic, startAt: canary.startAt }) : undefined;
    const uid = entry?.props.get('UID') ?? '';
    id = /[0-9a-f]{24}/i.exec(uid)?.[0] ?? /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(uid)?.[0];
    if (!entry && answer.kind === 'read') {
      // The feed may lag: the record is kept (and looked for by the next probe) for a day.
      if (Date.now() - Date.parse(canary.createdAt) < 86_400_000) {
        return `Canary ${made} (topic "${canary.topic}", start ${canary.startAt}): its POST got no id back and ${canary.organizerEmail}'s feed does not show it (yet); the next probe looks again.`;
      }
      forgetCanary(store.sql, canary.reference);
      return `Canary ${made} (topic "${canary.topic}", start ${canary.startAt}): its POST got no id back and the feed has not shown it for a day, so it was most likely never made; if ${canary.organizerEmail} has a meeting with that topic and start, delete it.`;
    }
  }
  if (!id) {
    return `Canary ${made} LEFT on the platform: no id is known and the feed did not name it. Delete "${canary.topic}" at ${canary.startAt} in ${canary.organizerEmail}'s meetings; the next probe tries again.`;
  }
  try {
    const req: ApiRequest = { method: DELETE_MEETING.method, path: DELETE_MEETING.path(id), userId: canary.userId };
    const res = await http.send(req);
    const details = failureDetails(res);
    if (deleteAnswer(res) === 'deleted' || isAlreadyGone(res.status, details.responseCode, details.responseMessage)) {
      forgetCanary(store.sql, canary.reference);
      return `Canary ${id} ${made} deleted.`;
    }
    return `Canary ${id} ${made} LEFT on the platform: DELETE answered ${said(res)}. Delete it by hand ("${canary.topic}" at ${canary.startAt}, ${canary.organizerEmail}); the next probe tries again.`;
  } catch (err) {
    return `Canary ${id} ${made} LEFT on the platform: ${describeError(err)}. The next probe deletes it.`;
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
