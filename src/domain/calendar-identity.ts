/**
 * The name meetsync knows a calendar by, whatever the config calls its source (issue 15, "stable
 * identities"): renaming a source, or writing a calendar id in another case, must not make the
 * calendar a new one, or every event gets a second meeting.
 *
 * - Google: `google:<calendar id, lower-cased>`. A calendar id is the same calendar whatever
 *   credential reads it; email-form ids (a user's primary calendar) are case-insensitive, and the
 *   ids Google makes (`...@group.calendar.google.com`) are lower-case already. `primary` is the
 *   one id that names different calendars for different credentials: it is known by its source
 *   name (`google-primary:<source>`), so listing the calendar by its email is what makes such a
 *   source safe to rename (README, "What meetsync promises").
 * - Outlook: `outlook:<tenant, lower-cased>:<mailbox, lower-cased>`. A mailbox is unique within
 *   its tenant; the config lower-cases mailboxes already, and a tenant id (GUID or domain) is
 *   case-insensitive.
 */
export type CalendarProviderOf =
  | { kind: 'google'; name: string }
  | { kind: 'outlook'; name: string; auth: { tenantId: string } };

export function calendarIdentity(source: CalendarProviderOf, calendarId: string): string {
  if (source.kind === 'outlook') return `outlook:${source.auth.tenantId.trim().toLowerCase()}:${calendarId.trim().toLowerCase()}`;
  const id = calendarId.trim();
  if (id.toLowerCase() === 'primary') return `google-primary:${source.name}`;
  return `google:${id.toLowerCase()}`;
}
