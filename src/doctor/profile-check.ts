import { SqliteSql } from '../store/sqlite-sql.js';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { readProfile, type PlatformProfile } from '../store/platform-profile.js';
import { ok, warn, type Check } from './check.js';
import { describeProfile, gapsOf } from './probe-report.js';

/**
 * `meetsync doctor` (without --probe-platform) shows what the last probe found, read from the
 * database without creating it or writing to it: the doctor changes nothing.
 */

const SUBJECT = 'platform profile';

export function checkProfile(file: string, baseUrl: string): Check {
  const profile = storedProfile(file);
  const [first, ...rest] = describeProfile(profile, baseUrl);
  const detail = [first!, ...rest.map((l) => l.trim())].join('; ');
  if (!profile) return warn(SUBJECT, detail, 'run meetsync doctor --probe-platform <organizer email> (it makes and deletes one test meeting) before going live');
  if (gapsOf(profile.entries).length > 0 || rest.length > 0) {
    return warn(SUBJECT, detail, 'run meetsync doctor --probe-platform <organizer email> for each gap\'s fix; meetsync acts on the profile meanwhile');
  }
  return ok(SUBJECT, detail);
}

function storedProfile(file: string): PlatformProfile | undefined {
  if (file === ':memory:' || !existsSync(file)) return undefined;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return readProfile(new SqliteSql(db));
    } finally {
      db.close();
    }
  } catch {
    // No such table yet (an older schema), or the database lines say what is wrong with the file.
    return undefined;
  }
}
