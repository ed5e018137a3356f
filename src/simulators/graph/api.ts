import type { DeltaService } from './delta.js';
import {
  accessDenied,
  accessPolicyDenied,
  badRequest,
  GraphApiError,
  invalidJson,
  invalidUser,
  itemNotFound,
  mailboxConcurrency,
  meWithAppOnly,
  syncStateNotFound,
  throttledBody,
} from './errors.js';
import type { AppGrant, GraphIdentity } from './identity.js';
import { parseEventInput } from './input.js';
import { calendarView, defaultCalendar, seriesInstances, type Mailbox, type SimCalendar, type Target } from './model.js';
import { presentEvent, select, type PresentOptions } from './present.js';
import { clientRequestId, expandedProperties, pageOf, preferences, selectedProperties, type Preferences } from './query.js';
import type { GraphStore } from './store.js';
import type { SubscriptionService } from './subscriptions.js';
import { parseQueryInstant } from './timezones.js';
import { header, type SimRequest, type SimResponse } from '../kit/server.js';

/**
 * The Graph v1.0 routes under /v1.0, for app-only callers (client credentials): mailboxes are
 * addressed as /users/{id | userPrincipalName}; /me answers 400 as Graph does without a signed-in
 * user. Served: calendarView/delta, calendarView, events (list, POST), events/{id} (GET, PATCH,
 * DELETE), events/{id}/instances, calendars, calendars/{id}; under `/calendar/…` (the default
 * calendar) or `/calendars/{id}/…` the collections and items are that calendar's only;
 * /subscriptions (change notifications) is graph/subscriptions.ts's.
 * Anything else is a loud 400 naming the segment and the path, as Graph (and the Octokit
 * fixtures server) do. Outlook allows 4 concurrent requests per mailbox ("MailboxConcurrency");
 * the simulator counts them, records the most seen, and answers 429 beyond the limit.
 */

export interface GraphApiOptions {
  defaultPageSize: number;
  latencyMs: () => number;
  concurrencyLimit: number | false;
  zoneWithoutPreference: 'UTC' | 'original';
  /** /v1.0/subscriptions (change notifications). */
  subscriptions: () => SubscriptionService;
}

const READ_ROLES = ['Calendars.Read', 'Calendars.ReadWrite', 'Calendars.ReadBasic'];
const DELTA = /^(delta|delta\(\)|microsoft\.graph\.delta|microsoft\.graph\.delta\(\))$/i;
const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/**
 * An Exchange Online application access policy (New-ApplicationAccessPolicy): RestrictAccess lets
 * the app reach only the listed mailboxes, DenyAccess all but them. In Exchange the scope is a
 * mail-enabled security group; here it is its members. The policy is checked on every call, not
 * baked into the token (auth-limit-mailbox-access.md: "Changes to application access policies can
 * take longer than 1 hour to take effect", i.e. they are Exchange's, not the token's).
 */
export interface AccessPolicy {
  accessRight: 'RestrictAccess' | 'DenyAccess';
  mailboxes: string[];
}

/** A fault injected by a test: the next matching calls answer it instead. */
export interface InjectedFault {
  status: 410 | 429 | 503;
  retryAfterSeconds?: number;
  mailbox?: Mailbox;
  method?: string;
  /** Only delta requests (410 is only ever a delta answer). */
  deltaOnly?: boolean;
  remaining: number;
}

export class GraphApi {
  private faults: InjectedFault[] = [];
  private readonly policies = new Map<string, AccessPolicy>();

  constructor(
    private readonly store: GraphStore,
    private readonly identity: GraphIdentity,
    private readonly delta: DeltaService,
    private readonly graphBase: () => string,
    private readonly options: GraphApiOptions,
  ) {}

  inject(fault: InjectedFault): void {
    this.faults.push(fault);
  }

