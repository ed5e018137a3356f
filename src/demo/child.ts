import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CycleCounts, EventOutcome } from '../domain/action.js';
import { MeetsyncError } from '../domain/errors.js';

/**
 * meetsync itself, run by the demo the way a person runs it: `meetsync sync --config …` as a child
 * process. A child, because the simulators serve https with a CA made for this demo, and Node
 * reads NODE_EXTRA_CA_CERTS only when a process starts: the demo's own process was started
 * without it, each child is started with it. Children write their log (JSON lines on standard
 * error) to the demo's log file; the demo reads only their standard output.
 */

/** A step of the demo that did not work; the CLI prints it as one line and exits 1. */
export class DemoError extends MeetsyncError {}

/** This build's CLI. */
export const MEETSYNC_BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

export interface ChildSetup {
  /** The script to run as meetsync. @default MEETSYNC_BIN */
  bin?: string;
  configPath: string;
  caCertPath: string;
  /** File descriptor of the log, open for appending. */
  logFd: number;
  logPath: string;
  env: NodeJS.ProcessEnv;
}

/** Runs `meetsync <args> --config <demo config>`; resolves with its exit code and standard output. */
export function runMeetsync(setup: ChildSetup, args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const env: NodeJS.ProcessEnv = { ...setup.env, NODE_EXTRA_CA_CERTS: setup.caCertPath };
  delete env.MEETSYNC_CONFIG;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [setup.bin ?? MEETSYNC_BIN, '--config', setup.configPath, ...args], { env, stdio: ['ignore', 'pipe', setup.logFd] });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

/** What `meetsync sync --json` prints (cli/sync-commands.ts printCycle). */
export interface CycleJson extends CycleCounts {
  outcomes: EventOutcome[];
  calendars: Array<{ source: string; calendarId: string; ok: boolean; error?: string; stopped?: string }>;
  problems: string[];
  halted?: { error: string };
}

/** One sync cycle; a cycle that failed anywhere ends the demo with what went wrong. */
export async function syncCycle(setup: ChildSetup, step: string): Promise<CycleJson> {
  const { code, stdout } = await runMeetsync(setup, ['sync', '--json']);
  let report: CycleJson;
  try {
    report = JSON.parse(stdout) as CycleJson;
  } catch {
    throw new DemoError(`${step}: 'meetsync sync' exited ${code} without its report; its log: ${setup.logPath}`);
  }
  const why =
    report.halted?.error ??
    report.calendars.filter((c) => !c.ok).map((c) => c.error ?? c.stopped)[0] ??
    report.problems[0] ??
    report.outcomes.find((o) => o.outcome === 'failed')?.reason;
  if (code !== 0 || why) throw new DemoError(`${step}: 'meetsync sync' exited ${code}${why ? `: ${why}` : ''}; its log: ${setup.logPath}`);
  return report;
}
