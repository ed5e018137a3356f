import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/**
 * The Web Meeting platform's records in its own wire field names, built as the answers in
 * ../shared/spec/web-meeting-api-tutorial.txt show them (the recurring shape is WEB-MEETING-API.md's
 * ASSUMED one). Nothing here comes from meetsync's client.
 */

/** `data` of POST /api/v6/account, field for field as in the tutorial's "Create account" answer. */
export interface SimAccount {
  name: string;
  accountType: string;
  numberOfMeetings: number;
  numberOfMeetingOrganizers: number;
  numberOfMeetingRooms: number;
  paidUntil: string;
  iceCandidatesToFilter: string[];
  customDialInNumbers: string[];
  displayStandardDialInNumbersInInvite: boolean;
  defaultMeetingPermissions: null;
  defaultMeetingType: string;
  defaultMeetingHasDialin: boolean;
  defaultMeetingHasRecording: boolean;
  autoExtendMeetings: boolean;
  autoDeleteMeetingsAfterXDays: number;
  id: string;
  canAddMeetingOrganizer: boolean;
  accountRooms: string[];
}

/** One element of `data` of GET /api/v6/account/admin/<id>, exactly the tutorial's fields. */
export interface SimUser {
  email: string;
  firstName: string;
  lastName: string;
  externalUserId: string | null;
  preferredLanguage: string;
  timezone: string;
  additionalTimezones: string[];
  id: string;
  icsToken: string;
  icsPath: string;
}

export const FREQUENCY_TYPES = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export const MONTHLY_PATTERNS = ['', 'dayOfMonth', 'dayOfWeek'] as const;
export const ENDS_TYPES = ['never', 'on', 'after'] as const;

/** The tutorial shows only the non-recurring form (empty strings); the rest is ASSUMED. */
export interface SimRecurring {
  frequencyType: '' | (typeof FREQUENCY_TYPES)[number];
  frequency: number | null;
  monthlyPattern: (typeof MONTHLY_PATTERNS)[number];
  endsType: '' | (typeof ENDS_TYPES)[number];
  endsOn: string;
  endsAfter: number;
}

/** `data` of POST /api/v6/meeting, field for field as in the tutorial's "Creating meetings" answer. */
export interface SimMeeting {
  invitedParticipants: unknown[];
  meetingId: string;
  id: string;
  topic: string;
  startTime: string;
  endTime: string;
  /** The tutorial sends a number and gets back a string ("60"). */
  duration: string;
  type: string;
  roomId: string;
  isRecurring: boolean;
  isDialin: boolean;
  recurring: SimRecurring;
  isRecorded: boolean;
  agenda: string;
  documents: unknown[];
  meetingPermissionId: string | null;
  videoResolution: string;
  dtClosedAt: string | null;
  whitelabelId: string;
  addedByUserId: string;
  addedByUserEmail: string;
  accountId: string;
  addedByUserName: string;
  timezone: string;
  privateDataVisible: boolean;
  /** A string in the tutorial ("0"); incremented on every update. */
  icalSequence: string;
  icsToken: string;
  isActive: boolean;
  isClosed: boolean;
  isOpen: boolean;
  dialInConferenceRoom: string | null;
  dialInNumbers: string[];
  dialInPin: string | null;
  sipProxy: string | null;
  sipDomain: string | null;
  isDemo: boolean;
  isPromo: boolean;
}

let objectIdCounter = randomInt(0, 0xffffff);

/** A 24-hex id shaped like the MongoDB ObjectIds in the tutorial (seconds, random, counter). */
export function newObjectId(): string {
  objectIdCounter = (objectIdCounter + 1) % 0x1000000;
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return seconds + randomBytes(5).toString('hex') + objectIdCounter.toString(16).padStart(6, '0');
}

/** Two UUIDs joined by a dash, like the tutorial's icsToken. */
export function newIcsToken(): string {
  return `${randomUUID()}-${randomUUID()}`;
}

/**
 * The dialable meeting number, `dddd-dddd-dddd-dddd` like the tutorial's "9974-7653-8886-0485"
 * (`four-groups`), or eleven digits in a row (`digits`), a form the tutorial does not rule out.
 */