  /** Sets (or, with null, removes) the application access policy of an app. */
  setAccessPolicy(clientId: string, policy: AccessPolicy | null): void {
    if (policy) this.policies.set(clientId, { accessRight: policy.accessRight, mailboxes: policy.mailboxes.map((m) => m.toLowerCase()) });
    else this.policies.delete(clientId);
  }

  /** Whether the app's application access policy lets it reach the mailbox. */
  policyAllows(grant: AppGrant, mailbox: Mailbox): boolean {
    const policy = this.policies.get(grant.clientId);
    if (!policy) return true;
    const listed = policy.mailboxes.includes(mailbox.address.toLowerCase()) || policy.mailboxes.includes(mailbox.id.toLowerCase());
    return policy.accessRight === 'RestrictAccess' ? listed : !listed;
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    const requestId = clientRequestId(req);
    let prefs: Preferences = { immutableIds: false, bodyAsText: false, applied: [] };
    let answer: SimResponse;
    try {
      prefs = preferences(req);
      answer = await this.route(req, prefs);
    } catch (err) {
      if (!(err instanceof GraphApiError)) throw err;
      answer = err.toResponse(requestId);
    }
    return {
      ...answer,
      headers: {
        ...(answer.body !== undefined ? { 'content-type': ODATA_JSON } : {}),
        ...(requestId ? { 'client-request-id': requestId } : {}),
        ...(prefs.applied.length > 0 && answer.status < 300 ? { 'preference-applied': prefs.applied.join(', ') } : {}),
        ...answer.headers,
      },
    };
  }

  private async route(req: SimRequest, prefs: Preferences): Promise<SimResponse> {
    const grant = this.identity.authenticate(req);
    const segments = req.path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const first = segments[0]?.toLowerCase();
    if (first === 'subscriptions') return this.options.subscriptions().handle(req, grant, prefs.immutableIds, segments.slice(1));
    if (first === 'me') throw meWithAppOnly();
    if (first !== 'users' || segments[1] === undefined) throw unknownSegment(req, segments[0] ?? '');
    const mailbox = this.store.mailbox(segments[1]);
    if (!mailbox) throw invalidUser(segments[1]);
    if (!this.policyAllows(grant, mailbox)) throw accessPolicyDenied();
    const userSegment = encodeURIComponent(segments[1]).replaceAll('%40', '@');
    const rest = segments.slice(2);

    mailbox.inFlight += 1;
    mailbox.maxInFlight = Math.max(mailbox.maxInFlight, mailbox.inFlight);
    try {
      if (this.options.concurrencyLimit !== false && mailbox.inFlight > this.options.concurrencyLimit) throw mailboxConcurrency(1);
      const latency = this.options.latencyMs();
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      return this.mailboxRoute(req, prefs, grant, mailbox, userSegment, rest);
    } finally {
      mailbox.inFlight -= 1;
    }
  }

