import { copyFileSync } from 'node:fs';
import { Store } from '../../src/store/store.js';
import type { EngineSettings } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import type { EngineHarness } from './engine-harness.js';

/**
 * The state machine's lost database (issue 15): what the world does when the database is lost
 * and meetsync starts on an empty one, and what IT does about what `status` then asks.
 */

/**
 * Nothing in flight: every meeting confirmed, its link written, no call unconfirmed, no failure to
 * retry. A database is lost only then: a creation not yet confirmed, or a link not yet written,
 * has nothing in any calendar to be found by, and is reconcile's to report.
 */
export function isQuiet(store: Store): boolean {
  const busy = store.mappings().some((m) => m.state === 'creating' || (m.state === 'active' && m.writeBack !== 'done') || m.updatingSince || m.deletingSince);
  return !busy && !store.notes().some((n) => n.retry);
}

/**
 * Puts an empty database in the harness's place, knowing what `meetsync` starting on it knows
 * (the configured account's organizers), and an engine on it. Returns it, for the caller to close.
 */
export async function loseDatabase(h: EngineHarness): Promise<Store> {
  const fresh = Store.open(':memory:');
  await refreshOrganizers(h.platform, fresh, [h.accountId], h.now);
  h.store = fresh;
  h.rebuild();
  return fresh;
}

/**
 * Puts the database restored from an older copy (`backup`, written by better-sqlite3's online
 * backup) in the harness's place: the copy goes to `file`, opened as meetsync opens its database
 * (schema checked), and an engine on it. Returns it, for the caller to close.
 */
export function restoreDatabase(h: EngineHarness, backup: string, file: string): Store {
  copyFileSync(backup, file);
  const restored = Store.open(file);
  h.store = restored;
  h.rebuild();
  return restored;
}

/**
 * IT does what `status` asks: an organizer whose provisioning the platform refused as "account
 * already exists" (a lost database with none of their events stamped any more: untagged,
 * deleted) gets their account added to `webMeeting.accountIds`, a while later.
 */
export function followStatus(h: EngineHarness, over: Partial<EngineSettings>): boolean {
  const asked = h.store.lastRuns(1)[0]?.error ?? '';
  // An account provisioning made is named after its first organizer's email (the tutorial's answer to POST /account).
  const accounts = h.sim.accounts().filter((a) => asked.includes(`could not create a platform account for ${a.name}`)).map((a) => a.id);
  if (accounts.length === 0) return false;
  h.rebuild({ ...over, accountIds: [h.accountId, ...accounts] });
  h.advance(15 * 60_000);
  return true;
}