export function newMeetingNumber(form: 'four-groups' | 'digits' = 'four-groups'): string {
  if (form === 'digits') return String(randomInt(1, 10)) + Array.from({ length: 10 }, () => String(randomInt(0, 10))).join('');
  return Array.from({ length: 4 }, () => String(randomInt(0, 10000)).padStart(4, '0')).join('-');
}

/** The tutorial's whitelabelId; one instance has one. */
const WHITELABEL_ID = '5c737902b377b0f7fbf81fce';

/** Field for field the tutorial's "Create account" answer; the counters are what it shows. */
export function newAccountWire(input: { adminEmail: string; accountType: string; paidUntil: string }): SimAccount {
  return {
    name: input.adminEmail,
    accountType: input.accountType,
    numberOfMeetings: 0,
    numberOfMeetingOrganizers: 0,
    numberOfMeetingRooms: 1,
    paidUntil: input.paidUntil,
    iceCandidatesToFilter: [],
    customDialInNumbers: [],
    displayStandardDialInNumbersInInvite: true,
    defaultMeetingPermissions: null,
    defaultMeetingType: 'standard',
    defaultMeetingHasDialin: false,
    defaultMeetingHasRecording: false,
    autoExtendMeetings: false,
    autoDeleteMeetingsAfterXDays: 360,
    id: newObjectId(),
    canAddMeetingOrganizer: true,
    accountRooms: [],
  };
}

/**
 * Field for field the tutorial's "Creating meetings" answer, with the platform's own values for
 * what the caller does not send; the caller then applies the body with applyMeetingInput.
 */
export function newMeetingWire(init: {
  id: string;
  meetingId: string;
  roomId: string;
  organizer: SimUser;
  accountId: string;
  icsToken: string;
}): SimMeeting {
  return {
    invitedParticipants: [],
    meetingId: init.meetingId,
    id: init.id,
    topic: '',
    startTime: '',
    endTime: '',
    duration: '',
    type: 'standard',
    roomId: init.roomId,
    isRecurring: false,
    isDialin: false,
    recurring: { frequencyType: '', frequency: null, monthlyPattern: '', endsType: '', endsOn: '', endsAfter: 0 },
    isRecorded: false,
    agenda: '',
    documents: [],
    meetingPermissionId: null,
    videoResolution: 'standard',
    dtClosedAt: null,
    whitelabelId: WHITELABEL_ID,
    addedByUserId: init.organizer.id,
    addedByUserEmail: init.organizer.email,
    accountId: init.accountId,
    addedByUserName: `${init.organizer.firstName} ${init.organizer.lastName}`,
    timezone: init.organizer.timezone,
    privateDataVisible: true,
    icalSequence: '0',
    icsToken: init.icsToken,
    isActive: false,
    isClosed: true,
    isOpen: false,
    dialInConferenceRoom: null,
    dialInNumbers: [],
    dialInPin: null,
    sipProxy: null,
    sipDomain: null,
    isDemo: false,
    isPromo: false,
  };
}

export interface MeetingInput {
  id?: unknown;
  topic: string;
  startTime: string;
  endTime: string;
  duration: number;
  type: string;
  isRecurring: boolean;
  isRecorded: boolean;
  isDialin: boolean;
  invitedParticipants: unknown[];
  recurring: SimRecurring;
  meetingPermissionId: string | null;
  /** Absent means "keep" on update and "" on create. */
  agenda?: string;
  /** IANA zone; absent means "keep" on update and the organizer's zone on create. */
  timezone?: string;
}

/** Copies a validated create/update body onto the stored meeting, in wire form. */
export function applyMeetingInput(wire: SimMeeting, input: MeetingInput): void {
  wire.topic = input.topic;
  wire.startTime = input.startTime;
  wire.endTime = input.endTime;
  wire.duration = String(input.duration);
  wire.type = input.type;
  wire.isRecurring = input.isRecurring;
  wire.isRecorded = input.isRecorded;
  wire.isDialin = input.isDialin;
  wire.invitedParticipants = structuredClone(input.invitedParticipants);
  wire.recurring = input.recurring;
  wire.meetingPermissionId = input.meetingPermissionId;
  if (input.agenda !== undefined) wire.agenda = input.agenda;
  if (input.timezone !== undefined) wire.timezone = input.timezone;
}