  private mailboxRoute(req: SimRequest, prefs: Preferences, grant: AppGrant, mailbox: Mailbox, userSegment: string, path: string[]): SimResponse {
    const writes = req.method !== 'GET';
    if (!grant.roles.some((r) => (writes ? r === 'Calendars.ReadWrite' : READ_ROLES.includes(r)))) throw accessDenied();
    const context = (what: string) => `${this.graphBase()}/$metadata#users('${userSegment}')/${what}`;
    // `/calendar/…` is the default calendar and `/calendars/{id}/…` another one (event-get.md,
    // calendar-get.md); without either, `/events/{id}` names the item wherever it is in the
    // mailbox (Deleted Items included) and the other collections are the default calendar's.
    let rest = path;
    let folder: string | undefined;
    const head = rest[0]?.toLowerCase();
    if (head === 'calendar' || head === 'calendars') {
      let calendar: SimCalendar | undefined;
      if (head === 'calendar') {
        calendar = defaultCalendar(mailbox);
        rest = rest.slice(1);
      } else {
        if (rest[1] === undefined) {
          onlyMethod(req, 'GET');
          return ok({ '@odata.context': context('calendars'), value: mailbox.calendars.map((c) => presentCalendar(c, mailbox)) });
        }
        calendar = mailbox.calendars.find((c) => c.id === rest[1]);
        if (!calendar) throw itemNotFound();
        rest = rest.slice(2);
      }
      folder = calendar.id;
      if (rest.length === 0) {
        onlyMethod(req, 'GET');
        return ok({ '@odata.context': context('calendars/$entity'), ...presentCalendar(calendar, mailbox) });
      }
    }
    const options: PresentOptions = {
      immutableIds: prefs.immutableIds,
      bodyAsText: prefs.bodyAsText,
      zoneWithoutPreference: this.options.zoneWithoutPreference,
      ...(prefs.zone ? { zone: prefs.zone } : {}),
    };
    const [collection, id, sub, extra] = rest;
    const name = collection?.toLowerCase();
    const selfUrl = `${this.graphBase()}/users/${userSegment}/${path.map(encodeURIComponent).join('/')}`;
    const isDelta = name === 'calendarview' && id !== undefined && DELTA.test(id) && sub === undefined;
    this.injectedFault(req, mailbox, isDelta, `${this.graphBase()}/users/${userSegment}/calendarView/delta`);

    // Loud rather than silently ignored: the simulator does not evaluate these on plain lists.
    for (const option of ['$filter', '$orderby', '$search']) {
      if (!isDelta && [...req.query.keys()].some((k) => k.toLowerCase() === option)) {
        throw badRequest(`The Microsoft Graph simulator does not support ${option} on ${req.path}; ask for it to be added.`);
      }
    }

    if (isDelta) {
      onlyMethod(req, 'GET');
      if (folder !== undefined && folder !== defaultCalendar(mailbox).id) {
        throw badRequest('The Microsoft Graph simulator serves calendarView/delta of the default calendar only; ask for it to be added.');
      }
      return ok(this.delta.handle(req, mailbox, userSegment, prefs.maxPageSize, options));
    }
    if (name === 'calendarview' && id === undefined) {
      onlyMethod(req, 'GET');
      const { fromMs, toMs } = window(req.query);
      const items = calendarView(mailbox, fromMs, toMs, folder).map((v) => presentEvent(v.event, v.ref.occurrence, options));
      return ok({ '@odata.context': context('calendarView'), ...pageOf(items, req, prefs, this.options.defaultPageSize, selfUrl) });
    }
    if (name !== 'events') throw unknownSegment(req, collection ?? '');

    const expand = expandedProperties(req.query);
    const selected = selectedProperties(req.query);
    const show = (target: Target) => select(presentEvent(target.event, target.occurrence, { ...options, ...(expand ? { expand } : {}) }), selected);
    if (id === undefined) {
      if (req.method === 'POST') {
        const event = this.store.create(mailbox, parseEventInput(body(req)), undefined, folder);
        return { status: 201, body: { '@odata.context': context('events/$entity'), ...show({ event }) } };
      }
      onlyMethod(req, 'GET');
      const inFolder = folder ?? defaultCalendar(mailbox).id;
      const events = [...mailbox.events.values()].filter((e) => e.folder === inFolder).sort((a, b) => a.createdMs - b.createdMs).map((event) => show({ event }));
      return ok({ '@odata.context': context('events'), ...pageOf(events, req, prefs, this.options.defaultPageSize, selfUrl) });
    }
    const target = this.store.resolve(mailbox, id, folder);
    if (sub === undefined) {
      switch (req.method) {
        case 'GET':
          return ok({ '@odata.context': context('events/$entity'), ...show(target) });
        case 'PATCH': {
          checkIfMatch(req, target);
          const raw = body(req);
          const properties = raw && typeof raw === 'object' ? Object.keys(raw) : [];
          this.store.update(mailbox, target, parseEventInput(raw), { api: true, properties });
          return ok({ '@odata.context': context('events/$entity'), ...show(target) });
        }
        case 'DELETE':
          checkIfMatch(req, target);
          this.store.remove(mailbox, target, { api: true });
          return { status: 204 };
      }
      throw methodNotAllowed(req);
    }
    if (sub.toLowerCase() === 'instances' && extra === undefined) {
      onlyMethod(req, 'GET');
      if (target.occurrence || !target.event.recurrence) throw badRequest('instances is only valid on a series master.', 'ErrorInvalidRequest');
      const { fromMs, toMs } = window(req.query);
      const items = seriesInstances(mailbox, target.event, fromMs, toMs).map((v) => show({ event: v.event, ...(v.ref.occurrence ? { occurrence: v.ref.occurrence } : {}) }));
      return ok({ '@odata.context': context(`events('${id}')/instances`), ...pageOf(items, req, prefs, this.options.defaultPageSize, selfUrl) });
    }
    throw unknownSegment(req, sub);
  }

