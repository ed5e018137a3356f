import { GoogleApiError } from './errors.js';
import type { GoogleEvent, OAuthClient, ServiceAccountKey } from './types.js';
import type { SimRequest, SimResponse } from '../kit/server.js';

/**
 * The Google simulator's /_sim/ endpoints, so a test or `meetsync simulate` in another process can
 * seed calendars and act as a user in the Calendar UI. Bodies are JSON; answers are JSON.
 */

/** The simulator methods the control endpoints drive. */
export interface GoogleControlTarget {
  addCalendar(calendarId: string, options?: { timeZone?: string; summary?: string }): void;
  addOAuthClient(client: OAuthClient): void;
  revokeRefreshToken(refreshToken: string): void;
  createServiceAccountKey(clientEmail: string): ServiceAccountKey;
  denyDelegation(clientEmail: string, subject: string): void;
  expireSyncTokens(calendarId?: string): void;
  expireAccessTokens(): void;
  userInsert(calendarId: string, event: Partial<GoogleEvent>): GoogleEvent;
  userPatch(calendarId: string, eventId: string, patch: Partial<GoogleEvent>): GoogleEvent;
  userDelete(calendarId: string, eventId: string): void;
  userCancelOccurrence(calendarId: string, seriesId: string, originalStartUtcIso: string): void;
  userEditOccurrence(calendarId: string, seriesId: string, originalStartUtcIso: string, patch: Partial<GoogleEvent>): GoogleEvent;
  events(calendarId: string): GoogleEvent[];
  concurrency(): { inFlight: number; max: number; maxByCalendar: Record<string, number> };
  resetConcurrency(): void;
  openChannels(): Array<{ id: string; calendarId: string; expiration: number }>;
  dropNotifications(count: number): void;
}

type Body = Record<string, unknown>;

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new Error(`body field "${key}" (string) is required`);
  return v;
}

export function googleControl(sim: GoogleControlTarget): (req: SimRequest) => SimResponse {
  return (req) => {
    try {
      const parsed = req.json();
      const body: Body = parsed && typeof parsed === 'object' ? (parsed as Body) : {};
      return route(sim, req.method, req.path.split('/').slice(2).map(decodeURIComponent), body);
    } catch (err) {
      if (err instanceof GoogleApiError) return err.toResponse();
      return { status: 400, body: { error: `google simulator control: ${(err as Error).message}` } };
    }
  };
}

function route(sim: GoogleControlTarget, method: string, parts: string[], body: Body): SimResponse {
  const [first, calendarId, sub, eventId, action] = parts;
  const key = `${method} ${first ?? ''}${calendarId !== undefined ? '/:id' : ''}${sub ? `/${sub}` : ''}${eventId !== undefined ? '/:event' : ''}${action ? `/${action}` : ''}`;
  switch (key) {
    case 'POST calendars/:id':
      sim.addCalendar(calendarId!, {
        ...(typeof body.timeZone === 'string' ? { timeZone: body.timeZone } : {}),
        ...(typeof body.summary === 'string' ? { summary: body.summary } : {}),
      });
      return { status: 201, body: { id: calendarId } };
    case 'GET calendars/:id/events':
      return { status: 200, body: sim.events(calendarId!) };
    case 'POST calendars/:id/events':
      return { status: 200, body: sim.userInsert(calendarId!, body as Partial<GoogleEvent>) };
    case 'PATCH calendars/:id/events/:event':
      return { status: 200, body: sim.userPatch(calendarId!, eventId!, body as Partial<GoogleEvent>) };
    case 'DELETE calendars/:id/events/:event':
      sim.userDelete(calendarId!, eventId!);
      return { status: 204 };
    case 'POST calendars/:id/events/:event/cancel-occurrence':
      sim.userCancelOccurrence(calendarId!, eventId!, str(body, 'originalStart'));
      return { status: 204 };
    case 'POST calendars/:id/events/:event/edit-occurrence':
      return {
        status: 200,
        body: sim.userEditOccurrence(calendarId!, eventId!, str(body, 'originalStart'), (body.patch ?? {}) as Partial<GoogleEvent>),
      };
    case 'POST calendars/:id/expire-sync-tokens':
      sim.expireSyncTokens(calendarId!);
      return { status: 204 };
    case 'POST expire-sync-tokens':
      sim.expireSyncTokens();
      return { status: 204 };
    case 'GET concurrency':
      return { status: 200, body: sim.concurrency() };
    case 'DELETE concurrency':
      sim.resetConcurrency();
      return { status: 204 };
    case 'GET channels':
      // Push channels open now (events.watch), with their ids, calendars and ends.
      return { status: 200, body: sim.openChannels() };
    case 'POST drop-notifications':
      sim.dropNotifications(typeof body.count === 'number' ? body.count : 1);
      return { status: 204 };
    case 'POST expire-access-tokens':
      sim.expireAccessTokens();
      return { status: 204 };
    case 'POST oauth-clients':
      sim.addOAuthClient({
        clientId: str(body, 'clientId'),
        clientSecret: str(body, 'clientSecret'),
        refreshToken: str(body, 'refreshToken'),
        ...(typeof body.userEmail === 'string' ? { userEmail: body.userEmail } : {}),
      });
      return { status: 204 };
    case 'POST revoked-refresh-tokens':
      sim.revokeRefreshToken(str(body, 'refreshToken'));
      return { status: 204 };
    case 'POST service-accounts':
      return { status: 200, body: sim.createServiceAccountKey(str(body, 'clientEmail')) };
    case 'POST denied-delegations':
      sim.denyDelegation(str(body, 'clientEmail'), str(body, 'subject'));
      return { status: 204 };
    default:
      return {
        status: 404,
        body: {
          error:
            `no Google simulator control endpoint ${method} /_sim/${parts.join('/')}; known: POST calendars/{id}, ` +
            'GET|POST calendars/{id}/events, PATCH|DELETE calendars/{id}/events/{eventId}, ' +
            'POST calendars/{id}/events/{seriesId}/cancel-occurrence|edit-occurrence, POST [calendars/{id}/]expire-sync-tokens, ' +
            'GET|DELETE concurrency, GET channels, POST drop-notifications, POST expire-access-tokens, POST oauth-clients, POST revoked-refresh-tokens, POST service-accounts, POST denied-delegations',
        },
      };
  }
}
