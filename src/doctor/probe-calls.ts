import type { Config } from '../config/schema.js';
import { describeError } from '../domain/errors.js';
import { scrub } from '../domain/redact.js';
import type { Canary, ProbeResult, ProfileEntry } from '../store/platform-profile.js';
import { DELETE_MEETING, defaultJoinUrlTemplate, isAlreadyGone, MEETING_ID_PATTERN, MEETING_NUMBER_PATTERN } from '../webmeeting/assumptions.js';
import { meetingBody } from '../webmeeting/client.js';
import { failureDetails, type ApiRequest, type ApiResponse, type HttpCore } from '../webmeeting/http.js';
import { CANARY_MOVE_MS } from './probe-feed.js';

/**
 * The probe's calls to the platform, each judging the answer it gets against one assumption:
 * create (answer shape, id and number forms), the join link, update (`PUT .../false`) and delete
 * (route, and "already gone" on a second delete). Sent through the raw request core, so that an
 * answer the client would refuse is seen as it is.
 */

/** What the probe found, by assumption key; details are scrubbed of secrets as they are set. */
export class Results {
  readonly map = new Map<string, ProfileEntry>();
  set(assumption: string, result: ProbeResult, detail: string): void {
    this.map.set(assumption, { assumption, result, detail: scrub(detail) });
  }
  has(assumption: string): boolean {
    return this.map.has(assumption);
  }
}

export interface Created {
  id?: string;
  number?: string;
}

export async function createCanary(http: HttpCore, config: Config, canary: Canary, results: Results): Promise<Created | undefined> {
  const end = new Date(Date.parse(canary.startAt) + 15 * 60_000).toISOString();
  const body = meetingBody({
    topic: canary.topic,
    startTime: canary.startAt,
    endTime: end,
    agenda: `A test meeting made by meetsync doctor --probe-platform, which deletes it again; if you see it, delete it.\nReference: ${canary.reference}`,
    ...config.webMeeting.meetingDefaults,
    recurrence: null,
  });
  const req: ApiRequest = { method: 'POST', path: '/api/v6/meeting', userId: canary.userId, body };
  let res: ApiResponse;
  try {
    res = await http.send(req);
  } catch (err) {
    // The meeting may exist all the same: the probe's clean-up looks for it in the feed.
    results.set('create-answer', 'unknown', `POST /api/v6/meeting got no answer: ${describeError(err)}`);
    return undefined;
  }
  const answer = envelopeOf(res);
  if (!answer.ok) {
    results.set('create-answer', 'contradicted', `POST /api/v6/meeting answered ${answer.said}`);
    return undefined;
  }
  const data = answer.data;
  const id = typeof data?.id === 'string' ? data.id : undefined;
  const number = typeof data?.meetingId === 'string' ? data.meetingId : typeof data?.meetingId === 'number' ? String(data.meetingId) : undefined;
  if (id && number) results.set('create-answer', 'confirmed', `answered responseCode 0 with meeting ${number} (id ${id})`);
  else results.set('create-answer', 'contradicted', `answered responseCode 0 but data ${data ? `has no ${id ? 'meetingId (number)' : 'id'}` : 'is not a meeting'}`);
  if (id) judgeForm(results, 'meeting-id-form', id, MEETING_ID_PATTERN, 'the id');
  if (number) judgeForm(results, 'meeting-number-form', number, MEETING_NUMBER_PATTERN, 'the number');
  return { ...(id ? { id } : {}), ...(number ? { number } : {}) };
}

function judgeForm(results: Results, key: string, value: string, pattern: RegExp, what: string): void {
  if (pattern.test(value)) results.set(key, 'confirmed', `${what} is ${value}`);
  else results.set(key, 'contradicted', `${what} is ${value}`);
}

