import { describe, expect, it } from 'vitest';
import { renderJoinBlock, withJoinBlock } from '../../src/domain/join-block.js';
import { planJoinClear, planJoinWrite, type JoinTarget } from '../../src/calendars/join-write.js';
import type { JoinDetails } from '../../src/domain/event.js';

const details: JoinDetails = { meetingId: 'mtg-1', meetingNumber: '111 222 333', joinUrl: 'https://meet.example.test/j/111' };
const stamp = { meetingId: details.meetingId, meetingNumber: details.meetingNumber };

/** The event as a write-back of `details` leaves it. */
function written(target: JoinTarget): JoinTarget {
  const plan = planJoinWrite(target, details);
  return {
    description: plan?.description ?? target.description,
    location: plan?.location ?? target.location,
    ...(plan?.stamp ?? target.stamp ? { stamp: plan?.stamp ?? target.stamp! } : {}),
  };
}

/** The event as a clear leaves it. */
function cleared(target: JoinTarget): JoinTarget {
  const plan = planJoinClear(target);
  return {
    description: plan?.description ?? target.description,
    location: plan?.location ?? target.location,
    ...(target.stamp && !plan?.removeStamp ? { stamp: target.stamp } : {}),
  };
}

describe('planJoinClear', () => {
  it.each<[string, JoinTarget]>([
    ['an empty event', { description: '', location: '' }],
    ['organizer text only', { description: 'Agenda: budget', location: '' }],
    ['a room', { description: 'Agenda: budget', location: 'Room 4.12' }],
    ['a multi-line description with blank lines', { description: 'Line one\n\nLine three\n', location: '' }],
  ])('undoes a write-back exactly: %s', (_name, original) => {
    const after = cleared(written(original));

    expect(after).toEqual({ ...original, description: original.description.trimEnd() });
    expect(planJoinClear(after)).toBeNull();
  });

  it('keeps the text the organizer wrote after our block', () => {
    const description = `Agenda\n\n${renderJoinBlock(details)}\n\nDial-in: see above`;

    expect(planJoinClear({ description, location: '' })).toEqual({ description: 'Agenda\n\nDial-in: see above' });
  });

  it('removes every block, duplicates included', () => {
    const block = renderJoinBlock(details);

    expect(planJoinClear({ description: `Notes\n\n${block}\n\n${block}`, location: '' })?.description).toBe('Notes');
  });

  it('empties the location only when it holds exactly the join link of our block', () => {
    const description = withJoinBlock('Notes', details);

    expect(planJoinClear({ description, location: details.joinUrl })?.location).toBe('');
    expect(planJoinClear({ description, location: ` ${details.joinUrl} ` })?.location).toBe('');
    expect(planJoinClear({ description, location: `${details.joinUrl} (backup)` })).not.toHaveProperty('location');
    expect(planJoinClear({ description, location: 'https://meet.example.test/j/other' })).not.toHaveProperty('location');
  });

  it('leaves a join link without our block alone: nothing proves meetsync put it there', () => {
    expect(planJoinClear({ description: 'Call: https://meet.example.test/j/111', location: details.joinUrl })).toBeNull();
  });

  it('removes a stamp even when the block is gone already', () => {
    expect(planJoinClear({ description: 'Agenda', location: '', stamp })).toEqual({ removeStamp: true });
  });

  it('never counts trailing whitespace alone as something to clear', () => {
    expect(planJoinClear({ description: 'Agenda\n\n  ', location: '' })).toBeNull();
  });
});
