import { randomUUID } from 'node:crypto';
import { SimServer, Simulator, header, type SimRequest, type SimResponse, type SimServerOptions } from '../kit/server.js';
import type { TlsMaterial } from '../kit/tls.js';
import { renderFeed } from './ics.js';
import { webMeetingFaultWire } from './faults.js';
import {
  applyMeetingInput,
  newAccountWire,
  newIcsToken,
  newMeetingNumber,
  newMeetingWire,
  newObjectId,
  type SimAccount,
  type SimMeeting,
  type SimUser,
} from './model.js';
import { InvalidFieldError, asObject, isEmail, parseAccountBody, parseMeetingBody, type AccountInput } from './validate.js';

export type { SimAccount, SimMeeting, SimRecurring, SimUser } from './model.js';

/**
 * A Web Meeting API v6 instance in memory, written from ../shared/spec/web-meeting-api-tutorial.txt
 * (exact shapes) and WEB-MEETING-API.md (error envelope and codes, delete, recurring and feed are
 * ASSUMED there). Errors use the v1 envelope `{responseCode:<negative>, responseMessage, data:null}`.
 */

export interface WebMeetingSimulatorOptions {
  apiKey: string;
  tls?: TlsMaterial;
  port?: number;
  host?: string;
  /** join link template; default `${baseUrl}/meeting/{meetingNumber}` ({id} = the 24-hex id) */
  joinUrlTemplate?: string;
  onResponded?: SimServerOptions['onResponded'];
  /**
   * How the ICS feed names a meeting: `id` (UID = <24-hex id>@host, the default) or `number`
   * (UID = <dashed number>@host): assumption 8 of the README allows either.
   */
  feedNames?: 'id' | 'number';
  /**
   * Whether the feed repeats each meeting's agenda (the default) or leaves it out (`left-out`).
   * The tutorial says nothing about the feed's content: a feed without the agenda never shows
   * meetsync's reference, the ASSUMPTION the sync must survive (its absence proves nothing).
   */
  feedAgenda?: 'repeated' | 'left-out';
  /*
   * Issue 16 section 2, "a tolerant client where the tutorial is silent": each option below
   * makes the platform answer in a way the tutorial does not rule out, so tests can show that
   * meetsync neither duplicates a meeting nor stops every calendar when the real one does.
   */
  /**
   * The form of a new meeting's dialable number (`data.meetingId` of the create answer): the
   * tutorial's only example, four groups of four digits (`four-groups`, the default), or a plain
   * run of eleven digits (`digits`, e.g. `48213907765`). The tutorial shows one example only.
   * @default 'four-groups'
   */
  meetingNumberForm?: 'four-groups' | 'digits';
  /**
   * The form of a new meeting's internal id (`data.id`): 24 hex like the tutorial's ObjectIds
   * (`hex-24`, the default) or a UUID (`uuid`). The tutorial shows one example only.
   * @default 'hex-24'
   */
  meetingIdForm?: 'hex-24' | 'uuid';
  /**
   * What `PUT /api/v6/meeting/<id>/false` answers on success: the meeting in `data` like the
   * create answer (`meeting`, the default), `data: null` (`null`), or `data: { id }` only
   * (`id-only`). The tutorial shows the update's request, not its answer.
   * @default 'meeting'
   */
  updateAnswer?: 'meeting' | 'null' | 'id-only';
  /**
   * Whether a user's feed (icsPath) answers without the API key (`false`, the default: the token
   * in the path is the credential) or only with `X-API-KEY` (`true`: 401, -1 without it). The
   * tutorial shows the path but no call to it.
   * @default false
   */
  feedNeedsApiKey?: boolean;
  /**
   * Whether `GET /api/v6/account/admin/<id>` lists every organizer of the account (`every`, the
   * default) or only its first one (`first-only`), as the tutorial's wording ("retrieve the User ID
   * of the first Meeting Organizer") allows: users added later are then not listed.
   * @default 'every'
   */
  adminList?: 'every' | 'first-only';
  /** A new meeting shows in its organizer's feed this many ms after its creation (for `doctor --probe-platform`). @default 0 */
  feedLagMs?: number;
}

