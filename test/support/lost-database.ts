import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyStore } from '../../src/store/copy.js';
import { Store } from '../../src/store/store.js';
import type { EngineSettings } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import type { EngineHarness } from './engine-harness.js';
import { openPostgresTestStore, openTestStore, type TestStore } from './test-store.js';

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
 * Puts an empty database in the harness's place (the test store's kind: in-memory SQLite, or a
 * new PostgreSQL database), knowing what `meetsync` starting on it knows (the configured
 * account's organizers), and an engine on it. Returns its store, closed with the harness.
 */
export async function loseDatabase(h: EngineHarness): Promise<Store> {
  const fresh = h.replaceStore(await openTestStore());
  await refreshOrganizers(h.platform, fresh, [h.accountId], h.now);
  h.rebuild();
  return fresh;
}

/**
 * An operator's backup of the database, taken while no cycle runs (a later one replaces it), and
 * databases restored from it, opened as meetsync opens its database (schema checked). On SQLite,
 * better-sqlite3's online backup (a consistent copy) into a file, and restores are copies of the
 * file: they go to /dev/shm where the system has one (a file database syncs to disk at each
 * commit). On PostgreSQL (MEETSYNC_TEST_STORE=postgres), the backup and each restore are new
 * databases that store/copy.ts copyStore fills.
 */
export class DatabaseBackup {
  private dir: string | undefined;
  private taken = false;
  private restored = 0;
  /** On PostgreSQL: the backup's own database. */
  private copy: TestStore | undefined;

  async take(store: Store): Promise<void> {
    if (store.sql.dialect === 'postgres') {
      const previous = this.copy;
      this.copy = await openPostgresTestStore((to) => copyStore(store, to));
      await previous?.close();
    } else {
      this.dir ??= mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'meetsync-machine-'));
      await store.db.backup(path.join(this.dir, 'backup.sqlite'));
    }
    this.taken = true;
  }

  get exists(): boolean {
    return this.taken;
  }

  /**
   * Puts a copy of the backup in the harness's place (closed with the harness), and an engine on
   * it. Returns its store.
   */
  async restore(h: EngineHarness): Promise<Store> {
    if (!this.taken) throw new Error('no backup taken');
    let restored: TestStore;
    if (this.copy) {
      restored = await openPostgresTestStore((to) => copyStore(this.copy!.store, to));
    } else {
      const file = path.join(this.dir!, `restored-${(this.restored += 1)}.sqlite`);
      copyFileSync(path.join(this.dir!, 'backup.sqlite'), file);
      const store = Store.open(file);
      restored = { store, close: async () => store.close() };
    }
    h.replaceStore(restored);
    h.rebuild();
    return restored.store;
  }

  /** Removes the backup (the databases restored from it are the harness's to close first). */
  async remove(): Promise<void> {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    await this.copy?.close();
    this.copy = undefined;
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