export async function moveCanary(http: HttpCore, config: Config, canary: Canary, id: string, results: Results): Promise<string | undefined> {
  const startTime = new Date(Date.parse(canary.startAt) + CANARY_MOVE_MS).toISOString();
  const endTime = new Date(Date.parse(startTime) + 15 * 60_000).toISOString();
  const body = { ...meetingBody({ topic: canary.topic, startTime, endTime, ...config.webMeeting.meetingDefaults, recurrence: null }), id };
  const path = `/api/v6/meeting/${encodeURIComponent(id)}/false`;
  const res = await http.send({ method: 'PUT', path, userId: canary.userId, body });
  const answer = envelopeOf(res);
  if (!answer.ok) {
    results.set('update-answer', 'contradicted', `PUT ${path} answered ${answer.said}`);
    return undefined;
  }
  const data = answer.data;
  if (data === null || data === undefined) results.set('update-answer', 'contradicted', `answered responseCode 0 with data: ${data === null ? 'null' : 'missing'} (no meeting to read back)`);
  else if (data.id !== id) results.set('update-answer', 'contradicted', `answered responseCode 0, but data is not the meeting (id ${String(data.id)})`);
  else if (typeof data.startTime !== 'string' || Date.parse(data.startTime) !== Date.parse(startTime)) results.set('update-answer', 'contradicted', `answered the meeting with start ${String(data.startTime)}, not the new ${startTime}`);
  else results.set('update-answer', 'confirmed', 'answered responseCode 0 with the meeting at its new time');
  return startTime;
}

export async function deleteCanary(http: HttpCore, canary: Canary, id: string, results: Results): Promise<boolean> {
  const req: ApiRequest = { method: DELETE_MEETING.method, path: DELETE_MEETING.path(id), userId: canary.userId };
  const res = await http.send(req);
  const answer = deleteAnswer(res);
  if (answer !== 'deleted') {
    results.set('delete-route', 'contradicted', `${req.method} ${req.path} answered ${answer}`);
    return false;
  }
  results.set('delete-route', 'confirmed', `${req.method} ${req.path} answered success`);
  const again = await http.send(req);
  const details = failureDetails(again);
  if (isAlreadyGone(again.status, details.responseCode, details.responseMessage)) {
    results.set('delete-gone', 'confirmed', `a second DELETE answered HTTP ${again.status}${details.responseCode === undefined ? '' : `, responseCode ${details.responseCode}`}`);
  } else {
    results.set('delete-gone', 'contradicted', `a second DELETE answered ${said(again)}, which meetsync does not take for "already gone"`);
  }
  return true;
}

export function deleteAnswer(res: ApiResponse): 'deleted' | string {
  if (res.status >= 200 && res.status <= 299 && res.text.trim() === '') return 'deleted';
  const answer = envelopeOf(res);
  return answer.ok ? 'deleted' : answer.said;
}

/** The join link as the client builds it (assumptions.ts); any 2xx or 3xx is fine. */
export async function checkJoinLink(config: Config, created: Created, results: Results, signal: AbortSignal): Promise<void> {
  if (!created.number) return;
  const template = config.webMeeting.joinUrlTemplate ?? defaultJoinUrlTemplate(config.webMeeting.baseUrl);
  const url = template.replaceAll('{meetingNumber}', encodeURIComponent(created.number)).replaceAll('{meetingId}', encodeURIComponent(created.id ?? ''));
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(config.webMeeting.timeoutMs)]) });
    await res.body?.cancel();
    const where = res.status >= 300 && res.status < 400 ? ` (to ${res.headers.get('location') ?? 'nowhere'})` : '';
    results.set('join-link', res.status >= 200 && res.status < 400 ? 'confirmed' : 'contradicted', `GET ${url} answered HTTP ${res.status}${where}`);
  } catch (err) {
    results.set('join-link', 'contradicted', `GET ${url} got no answer: ${describeError(err)}`);
  }
}

type Envelope = { ok: true; data: Record<string, unknown> | null | undefined } | { ok: false; said: string };

/** responseCode 0 with a 2xx is success (WEB-MEETING-API.md: an error may come either way). */
function envelopeOf(res: ApiResponse): Envelope {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return { ok: false, said: `HTTP ${res.status} with a body that is not JSON` };
  }
  const env = body as { responseCode?: unknown; data?: unknown };
  if (res.status < 200 || res.status > 299 || env.responseCode !== 0) return { ok: false, said: said(res) };
  const data = env.data;
  return { ok: true, data: data === null || data === undefined ? (data as null | undefined) : typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {} };
}

export function said(res: ApiResponse): string {
  const d = failureDetails(res);
  return `HTTP ${res.status}${d.responseCode === undefined ? '' : `, responseCode ${d.responseCode}`}${d.responseMessage ? ` "${scrub(d.responseMessage)}"` : ''}`;
}
