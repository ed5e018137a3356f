import type { Store } from '../store/store.js';

/** How often events waiting for an organizer make meetsync ask the platform again. */
export const ORGANIZER_RECHECK_MS = 15 * 60_000;
/** engine_state row: when the platform was last asked for organizers (ISO), whichever process asked. */
export const ORGANIZERS_CHECKED_AT = 'organizers_checked_at';

/** When events waiting for an organizer are next looked at: the last ask plus 15 minutes (`status`). */
export function organizersNextCheck(store: Store): string | undefined {
  const at = store.engineState(ORGANIZERS_CHECKED_AT);
  return at === undefined ? undefined : new Date(Date.parse(at) + ORGANIZER_RECHECK_MS).toISOString();
}
