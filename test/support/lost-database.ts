import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
 * An operator's backup of the database (better-sqlite3's online backup: a consistent copy, taken
 * while no cycle runs; a later one replaces it), and databases restored from it. The files go
 * to /dev/shm where the system has one: a file database syncs to disk at each commit.
 */
export class DatabaseBackup {
  private dir: string | undefined;
  private taken = false;
  private restored = 0;

  async take(store: Store): Promise<void> {
    this.dir ??= mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'meetsync-machine-'));
    await store.db.backup(path.join(this.dir, 'backup.sqlite'));
    this.taken = true;
  }

  get exists(): boolean {
    return this.taken;
  }

  /**
   * Puts a copy of the backup in the harness's place, opened as meetsync opens its database
   * (schema checked), and an engine on it. Returns it, for the caller to close.
   */
  restore(h: EngineHarness): Store {
    if (!this.dir || !this.taken) throw new Error('no backup taken');
    const file = path.join(this.dir, `restored-${(this.restored += 1)}.sqlite`);
    copyFileSync(path.join(this.dir, 'backup.sqlite'), file);
    const restored = Store.open(file);
    h.store = restored;
    h.rebuild();
    return restored;
  }

  /** Removes the files (the databases opened on them closed first). */
  remove(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * IT does what `status` asks: an organizer whose provisioning the platform refused as "account
 * already exists" (a lost database with none of their events stamped any more: untagged,
 * deleted) gets their account added to `webMeeting.accountIds`, a while later. Status asks it in
 * the last run's error (the cycle that was refused) and, for as long as it waits, in the note of
 * each event of theirs that wants a meeting: IT reading status later learns it there.
 */
export function followStatus(h: EngineHarness, over: Partial<EngineSettings>): boolean {
  const asked = [h.store.lastRuns(1)[0]?.error ?? '', ...h.store.notes().map((n) => n.reason)].join('\n');
  // An account provisioning made is named after its first organizer's email (the tutorial's answer to POST /account).
  const accounts = h.sim
    .accounts()
    .filter((a) => h.store.organizer(a.name) === undefined)
    .filter((a) => asked.includes(`could not create a platform account for ${a.name}`) || asked.includes(`the platform has an account for ${a.name} that meetsync does not know`))
    .map((a) => a.id);
  if (accounts.length === 0) return false;
  h.rebuild({ ...over, accountIds: [h.accountId, ...accounts] });
  h.advance(15 * 60_000);
  return true;
}
