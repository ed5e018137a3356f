import { GraphApiError } from './errors.js';
import type { Notification } from './model.js';
import type { GraphClient, GraphEvent } from './types.js';
import type { SimRequest, SimResponse } from '../kit/server.js';

/**
 * The Graph simulator's /_sim/ endpoints, so a test or `meetsync simulate` in another process can
 * seed mailboxes, act as a user in Outlook and inject faults. Bodies and answers are JSON. The
 * kit's own /_sim/faults and /_sim/requests stay available.
 */

type Body = Record<string, unknown>;

/** The simulator methods the control endpoints drive. */
export interface GraphControlTarget {
  addClient(client: GraphClient): void;
  setApplicationAccessPolicy(clientId: string, policy: { accessRight: 'RestrictAccess' | 'DenyAccess'; mailboxes: string[] } | null): void;
  addMailbox(address: string, options?: { displayName?: string; id?: string }): { id: string; address: string };
  expireAccessTokens(): void;
  expireClientSecret(clientId: string): void;
  userInsert(mailbox: string, event: Body): GraphEvent;
  userPatch(mailbox: string, eventId: string, patch: Body): GraphEvent;
  userDelete(mailbox: string, eventId: string, options?: { mode?: 'permanent' | 'deleted-items' }): void;
  addCalendar(mailbox: string, name: string): { id: string; name: string };
  userMoveEventTo(mailbox: string, eventId: string, to: string): void;
  userEditOccurrence(mailbox: string, seriesId: string, originalDate: string, patch: Body): GraphEvent;
  userCancelOccurrence(mailbox: string, seriesId: string, originalDate: string): void;
  userMoveEvent(mailbox: string, eventId: string): void;
  events(mailbox: string): GraphEvent[];
  notifications(mailbox: string, eventId: string): Notification[];
  expireDeltaTokens(mailbox?: string): void;
  injectStrippedDelta(mailbox: string, options?: { rounds?: number; all?: boolean }): void;
  injectDeltaReplay(mailbox: string, mode: 'within-round' | 'next-round', rounds?: number): void;
  injectThrottle(count: number, options?: { status?: 429 | 503; retryAfterSeconds?: number; mailbox?: string; method?: string }): void;
  injectDeltaGone(count?: number, mailbox?: string): void;
  setLatency(ms: number): void;
  concurrency(mailbox: string): { inFlight: number; max: number };
  subscriptions(): unknown[];
  expireSubscription(id: string): void;
  sendLifecycleNotification(id: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed', options?: { pauseDelivery?: boolean }): void;
  deliveries(): unknown[];
}

const LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new Error(`body field "${key}" (string) is required`);
  return v;
}

function num(body: Body, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new Error(`body field "${key}" must be a number`);
  return v;
}

export function graphControl(sim: GraphControlTarget): (req: SimRequest) => SimResponse {
  return (req) => {
    try {
      const parsed = req.json();
      const body: Body = parsed && typeof parsed === 'object' ? (parsed as Body) : {};
      return route(sim, req.method, req.path.split('/').slice(2).map(decodeURIComponent), body);
    } catch (err) {
      if (err instanceof GraphApiError) return err.toResponse();
      return { status: 400, body: { error: `graph simulator control: ${(err as Error).message}` } };
    }
  };
}

