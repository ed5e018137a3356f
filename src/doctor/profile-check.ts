import { readProfile, type PlatformProfile } from '../store/platform-profile.js';
import { ok, warn, type Check } from './check.js';
import { openReadOnly } from './read-only.js';
import { describeProfile, gapsOf } from './probe-report.js';

/**
 * `meetsync doctor` (without --probe-platform) shows what the last probe found, read from the
 * database without creating it or writing to it: the doctor changes nothing.
 */

const SUBJECT = 'platform profile';

export async function checkProfile(file: string, baseUrl: string): Promise<Check> {
  const profile = await storedProfile(file);
  const [first, ...rest] = describeProfile(profile, baseUrl);
  const detail = [first!, ...rest.map((l) => l.trim())].join('; ');
  if (!profile) return warn(SUBJECT, detail, 'run meetsync doctor --probe-platform <organizer email> (it makes and deletes one test meeting) before going live');
  if (gapsOf(profile.entries).length > 0 || rest.length > 0) {
    return warn(SUBJECT, detail, 'run meetsync doctor --probe-platform <organizer email> for each gap\'s fix; meetsync acts on the profile meanwhile');
  }
  return ok(SUBJECT, detail);
}

async function storedProfile(file: string): Promise<PlatformProfile | undefined> {
  try {
    const sql = await openReadOnly(file);
    if (!sql) return undefined;
    try {
      return readProfile(sql);
    } finally {
      sql.close();
    }
  } catch {
    // No such table yet (an older schema), or the database lines say what is wrong with it.
    return undefined;
  }
}
