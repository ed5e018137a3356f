import { createPlatform } from '../app.js';
import { loadConfig } from '../config/load.js';
import { calendarsOf } from '../config/calendars.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { silentLogger } from '../log.js';
import { fail, ok, reportOf, skip, type Check, type DoctorReport } from './check.js';
import { checkDatabase } from './database.js';
import { openReadOnly } from './read-only.js';
import { checkEndpoint } from './endpoint.js';
import { checkAccountOrganizers, accountsToList } from './organizers.js';
import { accountToRead, checkApiKey, checkClock } from './platform.js';
import { checkProfile } from './profile-check.js';
import { checkGraphHandshake, checkPush } from './push.js';
import { checkSource } from './sources.js';

/**
 * `meetsync doctor`: everything a first sync depends on, checked without changing anything
 * anywhere: the config, the database, the clock, and for the platform and each source that the
 * endpoint answers, that TLS verifies and that the credentials work.
 */

export interface DoctorOptions {
  configFlag: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Deadline of each request. @default 15000 */
  timeoutMs?: number;
  /**
   * Told of each check as it finishes, so a person sees them come (650 calendars take a minute);
   * the report keeps its own order.
   */
  onCheck?: (check: Check) => void;
  /** Told as the calendars are checked, the long part: `done` of `total`, from 0. */
  onProgress?: (progress: { what: string; done: number; total: number }) => void;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const told = (check: Check): Check => {
    options.onCheck?.(check);
    return check;
  };
  let config: Config;
  let file: string;
  try {
    ({ config, file } = loadConfig(options.configFlag, options.env, options.cwd));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // "path — message", not "path: message": scrubbing at the output would take "apiKey: ..." for a secret.
    const issues = err.issues.map((i) => `${i.path} — ${i.message}`);
    return reportOf([
      told(fail('config', `${err.message}${issues.length ? ` (${issues.join('; ')})` : ''}`, 'fix the config file (every key is documented in config.example.yaml), then run the doctor again')),
      told(skip('the rest', 'not checked without a config')),
    ]);
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  const calendars = config.sources.reduce((n, s) => n + (s.kind === 'google' ? s.calendars.length : s.mailboxes.length), 0);
  const checks: Check[] = [told(ok('config', `${file}: ${config.sources.length} source${config.sources.length === 1 ? '' : 's'}, ${calendars} calendar${calendars === 1 ? '' : 's'}`))];
  checks.push(...(await checkDatabase(config.database)).map(told));

  const total = config.sources.reduce((n, s) => n + calendarsOf(s).length, 0);
  let done = 0;
  const progress = () => options.onProgress?.({ what: 'checking calendars', done, total });
  if (total > 0) progress();
  // The clock against the platform's Date header, told as soon as the platform answered; failing
  // that, against any source's answer, once they are all in.
  let clock: Check | undefined;
  const [platform, ...sources] = await Promise.all([
    checkPlatform(config, timeoutMs).then((p) => {
      if (p.date) clock = checkClock(p.date, 'the Web Meeting platform');
      [...(clock ? [clock] : []), ...p.checks].forEach(told);
      return p;
    }),
    ...config.sources.map((s, i) =>
      checkSource(s, i, {
        timeoutMs,
        concurrency: 4,
        onCheck: told,
        onCalendar: () => {
          done += 1;
          progress();
        },
      }),
    ),
  ]);
  const other = sources.flatMap((s) => s.endpoints).find((e) => e.date);
  checks.push(clock ?? told(checkClock(other?.date, other ? 'a calendar provider' : 'any endpoint')));
  checks.push(...platform.checks);
  checks.push(told(await checkProfile(config.database, config.webMeeting.baseUrl)));
  for (const s of sources) checks.push(...s.checks);
  if (config.push) checks.push(told(await checkPush(config.push.publicUrl, timeoutMs)));
  if (config.push && config.sources.some((s) => s.kind === 'outlook')) checks.push(told(await checkGraphHandshake(config.push.publicUrl, timeoutMs)));
  if (config.sources.length === 0) checks.push(told(fail('sources', 'no calendar source is configured: meetsync has nothing to read', 'add a google or outlook source under sources: (see config.example.yaml)')));
  return reportOf(checks, file);
}

async function checkPlatform(config: Config, timeoutMs: number) {
  const subject = 'Web Meeting platform';
  const endpoint = await checkEndpoint(subject, config.webMeeting.baseUrl, 'webMeeting.baseUrl', timeoutMs);
  const checks = [...endpoint.checks];
  if (!endpoint.usable) {
    checks.push(skip(subject, 'API key not checked (the endpoint failed)'));
    return { checks, date: endpoint.date };
  }
  let date = endpoint.date;
  const platform = createPlatform({ ...config, webMeeting: { ...config.webMeeting, timeoutMs } }, silentLogger(), {
    retry: { attempts: 1 },
    onAttempt: (event) => {
      const serverMs = Date.parse(event.headers?.get('date') ?? '');
      if (!Number.isNaN(serverMs)) date = { serverMs, localMs: Date.now() };
    },
  });
  const known = await knownAccounts(config.database);
  const key = await checkApiKey(platform, accountToRead(config, known));
  checks.push(key);
  // With the key working, how many organizers each account lists (doctor/organizers.ts).
  if (key.status === 'ok') checks.push(...(await checkAccountOrganizers(platform, accountsToList(config, known))));
  return { checks, date };
}

/** Account ids of organizers the database knows (from `accounts create`), read without creating it. */
async function knownAccounts(file: string): Promise<string[]> {
  try {
    const sql = await openReadOnly(file);
    if (!sql) return [];
    try {
      return sql.all<{ account_id: string }>('SELECT DISTINCT account_id FROM organizers ORDER BY account_id').map((r) => r.account_id);
    } finally {
      sql.close();
    }
  } catch {
    // The database lines say what is wrong with it.
    return [];
  }
}
