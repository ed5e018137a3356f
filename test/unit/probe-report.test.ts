import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS, describeProfile, gapsOf, probeExitCode, renderProbe, type ProbeOutcome } from '../../src/doctor/probe-report.js';
import type { ProbeResult } from '../../src/store/platform-profile.js';

const all = (result: ProbeResult, except: Record<string, ProbeResult> = {}) =>
  ASSUMPTIONS.map((a) => ({ assumption: a.key, result: except[a.key] ?? result, detail: 'seen' }));

const outcome = (entries: ProbeOutcome['entries'], finished = true): ProbeOutcome => ({
  platform: 'https://meeting.example.com',
  organizerEmail: 'alice@example.com',
  probedAt: '2026-12-07T10:00:00.000Z',
  entries,
  canary: ['Canary 1234-5678-9012-3456 made and deleted.'],
  finished,
});

describe('the probe report', () => {
  it('exit 0 only when everything relied on is confirmed and the probe finished', () => {
    expect(probeExitCode(outcome(all('confirmed')))).toBe(0);
    expect(probeExitCode(outcome(all('confirmed'), false))).toBe(1);
    expect(probeExitCode(outcome(all('confirmed', { 'feed-carries-agenda': 'contradicted' })))).toBe(1);
    expect(probeExitCode(outcome(all('confirmed', { 'admin-lists-every-organizer': 'unknown' })))).toBe(1);
  });

  it('the number in the feed is a fallback: needed only when the feed does not carry the id', () => {
    expect(gapsOf(all('confirmed', { 'feed-carries-number': 'contradicted' }))).toEqual([]);
    const both = gapsOf(all('confirmed', { 'feed-carries-number': 'contradicted', 'feed-carries-id': 'contradicted' }));
    expect(both.map((g) => g.assumption)).toEqual(['feed-carries-id', 'feed-carries-number']);
    const text = renderProbe(outcome(all('confirmed', { 'feed-carries-number': 'contradicted' })));
    expect(text).toMatch(/^contradicted {2}a feed entry carries the meeting number: seen\n {14}not relied on: the assumptions above hold$/m);
    expect(text).toContain('Everything meetsync relies on is confirmed.');
  });

  it('a gap is printed with its consequence and fix; the summary names it', () => {
    const text = renderProbe(outcome(all('confirmed', { 'feed-carries-agenda': 'contradicted' })));
    expect(text).toMatch(/^contradicted {2}a feed entry repeats the meeting's agenda .*\n {14}consequence: .*lost creations will be held for IT rather than posted again\n {14}fix: /m);
    expect(text).toMatch(/^1 gap: feed-carries-agenda\. The platform profile is stored/m);
  });

  it('doctor and status: never probed, gaps, and a profile of another platform', () => {
    expect(describeProfile(undefined, 'https://meeting.example.com')).toEqual(['platform never probed: run meetsync doctor --probe-platform <email> before going live']);
    const profile = { platform: 'https://meeting.example.com', organizerEmail: 'alice@example.com', probedAt: '2026-12-07T10:00:00.000Z', entries: all('confirmed', { 'feed-carries-agenda': 'contradicted' }) };
    const lines = describeProfile(profile, 'https://other.example.com/');
    expect(lines[0]).toBe(`platform probed 2026-12-07T10:00:00.000Z as alice@example.com: ${ASSUMPTIONS.length - 1} of ${ASSUMPTIONS.length} assumptions confirmed; 1 gap`);
    expect(lines[1]).toContain('not of webMeeting.baseUrl (https://other.example.com)');
    expect(lines[2]).toMatch(/^ {2}contradicted a feed entry repeats the meeting's agenda .*lost creations will be held for IT/);
  });
});
