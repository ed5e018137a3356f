import { ENDS_TYPES, FREQUENCY_TYPES, MONTHLY_PATTERNS, type MeetingInput, type SimRecurring } from './model.js';

/**
 * Validation of request bodies, answered with HTTP 400 and responseCode -4 ("data not valid", the
 * v1 code WEB-MEETING-API.md assumes v6 keeps) and a message naming the field. Field names and
 * formats are the tutorial's; the recurring rules are WEB-MEETING-API.md's ASSUMED shape.
 */

/** A body field that is missing or wrong; answered with HTTP 400 and responseCode -4. */
export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`data not valid: ${field} ${reason}`);
    this.name = 'InvalidFieldError';
  }
}

type Body = Record<string, unknown>;

export function asObject(value: unknown, name = 'body'): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidFieldError(name, 'must be a JSON object');
  }
  return value as Body;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 date-time with an offset, answered as the platform does: UTC with milliseconds. */
function isoValue(value: unknown, name: string): string {
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new InvalidFieldError(name, 'must be an ISO-8601 date-time such as 2020-04-07T09:00:00.000Z');
  return new Date(ms).toISOString();
}

function stringValue(value: unknown, name: string, opts: { nonEmpty: boolean; fallback?: string }): string {
  if (value === undefined && opts.fallback !== undefined) return opts.fallback;
  if (typeof value !== 'string') throw new InvalidFieldError(name, 'must be a string');
  if (opts.nonEmpty && value.trim() === '') throw new InvalidFieldError(name, 'must not be empty');
  return value;
}

function booleanValue(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidFieldError(name, 'must be true or false');
  return value;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidFieldError(name, 'must be an integer >= 1');
  }
  return value;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidFieldError(name, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && EMAIL.test(value);
}

export interface AccountInput {
  adminEmail: string;
  adminFirstname: string;
  adminLastname: string;
  adminPreferredLanguage: string;
  accountType: string;
  paidUntil: string;
}

/** The body of POST /api/v6/account (tutorial, "Create account"). */
export function parseAccountBody(raw: unknown, now: Date): AccountInput {
  const body = asObject(raw);
  const adminEmail = stringValue(body.adminEmail, 'adminEmail', { nonEmpty: true });
  if (!isEmail(adminEmail)) throw new InvalidFieldError('adminEmail', 'must be an email address');
  booleanValue(body.sendPassword, 'sendPassword', false);
  const paidUntilDefault = new Date(now.getTime() + 30 * 24 * 3600 * 1000).toISOString();
  return {
    adminEmail,
    adminFirstname: stringValue(body.adminFirstname, 'adminFirstname', { nonEmpty: true }),
    adminLastname: stringValue(body.adminLastname, 'adminLastname', { nonEmpty: true }),
    adminPreferredLanguage: stringValue(body.adminPreferredLanguage, 'adminPreferredLanguage', { nonEmpty: true, fallback: 'en' }),
    accountType: stringValue(body.accountType, 'accountType', { nonEmpty: true, fallback: 'trial' }),
    paidUntil: body.paidUntil === undefined ? paidUntilDefault : isoValue(body.paidUntil, 'paidUntil'),
  };
}


function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `recurring` as WEB-MEETING-API.md ASSUMES it. A non-recurring meeting is answered with the
 * tutorial's empty-string form, whose endsOn is a timestamp (the tutorial's is near creation time).
 */
function parseRecurring(raw: unknown, isRecurring: boolean, now: Date): SimRecurring {
  if (!isRecurring) {
    return { frequencyType: '', frequency: null, monthlyPattern: '', endsType: '', endsOn: now.toISOString(), endsAfter: 0 };
  }
  const body = asObject(raw, 'recurring');
  const endsType = oneOf(body.endsType, 'recurring.endsType', ENDS_TYPES);
  return {
    frequencyType: oneOf(body.frequencyType, 'recurring.frequencyType', FREQUENCY_TYPES),
    frequency: positiveInteger(body.frequency, 'recurring.frequency'),
    monthlyPattern: oneOf(body.monthlyPattern ?? '', 'recurring.monthlyPattern', MONTHLY_PATTERNS),
    endsType,
    // endsOn only matters for 'on'; otherwise echo it if it is a date, else answer a timestamp.
    endsOn: endsType === 'on' ? isoValue(body.endsOn, 'recurring.endsOn') : (safeIso(body.endsOn) ?? now.toISOString()),
    endsAfter: endsType === 'after' ? positiveInteger(body.endsAfter, 'recurring.endsAfter') : 0,
  };
}

function safeIso(value: unknown): string | undefined {
  try {
    return isoValue(value, '');
  } catch {
    return undefined;
  }
}

/** The body of POST /api/v6/meeting and PUT /api/v6/meeting/<id>/false (tutorial). */
export function parseMeetingBody(raw: unknown, now: Date): MeetingInput {
  const body = asObject(raw);
  const topic = stringValue(body.topic, 'topic', { nonEmpty: true });
  const startTime = isoValue(body.startTime, 'startTime');
  const endTime = isoValue(body.endTime, 'endTime');
  if (Date.parse(endTime) <= Date.parse(startTime)) throw new InvalidFieldError('endTime', 'must be after startTime');
  const duration = body.duration;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0) {
    throw new InvalidFieldError('duration', 'must be a positive number of minutes');
  }
  const invitedParticipants = body.invitedParticipants ?? [];
  if (!Array.isArray(invitedParticipants)) throw new InvalidFieldError('invitedParticipants', 'must be an array');
  const meetingPermissionId = body.meetingPermissionId ?? null;
  if (meetingPermissionId !== null && typeof meetingPermissionId !== 'string') {
    throw new InvalidFieldError('meetingPermissionId', 'must be a string or null');
  }
  const isRecurring = booleanValue(body.isRecurring, 'isRecurring', false);
  const input: MeetingInput = {
    id: body.id,
    topic,
    startTime,
    endTime,
    duration,
    type: stringValue(body.type, 'type', { nonEmpty: true, fallback: 'standard' }),
    isRecurring,
    isRecorded: booleanValue(body.isRecorded, 'isRecorded', false),
    isDialin: booleanValue(body.isDialin, 'isDialin', false),
    invitedParticipants,
    recurring: parseRecurring(body.recurring, isRecurring, now),
    meetingPermissionId,
  };
  if (body.agenda !== undefined) input.agenda = stringValue(body.agenda, 'agenda', { nonEmpty: false });
  if (body.timezone !== undefined) {
    const zone = stringValue(body.timezone, 'timezone', { nonEmpty: true });
    if (!isIanaZone(zone)) throw new InvalidFieldError('timezone', 'must be an IANA time zone such as Europe/Zurich');
    input.timezone = zone;
  }
  return input;
}
