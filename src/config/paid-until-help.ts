/** The words `--paid-until` and `provisioning.paidUntil` take; a module of its own so `--help` loads no luxon or zod. */
export const PAID_UNTIL_HELP = 'a duration from the moment the account is created, such as P1Y, P6M or 365d, or an ISO-8601 UTC instant such as 2027-12-31T00:00:00Z';
