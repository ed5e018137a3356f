import { z } from 'zod';
import cron from 'node-cron';
import { calendarIdentity } from '../domain/calendar-identity.js';
import { quoted } from '../domain/printable.js';
import { DEFAULT_PAID_UNTIL, paidUntilSchema, parsePaidUntil } from './paid-until.js';
import { listenSchema } from './listen.js';
import { endpointUrl, isSecureEndpoint } from './transport.js';

/**
 * The config file's schema. Every key is documented in config.example.yaml; defaults here are
 * the ones that file states. Unknown keys are errors: a typo must not silently fall back to a
 * default (`onEventCancel: keep` would otherwise delete meetings).
 */

const nonEmpty = z.string().trim().min(1, 'required, must not be empty');
const email = z.string().trim().toLowerCase().email('must be an email address');
const hex24 = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex account id');

const windowSchema = z
  .object({
    pastDays: z.number().int().min(0).max(3650).default(1),
    futureDays: z.number().int().min(1).max(3650).default(180),
  })
  .strict();

const provisioningSchema = z
  .object({
    enabled: z.boolean().default(false),
    accountType: nonEmpty.default('trial'),
    preferredLanguage: nonEmpty.default('en'),
    sendPassword: z.boolean().default(true),
    paidUntil: paidUntilSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    // Accounts created with a date already past would be born expired; a duration never goes stale.
    const parsed = parsePaidUntil(p.paidUntil);
    if (p.enabled && parsed?.kind === 'instant' && parsed.at.getTime() <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['paidUntil'], message: `${p.paidUntil} is in the past; give a duration such as P1Y (counted from each account's creation)` });
    }
  });

const webMeetingSchema = z
  .object({
    baseUrl: endpointUrl('the full-control API key'),
    apiKey: nonEmpty,
    accountIds: z.array(hex24).default([]),
    joinUrlTemplate: z
      .string()
      .refine((t) => t.includes('{meetingNumber}') || t.includes('{meetingId}'), 'must contain {meetingNumber} or {meetingId}')
      .optional(),
    meetingDefaults: z
      .object({
        type: nonEmpty.default('standard'),
        isRecorded: z.boolean().default(false),
        isDialin: z.boolean().default(false),
      })
      .strict()
      .default({ type: 'standard', isRecorded: false, isDialin: false }),
    onEventCancelled: z.enum(['delete', 'keep']).default('delete'),
    timeoutMs: z.number().int().min(1000).max(300_000).default(30_000),
    /**
     * A creation whose answer was lost and that the organizer's feed cannot confirm (unreadable,
     * no icsPath) is held for IT after this many hours (sync/pending.ts). @default 24
     */
    holdUnconfirmedAfterHours: z.number().int().min(1).max(24 * 90).default(24),
    provisioning: provisioningSchema.default({
      enabled: false,
      accountType: 'trial',
      preferredLanguage: 'en',
      sendPassword: true,
      paidUntil: DEFAULT_PAID_UNTIL,
    }),
  })
  .strict();

const googleAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('serviceAccount'), keyFile: nonEmpty }).strict(),
  z.object({ type: z.literal('oauth'), clientId: nonEmpty, clientSecret: nonEmpty, refreshToken: nonEmpty }).strict(),
]);

/** Calendars of one source read at once (sync/read-ahead.ts). */
const concurrency = z.number().int().min(1).max(64).default(8);
/** Requests a minute per user (Google) or per mailbox (Outlook): the size and refill of a token bucket (net/request-rate.ts). */
const requestsPerMinute = (byDefault: number) => z.number().int().min(1).max(100_000).default(byDefault);

const googleSourceSchema = z
  .object({
    name: nonEmpty,
    kind: z.literal('google'),
    calendars: z.array(nonEmpty).min(1, 'list at least one calendar id'),
    auth: googleAuthSchema,
    rootUrl: endpointUrl('OAuth access tokens').optional(),
    tokenUrl: endpointUrl('the client secret and refresh token').optional(),
    concurrency,
    // Google: 600 requests per minute per user per project (calendar/api/guides/quota).
    requestsPerMinute: requestsPerMinute(600),
    // events.patch `sendUpdates` for the join-link write: who Google mails (README "Attendees").
    sendUpdates: z.enum(['all', 'externalOnly', 'none']).default('externalOnly'),
  })
  .strict();

/**
 * The app registration's credential: a client secret, or a certificate uploaded to the app with
 * its private key (some tenants forbid secrets). Exactly one, said in one line.
 */
const outlookAuthSchema = z
  .object({
    tenantId: nonEmpty,
    clientId: nonEmpty,
    clientSecret: nonEmpty.optional(),
    clientCertificate: z
      .object({
        certificatePath: nonEmpty,
        privateKeyPath: nonEmpty.optional(),
        privateKey: nonEmpty.optional(),
      })
      .strict()
      .refine((c) => (c.privateKeyPath === undefined) !== (c.privateKey === undefined), {
        message: 'give exactly one of privateKeyPath (a PEM file) and privateKey (the PEM itself)',
      })
      .optional(),
  })
  .strict()
  .refine((a) => (a.clientSecret === undefined) !== (a.clientCertificate === undefined), {
    message: 'give exactly one of clientSecret and clientCertificate {certificatePath, privateKeyPath}',
  });

