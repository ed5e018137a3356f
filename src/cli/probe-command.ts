import type { Config } from '../config/schema.js';
import { UsageError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { createPlatform, withStore, type GlobalOptions } from './context.js';
import { complain, out, outJson, type CliIo } from './output.js';

/**
 * `meetsync doctor --probe-platform <email>`: the one doctor run that changes something (one
 * canary meeting, deleted again). Ctrl-C (SIGINT) or SIGTERM stops the probe and deletes the
 * canary before exiting; exit 0 when everything meetsync relies on is confirmed, 1 otherwise,
 * 2 for a usage or config error (an organizer not found).
 */
export async function runProbeCommand(io: CliIo, opts: GlobalOptions & { probePlatform: string; probeWait: string }): Promise<void> {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(opts.probePlatform)) throw new UsageError(`--probe-platform ${opts.probePlatform}: not an email address; give the email of an organizer on the platform`);
  const waitS = Number(opts.probeWait);
  if (!Number.isFinite(waitS) || waitS <= 0 || waitS > 3600) throw new UsageError(`--probe-wait ${opts.probeWait}: give the seconds to wait for the feed, between 1 and 3600`);
  await withStore(io, opts, async ({ config, store, logger }) => {
    // Two probes at once would each take the other's canary for one left by a crash and delete it.
    const { FileLock, LockedError } = await import('../store/lock.js');
    const { isPostgresUrl } = await import('../store/database-target.js');
    const { tryAdvisoryLock } = await import('../store/advisory-lock.js');
    const lock = config.database === ':memory:' ? undefined : isPostgresUrl(config.database) ? tryAdvisoryLock(config.database, 'probe') : FileLock.tryAcquire(`${config.database}.probe.lock`);
    if (!lock && config.database !== ':memory:') throw new LockedError('another meetsync doctor --probe-platform is running on this database; wait for it to finish');
    try {
      await probe(io, { email: opts.probePlatform, waitMs: waitS * 1000, json: Boolean(opts.json) }, config, store, logger);
    } finally {
      lock?.release();
    }
  });
}

async function probe(io: CliIo, run: { email: string; waitMs: number; json: boolean }, config: Config, store: Store, logger: Logger): Promise<void> {
  const { probePlatform } = await import('../doctor/probe.js');
  const { probeExitCode, renderProbe } = await import('../doctor/probe-report.js');
  const client = await createPlatform(config, logger);
  const controller = new AbortController();
  const stop = () => {
    if (!controller.signal.aborted) complain(io, 'meetsync: interrupted: deleting the canary meeting, then stopping');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  try {
    const outcome = await probePlatform({
      config,
      store,
      client,
      email: run.email,
      waitMs: run.waitMs,
      signal: controller.signal,
      ...(tty ? { onStep: (text: string) => complain(io, `probe: ${text}...`) } : {}),
    });
    if (run.json) outJson(io, outcome, 2);
    else out(io, renderProbe(outcome));
    process.exitCode = probeExitCode(outcome);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
