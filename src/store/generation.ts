import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Store } from './store.js';

/**
 * Whether this database is older than one meetsync wrote before: restored from a backup, or
 * replaced by an older copy (issue 15). Each cycle counts up a generation in the database
 * (engine_state) and then in a file beside it (`<database>.generation`). A database whose
 * generation is below the file's has lost cycles that the platform has not: what its records
 * say the platform holds may be older than what it holds (sync/restored.ts). A backup taken of
 * the database alone (the usual case) leaves the file newer. An in-memory database has no file.
 */

const KEY = 'generation';

export interface Generations {
  database: number;
  /** The file's, or undefined when there is none (a first start, or an in-memory database). */
  file?: number;
}

function sidecarOf(store: Store): string | undefined {
  return store.file ? `${store.file}.generation` : undefined;
}

export function readGenerations(store: Store): Generations {
  const database = Number(store.engineState(KEY) ?? '0');
  const sidecar = sidecarOf(store);
  if (!sidecar) return { database };
  try {
    const file = Number(readFileSync(sidecar, 'utf8').trim());
    return Number.isFinite(file) ? { database, file } : { database };
  } catch {
    return { database };
  }
}

export function isOlderThanWritten(g: Generations): boolean {
  return g.file !== undefined && g.database < g.file;
}

/** One more cycle: the database first, then the file (a crash between leaves the file behind, which is no restore). */
export function advanceGeneration(store: Store, g: Generations): void {
  const next = Math.max(g.database, g.file ?? 0) + 1;
  store.setEngineState(KEY, String(next));
  const sidecar = sidecarOf(store);
  if (!sidecar) return;
  try {
    writeFileSync(`${sidecar}.tmp`, `${next}\n`);
    renameSync(`${sidecar}.tmp`, sidecar);
  } catch {
    // A folder meetsync cannot write to fails the database first; nothing to add here.
  }
}
