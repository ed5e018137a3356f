import { describe, expect, it } from 'vitest';
import { renderDoctor, reportOf, splitRemedy, fail, ok, warn } from '../../src/doctor/check.js';
import { checkClock } from '../../src/doctor/platform.js';

describe('doctor clock check', () => {
  const at = Date.parse('2030-01-07T09:00:00.000Z');
  it('is ok within two minutes, either way', () => {
    expect(checkClock({ serverMs: at, localMs: at + 400 }, 'the platform')).toMatchObject({ status: 'ok', detail: 'this machine is within a second of the platform' });
    expect(checkClock({ serverMs: at, localMs: at - 119_000 }, 'the platform')).toMatchObject({ status: 'ok', detail: 'this machine is 119 s behind the platform' });
  });
  it('warns past two minutes, with the remedy', () => {
    const c = checkClock({ serverMs: at, localMs: at + 5 * 60_000 + 500 }, 'the platform');
    expect(c.status).toBe('WARN');
    expect(c.detail).toBe('this machine is 300 s ahead of the platform');
    expect(c.remedy).toMatch(/timedatectl set-ntp true/);
  });
  it('says it could not check without a Date header', () => {
    expect(checkClock(undefined, 'any endpoint').status).toBe('skip');
  });
});

describe('doctor report', () => {
  it('fails only on FAIL, and prints each remedy under its line', () => {
    expect(reportOf([ok('a', 'fine'), warn('b', 'meh', 'do x')]).ok).toBe(true);
    const report = reportOf([ok('a', 'fine'), fail('b', 'broken', 'do y')]);
    expect(report.ok).toBe(false);
    expect(renderDoctor(report)).toBe('ok    a: fine\nFAIL  b: broken\n      fix: do y\n\n1 check failed: meetsync will not work until it is fixed.');
  });
  it("splits an adapter's message at its first '; ' into what happened and what to do", () => {
    expect(splitRemedy('Google refused the refresh token (invalid_grant): it was revoked; create a new one; really', 'x')).toEqual({
      detail: 'Google refused the refresh token (invalid_grant): it was revoked',
      remedy: 'create a new one; really',
    });
    expect(splitRemedy('no remedy here', 'the fallback')).toEqual({ detail: 'no remedy here', remedy: 'the fallback' });
  });
});