function route(sim: GraphControlTarget, method: string, parts: string[], body: Body): SimResponse {
  const [first, mailbox, sub, eventId, action] = parts;
  const key = `${method} ${first ?? ''}${mailbox !== undefined ? '/:m' : ''}${sub ? `/${sub}` : ''}${eventId !== undefined ? '/:e' : ''}${action ? `/${action}` : ''}`;
  const m = mailbox!;
  const e = eventId!;
  switch (key) {
    case 'POST clients':
      sim.addClient({
        tenantId: str(body, 'tenantId'),
        clientId: str(body, 'clientId'),
        ...(typeof body.clientSecret === 'string' ? { clientSecret: body.clientSecret } : {}),
        ...(Array.isArray(body.certificates) ? { certificates: body.certificates.map(String) } : {}),
        ...(Array.isArray(body.roles) ? { roles: body.roles.map(String) } : {}),
      });
      return { status: 204 };
    case 'POST access-policies/:m': {
      // /_sim/access-policies/{clientId} {accessRight, mailboxes}
      const accessRight = body.accessRight === 'DenyAccess' ? 'DenyAccess' : 'RestrictAccess';
      if (!Array.isArray(body.mailboxes)) throw new Error('body field "mailboxes" (array of addresses) is required');
      sim.setApplicationAccessPolicy(m, { accessRight, mailboxes: body.mailboxes.map(String) });
      return { status: 204 };
    }
    case 'DELETE access-policies/:m':
      sim.setApplicationAccessPolicy(m, null);
      return { status: 204 };
    case 'POST mailboxes/:m':
      return {
        status: 201,
        body: sim.addMailbox(m, {
          ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
          ...(typeof body.id === 'string' ? { id: body.id } : {}),
        }),
      };
    case 'GET mailboxes/:m/events':
      return { status: 200, body: sim.events(m) };
    case 'POST mailboxes/:m/events':
      return { status: 201, body: sim.userInsert(m, body) };
    case 'PATCH mailboxes/:m/events/:e':
      return { status: 200, body: sim.userPatch(m, e, body) };
    case 'DELETE mailboxes/:m/events/:e':
      sim.userDelete(m, e, { mode: body.mode === 'deleted-items' ? 'deleted-items' : 'permanent' });
      return { status: 204 };
    case 'POST mailboxes/:m/calendars':
      return { status: 201, body: sim.addCalendar(m, str(body, 'name')) };
    case 'POST mailboxes/:m/events/:e/edit-occurrence':
      return { status: 200, body: sim.userEditOccurrence(m, e, str(body, 'originalDate'), (body.patch ?? {}) as Body) };
    case 'POST mailboxes/:m/events/:e/cancel-occurrence':
      sim.userCancelOccurrence(m, e, str(body, 'originalDate'));
      return { status: 204 };
    case 'POST mailboxes/:m/events/:e/move':
      if (typeof body.to === 'string') sim.userMoveEventTo(m, e, body.to);
      else sim.userMoveEvent(m, e);
      return { status: 204 };
    case 'GET mailboxes/:m/events/:e/notifications':
      return { status: 200, body: sim.notifications(m, e) };
    case 'POST mailboxes/:m/expire-delta-tokens':
      sim.expireDeltaTokens(m);
      return { status: 204 };
    case 'POST expire-delta-tokens':
      sim.expireDeltaTokens();
      return { status: 204 };
    case 'POST mailboxes/:m/stripped-delta':
      sim.injectStrippedDelta(m, { ...(num(body, 'rounds') !== undefined ? { rounds: num(body, 'rounds')! } : {}), all: body.all === true });
      return { status: 204 };
    case 'POST mailboxes/:m/replayed-delta': {
      const mode = body.mode === 'next-round' ? 'next-round' : 'within-round';
      sim.injectDeltaReplay(m, mode, num(body, 'rounds') ?? 1);
      return { status: 204 };
    }
    case 'GET mailboxes/:m/concurrency':
      return { status: 200, body: sim.concurrency(m) };
    case 'POST expire-access-tokens':
      sim.expireAccessTokens();
      return { status: 204 };
    case 'POST expired-client-secrets':
      sim.expireClientSecret(str(body, 'clientId'));
      return { status: 204 };
    case 'POST throttle': {
      const status = body.status === 503 ? 503 : 429;
      const retryAfterSeconds = num(body, 'retryAfterSeconds');
      sim.injectThrottle(num(body, 'count') ?? 1, {
        status,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        ...(typeof body.mailbox === 'string' ? { mailbox: body.mailbox } : {}),
        ...(typeof body.method === 'string' ? { method: body.method } : {}),
      });
      return { status: 204 };
    }
    case 'POST delta-gone':
      sim.injectDeltaGone(num(body, 'count') ?? 1, typeof body.mailbox === 'string' ? body.mailbox : undefined);
      return { status: 204 };
    case 'GET subscriptions':
      return { status: 200, body: sim.subscriptions() };
    // /_sim/subscriptions/{id}/expire and /_sim/subscriptions/{id}/lifecycle {lifecycleEvent, pauseDelivery}
    case 'POST subscriptions/:m/expire':
      sim.expireSubscription(m);
      return { status: 204 };
    case 'POST subscriptions/:m/lifecycle': {
      const event = LIFECYCLE_EVENTS.find((e) => e === body.lifecycleEvent);
      if (!event) throw new Error(`body field "lifecycleEvent" must be one of ${LIFECYCLE_EVENTS.join(', ')}`);
      sim.sendLifecycleNotification(m, event, { pauseDelivery: body.pauseDelivery === true });
      return { status: 204 };
    }
    case 'GET deliveries':
      return { status: 200, body: sim.deliveries() };
    case 'POST latency':
      sim.setLatency(num(body, 'ms') ?? 0);
      return { status: 204 };
    default:
      return {
        status: 404,
        body: {
          error:
            `no Graph simulator control endpoint ${method} /_sim/${parts.join('/')}; known: POST clients {tenantId, clientId, clientSecret?, certificates?}, POST|DELETE access-policies/{clientId} {accessRight, mailboxes}, POST mailboxes/{m}, ` +
            'GET|POST mailboxes/{m}/events, PATCH|DELETE mailboxes/{m}/events/{id} [{mode: deleted-items}], POST mailboxes/{m}/calendars {name}, ' +
            'POST mailboxes/{m}/events/{seriesId}/edit-occurrence|cancel-occurrence {originalDate[, patch]}, POST mailboxes/{m}/events/{id}/move [{to: calendarId|deleteditems}], ' +
            'GET mailboxes/{m}/events/{id}/notifications, POST [mailboxes/{m}/]expire-delta-tokens, POST mailboxes/{m}/stripped-delta {rounds, all}, ' +
            'POST mailboxes/{m}/replayed-delta {mode, rounds}, GET mailboxes/{m}/concurrency, POST expire-access-tokens, ' +
            'POST expired-client-secrets {clientId}, POST throttle {count, status, retryAfterSeconds, mailbox, method}, POST delta-gone {count, mailbox}, POST latency {ms}, ' +
            'GET subscriptions, POST subscriptions/{id}/expire, POST subscriptions/{id}/lifecycle {lifecycleEvent, pauseDelivery}, GET deliveries',
        },
      };
  }
}