interface StoredMeeting {
  wire: SimMeeting;
  createdAt: Date;
  modifiedAt: Date;
  deleted: boolean;
}

interface StoredUser {
  wire: SimUser;
  accountId: string;
  /** Each organizer's personal room, echoed as the meeting's roomId. */
  roomId: string;
}

const API = '/api/v6';

type Route = {
  method: string;
  pattern: RegExp;
  /** Meeting calls act as the organizer named by X-USER-ID. */
  actsAsUser: boolean;
  handle: (req: SimRequest, params: string[], user: StoredUser | undefined) => SimResponse;
};

function ok(data: unknown): SimResponse {
  return { status: 200, body: { responseCode: 0, data } };
}

function fail(status: number, responseCode: number, responseMessage: string): SimResponse {
  return { status, body: { responseCode, responseMessage, data: null } };
}

const MEETING_NOT_FOUND = fail(404, -99, 'meeting not found');

export class WebMeetingSimulator extends Simulator {
  readonly server: SimServer;
  private readonly accountStore = new Map<string, { wire: SimAccount; adminId: string }>();
  private readonly userStore = new Map<string, StoredUser>();
  /** Users removed by removeUser, kept to be restored with the same id (see removeUser). */
  private readonly removedUsers = new Map<string, StoredUser>();
  private readonly meetingStore = new Map<string, StoredMeeting>();
  /** Meeting numbers ever given out: an index, so a creation does not scan every meeting. */
  private readonly meetingNumbers = new Set<string>();
  /** Meetings created at or after this instant are not in the feed yet (a feed that lags). */
  private feedLagsFrom: Date | undefined;
  /** Meetings (by id) whose feed entries are written unreadable. */
  private unreadableInFeed = new Set<string>();
  private readonly routes: Route[] = [
    { method: 'POST', pattern: /^\/account$/, actsAsUser: false, handle: (req) => this.createAccount(req) },
    { method: 'GET', pattern: /^\/account\/admin\/([^/]+)$/, actsAsUser: false, handle: (_r, p) => this.accountAdmins(p[0]!) },
    { method: 'POST', pattern: /^\/meeting$/, actsAsUser: true, handle: (req, _p, u) => this.createMeeting(req, u!) },
    // The literal trailing `/false` is the tutorial's ("Updating meetings").
    { method: 'PUT', pattern: /^\/meeting\/([^/]+)\/false$/, actsAsUser: true, handle: (req, p, u) => this.updateMeeting(req, p[0]!, u!) },
    { method: 'DELETE', pattern: /^\/meeting\/([^/]+)$/, actsAsUser: true, handle: (_r, p, u) => this.deleteMeeting(p[0]!, u!) },
  ];

