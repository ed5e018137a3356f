import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 15, "the database restored from an older copy": the records of a restored database say
 * what the platform held when the copy was taken. Found by the crash campaign
 * (CRASH_SEED=866501079): an event moved after the copy and moved back before the restore looked
 * unchanged against its record, and its meeting stayed at the time of the move for good.
 */
describe('a database restored from an older copy', () => {
  let h: EngineHarness;
  let dir: string;
  const stores: Store[] = [];
  afterEach(async () => {
    stores.forEach((s) => s.close());
    stores.length = 0;
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openFile(file: string): Promise<Store> {
    const store = Store.open(file);
    stores.push(store);
    await refreshOrganizers(h.platform, store, [h.accountId], h.now);
    h.store = store;
    h.rebuild();
    return store;
  }

  it('brings back in step a meeting moved after the copy whose event was moved back before the restore', async () => {
    h = await startEngineHarness();
    dir = mkdtempSync(path.join(tmpdir(), 'meetsync-restore-'));
    const file = path.join(dir, 'meetsync.db');
    const first = await openFile(file);
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const meetingId = first.mapping(e)!.meetingId!;
    const startOf = () => h.sim.meetings().find((m) => m.id === meetingId)!.startTime;
    const original = startOf();
    await first.db.backup(path.join(dir, 'copy.db'));

    const moved = new Date(Date.parse(e.start!) + 3 * 3_600_000).toISOString();
    h.source.patch(CAL, e.eventId, { start: moved, end: new Date(Date.parse(e.end!) + 3 * 3_600_000).toISOString() });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(startOf()).toBe(moved);

    // meetsync is stopped; the organizer moves the event back; IT restores last night's copy.
    h.source.patch(CAL, e.eventId, { start: e.start!, end: e.end! });
    first.close();
    stores.length = 0;
    for (const suffix of ['-wal', '-shm']) rmSync(file + suffix, { force: true });
    copyFileSync(path.join(dir, 'copy.db'), file);
    const restored = await openFile(file);
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(startOf(), 'the meeting is where the event is').toBe(original);
    expect(restored.mapping(e)).toMatchObject({ start: e.start, state: 'active' });
    expect(restored.mapping(e)!.updatingSince).toBeUndefined();
    expect(restored.notes()).toEqual([]);

    // And an ordinary next cycle compares nothing: the generation has caught up.
    const calls = h.platformCalls();
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(h.platformCalls()).toBe(calls);
  });
});
