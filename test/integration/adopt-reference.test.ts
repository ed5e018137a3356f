import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { agendaFor } from '../../src/sync/execute.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { CAL, NOW, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { silentLogger } from '../../src/log.js';

/**
 * The meeting's reference (the marker in its agenda) is written once, at its creation, and never
 * rewritten (issue 15): it is the crash key and reconcile's proof of origin. Adoption from the
 * event's stamp after the database was lost keeps it; the adopted mapping holds it when it can be
 * known. (Adoption from the feed of a meeting another instance made went with the shards, issue 17:
 * replicas share one database.)
 */

let h: EngineHarness;
const opened: Store[] = [];
afterEach(async () => {
  opened.splice(0).forEach((s) => s.close());
  await h?.close();
});

async function freshDatabase(over: Parameters<EngineHarness['rebuild']>[0] = {}): Promise<Store> {
  const store = Store.open(':memory:');
  opened.push(store);
  await refreshOrganizers(h.platform, store, [h.accountId], NOW);
  h.rebuild(over, store);
  return store;
}

const agendaOf = (meetingId: string) => h.sim.meetings().find((m) => m.id === meetingId)?.agenda;

async function reconciled(store: Store) {
  h.advance(15 * 60_000);
  return reconcile({ store, platform: h.platform, logger: silentLogger(), now: () => h.now });
}

describe("adoption keeps the meeting's reference", () => {
  it('adopted through the stamp after the database was lost: the agenda keeps its reference and reconcile still proves origin', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({ title: 'Roadmap #webmeeting' }));
    await h.engine.runCycle();
    const made = h.store.mapping(e)!;
    const store = await freshDatabase();
    // Moved while no database knew its meeting: the adoption's PUT brings the meeting in step.
    h.source.patch(CAL, e.eventId, { start: '2026-12-04T10:00:00.000Z', end: '2026-12-04T11:00:00.000Z' });
    const puts = h.sim.server.received('PUT').length;
    await h.engine.runCycle();
    expect(h.sim.server.received('PUT').length).toBe(puts + 1);
    expect(store.mapping(e)).toMatchObject({ state: 'active', meetingId: made.meetingId, marker: made.marker });
    expect(agendaOf(made.meetingId!)).toBe(agendaFor(made.marker));
    expect(h.sim.meetings().find((m) => m.id === made.meetingId)?.startTime).toBe('2026-12-04T10:00:00.000Z');

    // Later updates keep it too.
    h.source.patch(CAL, e.eventId, { title: 'Roadmap 2027 #webmeeting' });
    await h.engine.runCycle();
    expect(agendaOf(made.meetingId!)).toBe(agendaFor(made.marker));
    const report = await reconciled(store);
    expect(report.findings.map((f) => [f.kind, f.meetingId])).toEqual([['in-step', made.meetingId]]);
  });
});
