import { z } from 'zod';
import { MEETING_ID_PATTERN, MEETING_REF_MAX_LENGTH, MEETING_REF_PATTERN } from './assumptions.js';

/**
 * The Web Meeting API's response shapes, from the examples in web-meeting-api-tutorial.txt.
 * Only the fields meetsync reads are declared; zod strips the rest, so a new field on the
 * platform never breaks a call. Nothing here is `any`: every response goes through a schema.
 */

const id = z.string().regex(MEETING_ID_PATTERN, 'expected a 24-hex id');
const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 instant' });
const text = z.string().nullish().transform((v) => v ?? '');
/** A meeting's id or number: any form, as long as it is there and usable (assumptions.ts). */
const meetingRef = (what: string) =>
  z
    .string({ message: `expected ${what}` })
    .trim()
    .min(1, `expected ${what}, got an empty string`)
    .max(MEETING_REF_MAX_LENGTH, `expected ${what} of at most ${MEETING_REF_MAX_LENGTH} characters`)
    .regex(MEETING_REF_PATTERN, `expected ${what} without control characters`);

/** The envelope every call answers with; `data` is checked separately so errors name it. */
export const envelopeSchema = z.object({
  responseCode: z.number({ message: 'expected a number' }).int(),
  responseMessage: z.string().nullish(),
  data: z.unknown(),
});

/** What a failed call may carry; lenient because error bodies are the least documented part. */
export const errorBodySchema = z
  .object({
    responseCode: z.number().int().optional().catch(undefined),
    responseMessage: z.string().optional().catch(undefined),
    message: z.string().optional().catch(undefined),
    error: z.string().optional().catch(undefined),
  })
  .catch({});

/** `POST /api/v6/account` → data (tutorial "Create account"). */
export const accountSchema = z.object({
  id,
  name: z.string(),
  accountType: z.string(),
  paidUntil: z.string().nullish(),
});

/** One element of `GET /api/v6/account/admin/<accountId>` → data[] (tutorial "Retrieve the account admin"). */
export const userSchema = z.object({
  id,
  email: z.string().min(1, 'expected an email'),
  firstName: text,
  lastName: text,
  timezone: z.string().nullish(),
  icsToken: z.string().nullish(),
  icsPath: z.string().startsWith('/', 'expected a path starting with /').nullish(),
});

export const adminsSchema = z.array(userSchema);

/**
 * `POST /api/v6/meeting` → data (tutorial "Creating meetings"). `meetingId` is the dialable
 * number, `id` the internal id; both are required, their form is not (assumptions.ts).
 * `duration` is sent as a number but comes back as a string ("60"): both are accepted.
 */
export const meetingSchema = z.object({
  id: meetingRef('a meeting id'),
  meetingId: meetingRef('a meeting number'),
  topic: z.string(),
  startTime: instant,
  endTime: instant,
  duration: z.union([z.number(), z.string().regex(/^\d+$/, 'expected minutes')]).optional(),
  agenda: text,
  /** Read only to be registered as a secret (client.ts). */
  icsToken: z.string().nullish(),
});

export type AccountData = z.infer<typeof accountSchema>;
export type UserData = z.infer<typeof userSchema>;
export type MeetingData = z.infer<typeof meetingSchema>;

/** `data.meetingId`, `data[0].id`: the first issue's path as a field name for MalformedResponseError. */
export function fieldOf(prefix: string, issue: z.core.$ZodIssue | undefined): string {
  let field = prefix;
  for (const key of issue?.path ?? []) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field;
}