  constructor(private readonly options: WebMeetingSimulatorOptions) {
    super();
    this.server = new SimServer((req) => this.route(req), {
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.onResponded ? { onResponded: options.onResponded } : {}),
      faultWire: webMeetingFaultWire,
      control: (req) => this.control(req),
    });
  }


  accounts(): SimAccount[] {
    return [...this.accountStore.values()].map((a) => structuredClone(a.wire));
  }

  users(): SimUser[] {
    return [...this.userStore.values()].map((u) => structuredClone(u.wire));
  }

  /** Makes the feed lag: meetings created at or after `from` are left out of it until called with undefined. */
  lagFeed(from: Date | undefined): void {
    this.feedLagsFrom = from;
  }

  /** Writes these meetings' feed entries so that they cannot be read (one broken entry among good ones); [] mends them. */
  breakFeedEntries(meetingIds: readonly string[]): void {
    this.unreadableInFeed = new Set(meetingIds);
  }

  /** Live meetings only; a deleted meeting is gone as far as the platform shows. */
  meetings(): SimMeeting[] {
    return [...this.meetingStore.values()].filter((m) => !m.deleted).map((m) => structuredClone(m.wire));
  }

  seedAccount(input: { adminEmail: string; adminFirstname?: string; adminLastname?: string; accountType?: string }): {
    account: SimAccount;
    admin: SimUser;
  } {
    const parsed = parseAccountBody(
      { ...input, adminFirstname: input.adminFirstname ?? 'Test', adminLastname: input.adminLastname ?? 'User' },
      new Date(),
    );
    if (this.emailTaken(parsed.adminEmail)) throw new Error(`account already exists: ${parsed.adminEmail}`);
    const { account, admin } = this.insertAccount(parsed);
    return { account: structuredClone(account), admin: structuredClone(admin.wire) };
  }

  /** A second (or further) organizer in an account; emails are unique per instance (tutorial). */
  addUser(accountId: string, input: { email: string; firstName?: string; lastName?: string }): SimUser {
    if (!this.accountStore.has(accountId)) throw new Error(`no account ${accountId}`);
    if (!isEmail(input.email)) throw new Error(`not an email address: ${input.email}`);
    if (this.emailTaken(input.email)) throw new Error(`email already exists on this instance: ${input.email}`);
    const user = this.insertUser(accountId, input.email, input.firstName ?? 'Second', input.lastName ?? 'Organizer', 'en');
    return structuredClone(user.wire);
  }

  /**
   * IT removes an organizer in the platform's administration (not an API call: the tutorial and
   * WEB-MEETING-API.md document no user removal). From then on the platform knows no such user:
   * a call with that X-USER-ID gets what an unknown user gets, 403 / -3 "not allowed"
   * (WEB-MEETING-API.md lists -3; route() answers it), the account's user list leaves them out,
   * and their feed is gone. Their meetings stay, unreachable, as nothing documents otherwise.
   */
  removeUser(userId: string): void {
    const user = this.userStore.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    this.userStore.delete(userId);
    this.removedUsers.set(userId, user);
  }

  /** IT restores a removed organizer with the same user id (and so the same meetings). */
  restoreUser(userId: string): void {
    const user = this.removedUsers.get(userId);
    if (!user) throw new Error(`no removed user ${userId}`);
    this.removedUsers.delete(userId);
    this.userStore.set(userId, user);
  }

  private emailTaken(email: string): boolean {
    const wanted = email.toLowerCase();
    return [...this.userStore.values()].some((u) => u.wire.email.toLowerCase() === wanted);
  }

  private insertAccount(input: AccountInput): { account: SimAccount; admin: StoredUser } {
    const account = newAccountWire(input);
    const admin = this.insertUser(account.id, input.adminEmail, input.adminFirstname, input.adminLastname, input.adminPreferredLanguage);
    this.accountStore.set(account.id, { wire: account, adminId: admin.wire.id });
    return { account, admin };
  }

  private insertUser(accountId: string, email: string, firstName: string, lastName: string, language: string): StoredUser {
    const icsToken = newIcsToken();
    const wire: SimUser = {
      email,
      firstName,
      lastName,
      externalUserId: null,
      preferredLanguage: language,
      timezone: 'Europe/Paris',
      additionalTimezones: [],
      id: newObjectId(),
      icsToken,
      icsPath: `${API}/meeting/calender/user/${icsToken}`,
    };
    const stored: StoredUser = { wire, accountId, roomId: newObjectId() };
    this.userStore.set(wire.id, stored);
    return stored;
  }

  private route(req: SimRequest): SimResponse {
    const feed = /^\/api\/v6\/meeting\/calender\/user\/([^/]+)$/.exec(req.path);
    if (feed && req.method === 'GET') {
      if (this.options.feedNeedsApiKey && header(req.headers, 'x-api-key') !== this.options.apiKey) return fail(401, -1, 'API key not valid');
      return this.feed(feed[1]!);
    }
    const join = /^\/meeting\/([^/]+)$/.exec(req.path);
    if (join && req.method === 'GET') return this.joinPage(safeDecode(join[1]!) ?? '');

    const route = this.findRoute(req.method, req.path);
    // Like Octokit's fixtures server: an unexpected call is answered loudly, naming what arrived.
    if (!route) return fail(404, -99, `simulator: no endpoint ${req.method} ${req.path}`);

    if (header(req.headers, 'x-api-key') !== this.options.apiKey) return fail(401, -1, 'API key not valid');
    let user: StoredUser | undefined;
    if (route.actsAsUser) {
      user = this.userStore.get(header(req.headers, 'x-user-id') ?? '');
      if (!user) return fail(403, -3, 'not allowed: X-USER-ID must name an existing user');
    }
    try {
      return route.handle(req, route.params, user);
    } catch (err) {
      if (err instanceof SyntaxError) return fail(400, -4, `data not valid: body is not JSON (${err.message})`);
      if (err instanceof InvalidFieldError) return fail(400, -4, err.message);
      throw err;
    }
  }

  private findRoute(method: string, path: string): (Route & { params: string[] }) | undefined {
    if (!path.startsWith(`${API}/`)) return undefined;
    const sub = path.slice(API.length);
    for (const route of this.routes) {
      const m = route.method === method ? route.pattern.exec(sub) : null;
      if (m) return { ...route, params: m.slice(1) };
    }
    return undefined;
  }

  private createAccount(req: SimRequest): SimResponse {
    const input = parseAccountBody(req.json(), new Date());
    // "An email address can only exists once within a web meeting instance" (tutorial). The v1
    // code for it is -10; it comes with HTTP 200, since WEB-MEETING-API.md warns errors may.
    if (this.emailTaken(input.adminEmail)) return fail(200, -10, 'account already exists');
    return ok(structuredClone(this.insertAccount(input).account));
  }

  private accountAdmins(accountId: string): SimResponse {
    const account = this.accountStore.get(accountId);
    if (!account) return fail(404, -99, `account not found: ${accountId}`);
    // `data` is an array (tutorial): the first organizer, then those added to the account later;
    // a removed user (removeUser), the first organizer included, is no longer listed.
    const admin = this.userStore.get(account.adminId);
    const others = this.options.adminList === 'first-only' ? [] : [...this.userStore.values()].filter((u) => u.accountId === accountId && u !== admin);
    return ok([...(admin ? [admin] : []), ...others].map((u) => structuredClone(u.wire)));
  }

  private createMeeting(req: SimRequest, user: StoredUser): SimResponse {
    const now = new Date();
    const input = parseMeetingBody(req.json(), now);
    const id = this.options.meetingIdForm === 'uuid' ? randomUUID() : newObjectId();
    const wire = newMeetingWire({
      id,
      meetingId: this.uniqueMeetingNumber(),
      roomId: user.roomId,
      organizer: user.wire,
      accountId: user.accountId,
      icsToken: newIcsToken(),
    });
    applyMeetingInput(wire, input);
    this.meetingStore.set(id, { wire, createdAt: now, modifiedAt: now, deleted: false });
    return ok(structuredClone(wire));
  }

  private updateMeeting(req: SimRequest, id: string, user: StoredUser): SimResponse {
    const body = req.json();
    const stored = this.liveMeeting(id);
    if (!stored) return MEETING_NOT_FOUND;
    if (stored.wire.addedByUserId !== user.wire.id) return fail(403, -3, 'not allowed: the meeting belongs to another organizer');
    const now = new Date();
    const input = parseMeetingBody(body, now);
    // The tutorial's update body repeats the meeting id next to the one in the path.
    if (input.id !== id) throw new InvalidFieldError('id', `must equal the meeting id in the path (${id})`);
    // A non-recurring meeting keeps the endsOn it was created with instead of a fresh timestamp.
    if (!input.isRecurring) input.recurring.endsOn = stored.wire.recurring.endsOn;
    applyMeetingInput(stored.wire, input);
    stored.wire.icalSequence = String(Number(stored.wire.icalSequence) + 1);
    stored.modifiedAt = now;
    if (this.options.updateAnswer === 'null') return ok(null);
    if (this.options.updateAnswer === 'id-only') return ok({ id });
    return ok(structuredClone(stored.wire));
  }

  /** ASSUMED endpoint (WEB-MEETING-API.md): DELETE /api/v6/meeting/<id>; gone means 404. */
  private deleteMeeting(id: string, user: StoredUser): SimResponse {
    const stored = this.liveMeeting(id);
    if (!stored) return MEETING_NOT_FOUND;
    if (stored.wire.addedByUserId !== user.wire.id) return fail(403, -3, 'not allowed: the meeting belongs to another organizer');
    stored.deleted = true;
    stored.modifiedAt = new Date();
    return ok(null);
  }

  private liveMeeting(id: string): StoredMeeting | undefined {
    const stored = this.meetingStore.get(id);
    return stored && !stored.deleted ? stored : undefined;
  }

  private uniqueMeetingNumber(): string {
    for (;;) {
      const candidate = newMeetingNumber(this.options.meetingNumberForm ?? 'four-groups');
      if (!this.meetingNumbers.has(candidate)) {
        this.meetingNumbers.add(candidate);
        return candidate;
      }
    }
  }

  private joinUrl(meeting: SimMeeting): string {
    const template = this.options.joinUrlTemplate ?? `${this.url}/meeting/{meetingNumber}`;
    return template.replaceAll('{meetingNumber}', meeting.meetingId).replaceAll('{id}', meeting.id);
  }

  /** The icsToken is the credential here (no API key, as the tutorial's bare icsPath suggests) unless feedNeedsApiKey. */
  private feed(encodedToken: string): SimResponse {
    const icsToken = safeDecode(encodedToken);
    const user = [...this.userStore.values()].find((u) => u.wire.icsToken === icsToken);
    if (!user) return fail(404, -99, 'calendar not found');
    const entries = [...this.meetingStore.values()]
      .filter((m) => !m.deleted && m.wire.addedByUserId === user.wire.id && !(this.feedLagsFrom && m.createdAt >= this.feedLagsFrom))
      .filter((m) => Date.now() - m.createdAt.getTime() >= (this.options.feedLagMs ?? 0))
      .map((m) => ({ meeting: m.wire, modifiedAt: m.modifiedAt, joinUrl: this.joinUrl(m.wire), unreadable: this.unreadableInFeed.has(m.wire.id) }));
    const body = renderFeed(entries, {
      uidHost: new URL(this.url).hostname,
      calendarName: `Web Meeting: ${user.wire.email}`,
      uidBy: this.options.feedNames ?? 'id',
      agenda: this.options.feedAgenda ?? 'repeated',
    });
    return { status: 200, headers: { 'content-type': 'text/calendar; charset=utf-8' }, body };
  }

  /** Lets a demo's join links open somewhere; not part of the API. */
  private joinPage(meetingNumber: string): SimResponse {
    const stored = [...this.meetingStore.values()].find((m) => !m.deleted && m.wire.meetingId === meetingNumber);
    if (!stored) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'no such meeting\n' };
    const page = `<!doctype html><title>Web Meeting simulator</title><p>Meeting ${meetingNumber}</p>\n`;
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
  }

  /** /_sim/ endpoints for tests in another process (the kit tries its own first). */
  private control(req: SimRequest): SimResponse {
    try {
      if (req.method === 'GET' && req.path === '/_sim/state') {
        const users = [...this.userStore.values()].map((u) => ({ ...u.wire, accountId: u.accountId }));
        return { status: 200, body: { accounts: this.accounts(), users, meetings: this.meetings() } };
      }
      if (req.method === 'POST' && req.path === '/_sim/accounts') {
        const body = asObject(req.json()) as { adminEmail: string };
        return { status: 201, body: this.seedAccount(body) };
      }
      if (req.method === 'POST' && req.path === '/_sim/users') {
        const { accountId, ...input } = asObject(req.json()) as { accountId: string; email: string };
        return { status: 201, body: this.addUser(accountId, input) };
      }
    } catch (err) {
      return { status: 400, body: { error: (err as Error).message } };
    }
    return { status: 404, body: { error: `no simulator control endpoint ${req.method} ${req.path}` } };
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
