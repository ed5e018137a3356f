import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';

/**
 * One CA for the whole run. NODE_EXTRA_CA_CERTS is read when a Node process starts, so it is set
 * here, before vitest forks its workers; every SDK in every worker then trusts the simulators.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-test-tls-'));
  const tls = loadOrCreateTls(dir);
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
  process.env.MEETSYNC_TEST_TLS_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
