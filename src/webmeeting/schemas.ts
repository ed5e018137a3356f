import { z } from 'zod';
import { MEETING_ID_PATTERN, MEETING_NUMBER_PATTERN } from './assumptions.js';

/**
 * The Web Meeting API's response shapes, from the examples in web-meeting-api-tutorial.txt.
 * Only the fields meetsync reads are declared; zod strips the rest, so a new field on the
 * platform never breaks a call. Nothing here is `any`: every response goes through a schema.
 */

const id = z.string().regex(MEETING_ID_PATTERN, 'expected a 24-hex id');
const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 instant' });
const text = z.string().nullish().transform((v) => v ?? '');

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
 * number, `id` the internal id. `duration` is sent as a number but comes back as a string
 * ("60"): both are accepted.
 */
export const meetingSchema = z.object({
  id,
  meetingId: z.string().regex(MEETING_NUMBER_PATTERN, 'expected a meeting number dddd-dddd-dddd-dddd'),
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