  /** Throws the first injected fault this request matches, counting it down. */
  private injectedFault(req: SimRequest, mailbox: Mailbox, isDelta: boolean, deltaUrl: string): void {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (!f.mailbox || f.mailbox === mailbox) && (!f.method || f.method === req.method) && (!f.deltaOnly || isDelta),
    );
    if (!fault) return;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    if (fault.status === 410) throw syncStateNotFound(deltaUrl);
    const body = throttledBody(fault.status).error as { code: string; message: string };
    throw new GraphApiError(fault.status, body.code, body.message, { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
  }
}

/** resources/calendar.md, the fields a client may look at. */
function presentCalendar(calendar: SimCalendar, mailbox: Mailbox): Record<string, unknown> {
  return {
    id: calendar.id,
    name: calendar.name,
    isDefaultCalendar: calendar.isDefaultCalendar,
    canEdit: true,
    canShare: true,
    canViewPrivateItems: true,
    owner: { name: mailbox.displayName, address: mailbox.address },
  };
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function body(req: SimRequest): unknown {
  try {
    return req.json() ?? {};
  } catch {
    throw invalidJson();
  }
}

function window(query: URLSearchParams): { fromMs: number; toMs: number } {
  const get = (name: string) => [...query].find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
  const fromMs = parseQueryInstant(get('startdatetime'));
  const toMs = parseQueryInstant(get('enddatetime'));
  if (fromMs === undefined || toMs === undefined) {
    throw badRequest('This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.', 'ErrorInvalidParameter');
  }
  return { fromMs, toMs };
}

/** If-Match with the @odata.etag: a stale change key is Exchange's ErrorIrresolvableConflict (412). */
function checkIfMatch(req: SimRequest, target: Target): void {
  const ifMatch = header(req.headers, 'if-match');
  if (ifMatch === undefined || ifMatch === '*') return;
  const record = target.occurrence ? target.event.exceptions.get(target.occurrence) ?? target.event : target.event;
  if (ifMatch !== `W/"${record.changeKey}"` && ifMatch !== record.changeKey) {
    throw new GraphApiError(
      412,
      'ErrorIrresolvableConflict',
      'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
    );
  }
}

function onlyMethod(req: SimRequest, method: string): void {
  if (req.method !== method) throw methodNotAllowed(req);
}

function methodNotAllowed(req: SimRequest): GraphApiError {
  return new GraphApiError(405, 'BadRequest', `The simulator (like Graph) does not support ${req.method} on ${req.path}.`);
}

/** Graph's answer to an unknown segment, with the Octokit-fixtures habit of naming what exists. */
export function unknownSegment(req: SimRequest, segment: string): GraphApiError {
  return badRequest(
    `Resource not found for the segment '${segment}'. (Microsoft Graph simulator: no route for ${req.method} ${req.path}; it serves ` +
      '/v1.0/users/{id|upn}/calendarView/delta, /calendarView, /events, /events/{id}, /events/{id}/instances, /calendars, ' +
      'the same under /calendar/ and /calendars/{id}/, and /v1.0/subscriptions[/{id}[/reauthorize]].)',
  );
}
