import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway PostgreSQL server for one test run (issue 17), started by the global setup: a data
 * directory in a temp folder (/dev/shm when there is one), fsync off, listening on a free loopback
 * TCP port only, trust authentication for 127.0.0.1, and `meetsync` as its bootstrap superuser.
 * Stopped with `pg_ctl stop -m immediate` and its folder removed at teardown.
 *
 * The server refuses to run as root: as root, initdb and pg_ctl run as the `postgres` system user
 * (Debian's postgresql package creates it) through runuser, and the folder is handed to that user.
 */

export interface TestPostgresServer {
  /** The admin URL: superuser `meetsync`, database `postgres`. */
  url: string;
  port: number;
  dir: string;
  /** How long initdb + pg_ctl start took, in milliseconds. */
  startMs: number;
  /** Idempotent and synchronous (also run from a process 'exit' handler). */
  stop(): void;
}

const INSTALL_HINT = "install Debian's postgresql package (apt-get install postgresql, or bash .ci/install-postgres)";

/** The folder holding initdb and pg_ctl: $MEETSYNC_POSTGRES_BIN, pg_config --bindir, the newest /usr/lib/postgresql/N/bin, then PATH. */
export function findPostgresBinDir(): string {
  const hasTools = (dir: string): boolean => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'));
  const candidates: string[] = [];
  if (process.env.MEETSYNC_POSTGRES_BIN) candidates.push(process.env.MEETSYNC_POSTGRES_BIN);
  try {
    // Debian's pg_config (postgresql-common) may name the client's version, without initdb there: checked like the rest.
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config on PATH
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no /usr/lib/postgresql
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  const found = candidates.find((dir) => dir && hasTools(dir));
  if (!found) throw new Error(`no PostgreSQL server programs (initdb, pg_ctl) found in pg_config --bindir, /usr/lib/postgresql/*/bin or PATH: ${INSTALL_HINT}`);
  return found;
}

/** A TCP port free on 127.0.0.1 right now (another process may take it before the server does: start retries). */
async function freeLoopbackPort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

interface RunAs {
  /** Runs a server program as the user the server accepts; throws with its output on failure. */
  run(program: string, args: string[]): void;
  /** Hands a folder to that user. */
  own(dir: string): void;
}

function runAs(binDir: string, cwd: string): RunAs {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      owner = { uid, gid };
    } catch {
      throw new Error(`running as root, and there is no 'postgres' system user to run the server as (PostgreSQL refuses to run as root): ${INSTALL_HINT}, or run the tests as another user`);
    }
  }
  return {
    own(dir) {
      if (owner) chownSync(dir, owner.uid, owner.gid);
    },
    run(program, args) {
      const file = path.join(binDir, program);
      const [command, commandArgs] = owner ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
      // cwd: the temp folder, which the postgres user can read (the checkout may not be).
      const result = spawnSync(command, commandArgs, { cwd, encoding: 'utf8', timeout: 60_000 });
      if (result.error) throw new Error(`${program} could not be run (${command}): ${result.error.message}`);
      if (result.status !== 0) {
        throw new Error(`${program} failed (exit ${result.status ?? result.signal}): ${`${result.stderr}\n${result.stdout}`.trim().slice(-2000)}`);
      }
    },
  };
}

/** Starts a fresh server. Throws an Error saying why when it cannot (no PostgreSQL installed, initdb or start failed). */
export async function startTestPostgres(): Promise<TestPostgresServer> {
  const began = performance.now();
  const binDir = findPostgresBinDir();
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = mkdtempSync(path.join(base, 'meetsync-test-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  let started = false;
  try {
    const as = runAs(binDir, dir);
    as.own(dir);
    // --no-sync: nothing here must survive a crash. -U meetsync: the bootstrap superuser is `meetsync`.
    as.run('initdb', ['-D', dataDir, '-U', 'meetsync', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    writeFileSync(
      path.join(dataDir, 'pg_hba.conf'),
      ['# meetsync test server: trust, loopback TCP and its own socket folder only', 'local all all trust', 'host all all 127.0.0.1/32 trust', ''].join('\n'),
    );
    as.own(path.join(dataDir, 'pg_hba.conf'));
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !started; attempt += 1) {
      const port = await freeLoopbackPort();
      const options = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        // Its socket in its own folder: /var/run/postgresql may not exist or be another server's.
        `-c unix_socket_directories=${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=100',
      ].join(' ');
      try {
        as.run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', options]);
        started = true;
        const server: TestPostgresServer = {
          url: `postgres://meetsync@127.0.0.1:${port}/postgres`,
          port,
          dir,
          startMs: Math.round(performance.now() - began),
          stop: stopOnce(as, dataDir, dir),
        };
        return server;
      } catch (error) {
        lastError = error;
        // A port taken meanwhile: try another one. Anything else fails the same way again.
        if (!/could not bind|address already in use/i.test(serverLog(logFile))) break;
      }
    }
    throw new Error(`the PostgreSQL server did not start: ${String(lastError instanceof Error ? lastError.message : lastError)}\n${serverLog(logFile)}`.trim());
  } catch (error) {
    if (!started) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function serverLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function stopOnce(as: RunAs, dataDir: string, dir: string): () => void {
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    try {
      as.run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