const outlookSourceSchema = z
  .object({
    name: nonEmpty,
    kind: z.literal('outlook'),
    mailboxes: z.array(email).min(1, 'list at least one mailbox'),
    auth: outlookAuthSchema,
    graphBaseUrl: endpointUrl('access tokens').optional(),
    authorityHost: endpointUrl('the client secret or client assertion').optional(),
    concurrency,
    // Outlook: 10,000 requests per 10 minutes per app per mailbox (graph/throttling-limits).
    requestsPerMinute: requestsPerMinute(1000),
  })
  .strict();

const sourceSchema = z.discriminatedUnion('kind', [googleSourceSchema, outlookSourceSchema]);

const safetySchema = z
  .object({
    /** Share of a calendar's mapped meetings one cycle may cancel before it stops. */
    maxCancelShare: z.number().min(0).max(1).default(0.2),
    /** Cancellations always allowed in a cycle, whatever the share. */
    maxCancelMin: z.number().int().min(0).default(5),
  })
  .strict();

const cronExpression = z.string().refine((s) => cron.validate(s), 'must be a cron expression such as "*/5 * * * *"');

/** `meetsync run` reconciles on this schedule and keeps the latest report (JSON and HTML) in reportDir. */
const reconcileSchema = z
  .object({
    schedule: cronExpression,
    /** Default: the database's folder. Relative paths are resolved against the config file's folder. */
    reportDir: nonEmpty.optional(),
  })
  .strict();

/** Where the providers send push notifications (issue 18): the https:// address that reaches http.listen. */
const pushSchema = z
  .object({
    // One line for each problem, the first found: a URL, https:// (or loopback http://), no query.
    publicUrl: z.string().superRefine((u, ctx) => {
      const problem = !URL.canParse(u) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)
        ? 'must be a URL such as https://meetsync.example.com'
        : !isSecureEndpoint(u)
          ? 'must start with https://: Google sends notifications only to an https address with a valid certificate; put a reverse proxy or ingress that terminates TLS in front of http.listen (http:// is accepted only for 127.0.0.0/8, ::1 or localhost, for tests)'
          : /[?#]/.test(u)
            ? 'must have no query (?) or fragment (#): meetsync adds its own paths (/push/google) to it'
            : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  })
  .strict();

export const configSchema = z
  .object({
    database: nonEmpty.default('./data/meetsync.db'),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'must be a cron expression such as "*/5 * * * *"')
      .default('*/5 * * * *'),
    window: windowSchema.default({ pastDays: 1, futureDays: 180 }),
    webMeeting: webMeetingSchema,
    tagging: z
      .object({
        keywords: z.array(nonEmpty).default(['#webmeeting']),
        outlookCategories: z.array(nonEmpty).default(['Web Meeting']),
      })
      .strict()
      .default({ keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] }),
    safety: safetySchema.default({ maxCancelShare: 0.2, maxCancelMin: 5 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .strict()
      .default({ level: 'info' }),
    sources: z.array(sourceSchema).default([]),
    /** Health, metrics and the status page of `meetsync run`; off unless set. */
    http: z.object({ listen: listenSchema }).strict().optional(),
    reconcile: reconcileSchema.optional(),
    /** The event journal `meetsync explain` tells (issue 20): how much of each event's story is kept. */
    journal: z
      .object({
        maxEntriesPerEvent: z.number().int().min(5).max(1000).default(50),
        maxAgeDays: z.number().int().min(1).max(3650).default(90),
      })
      .strict()
      .default({ maxEntriesPerEvent: 50, maxAgeDays: 90 }),
    /** Push notifications (issue 18): off unless set. */
    push: pushSchema.optional(),
    /**
     * Replicas on one PostgreSQL database (issue 17): how long a calendar's lease lasts unrenewed,
     * the longest a dead replica's calendars wait for another. Longer than a cycle's longest call.
     */
    replicas: z
      .object({ leaseSeconds: z.number().int().min(2).max(3600).default(60) })
      .strict()
      .default({ leaseSeconds: 60 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.sources.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name ${quoted(s.name)}` });
      seen.add(s.name);
    });
    // One calendar read twice (two sources, or one id in two cases) would get two meetings per event.
    const calendars = new Map<string, string>();
    cfg.sources.forEach((s, i) => {
      const ids = s.kind === 'google' ? s.calendars : s.mailboxes;
      ids.forEach((id, j) => {
        const identity = calendarIdentity(s, id);
        const where = `sources[${i}].${s.kind === 'google' ? 'calendars' : 'mailboxes'}[${j}]`;
        const first = calendars.get(identity);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['sources', i, s.kind === 'google' ? 'calendars' : 'mailboxes', j], message: `calendar ${quoted(id)} is listed already, at ${first}` });
        else calendars.set(identity, where);
      });
    });
    if (cfg.push && !cfg.http) {
      ctx.addIssue({ code: 'custom', path: ['push'], message: 'push needs http.listen: notifications arrive on the HTTP listener; set http: { listen: "127.0.0.1:9464" } and point push.publicUrl\'s proxy at it' });
    }
    if (cfg.tagging.keywords.length === 0 && cfg.tagging.outlookCategories.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tagging'], message: 'give at least one keyword or Outlook category' });
    }
  });

/** The config as meetsync runs with it. */
export type Config = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type GoogleSourceConfig = z.infer<typeof googleSourceSchema>;
export type OutlookSourceConfig = z.infer<typeof outlookSourceSchema>;
