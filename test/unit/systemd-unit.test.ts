import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UNIT = path.join(ROOT, 'deploy/meetsync.service');

/** section -> key -> values (a key may repeat, e.g. Environment=). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

describe('deploy/meetsync.service', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const service = unit.get('Service')!;
  const one = (key: string) => service.get(key)?.at(-1);

  it('runs meetsync run as a dedicated user, with its database in a StateDirectory and secrets from an environment file', () => {
    expect(one('User')).toBe('meetsync');
    expect(one('StateDirectory')).toBe('meetsync');
    expect(one('StateDirectoryMode')).toBe('0700');
    expect(one('EnvironmentFile')).toMatch(/^\/etc\/meetsync\/.+\.env$/);
    expect(one('ExecStart')).toMatch(/ dist\/src\/bin\.js run$|\/bin\.js run$/);
    expect(service.get('Environment')).toContain('MEETSYNC_CONFIG=/etc/meetsync/meetsync.yaml');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('restarts on failure and stops with SIGTERM, leaving time for the action in flight', () => {
    expect(one('Restart')).toBe('on-failure');
    // A config error (exit 2) is not restarted: it would only fail again until systemd gives up.
    expect(one('RestartPreventExitStatus')).toBe('2');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number.parseInt(one('TimeoutStopSec') ?? '0', 10)).toBeGreaterThanOrEqual(60);
    expect(unit.get('Unit')?.get('StartLimitBurst')).toBeDefined();
  });

  it('has the usual hardening, and not MemoryDenyWriteExecute (V8 needs it off)', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes', RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes', CapabilityBoundingSet: '', UMask: '0077', SystemCallArchitectures: 'native',
    })) expect([key, one(key)]).toEqual([key, value]);
    expect(one('MemoryDenyWriteExecute')).toBeUndefined();
  });

  // Where systemd is installed (Debian: the systemd package), its own checker reads the unit too.
  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it(`passes systemd-analyze verify${analyze ? '' : ' (systemd-analyze not installed here: only the checks above ran)'}`, () => {
    if (!analyze) return;
    // verify checks that ExecStart's program exists: point it at this node and this checkout.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-unit-'));
    const copy = path.join(dir, 'meetsync.service');
    writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('/usr/bin/node /opt/meetsync', `${process.execPath} ${ROOT}`));
    const result = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    // Lines about this file are its problems (unknown keys, bad values); others are about the host.
    const ours = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes(copy));
    expect(ours).toEqual([]);
    expect(result.status).toBe(0);
  });
});
