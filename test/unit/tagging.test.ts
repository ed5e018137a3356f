import { describe, expect, it } from 'vitest';
import { isTagged, topicOf } from '../../src/domain/tagging.js';
import { withJoinBlock } from '../../src/domain/join-block.js';

const rules = { keywords: ['#webmeeting'], outlookCategories: ['Web Meeting'] };
const ev = (over: Partial<{ title: string; description: string; location: string; categories: string[] }>) => ({
  title: '',
  description: '',
  location: '',
  categories: [],
  ...over,
});

describe('tagging', () => {
  it.each([
    ['title', ev({ title: 'Planning #WebMeeting' }), true],
    ['description', ev({ title: 'Planning', description: 'agenda\n#webmeeting please' }), true],
    ['location', ev({ title: 'Planning', location: '#webmeeting' }), true],
    ['Outlook category, any case', ev({ title: 'Planning', categories: ['web meeting'] }), true],
    ['no tag', ev({ title: 'Planning' }), false],
    ['keyword glued to more letters', ev({ title: 'see #webmeetings-archive' }), false],
    ['other category', ev({ title: 'x', categories: ['Red'] }), false],
  ])('%s', (_name, event, expected) => {
    expect(isTagged(event, rules)).toBe(expected);
  });

  it('does not count our own join block as a tag', () => {
    const rulesWithJoin = { keywords: ['Join:'], outlookCategories: [] };
    const description = withJoinBlock('notes', { meetingId: 'a'.repeat(24), meetingNumber: '1234-5678-9012-3456', joinUrl: 'https://m/1' });
    expect(isTagged(ev({ title: 'x', description }), rulesWithJoin)).toBe(false);
  });

  it.each([
    ['Planning #webmeeting', 'Planning'],
    ['#WEBMEETING: Weekly sync', 'Weekly sync'],
    ['Budget  #webmeeting  review', 'Budget review'],
    ['#webmeeting', 'Web meeting'],
    ['Déjeuner 🍽️ #webmeeting', 'Déjeuner 🍽️'],
  ])('topic of %j is %j', (title, topic) => {
    expect(topicOf(title, rules)).toBe(topic);
  });
});

describe('join block', () => {
  const details = { meetingId: 'a'.repeat(24), meetingNumber: '1234-5678-9012-3456', joinUrl: 'https://m/meeting/1234-5678-9012-3456' };
  it('appends once and replaces in place, never duplicating', () => {
    const once = withJoinBlock('Agenda:\n- budget', details);
    expect(withJoinBlock(once, details)).toBe(once);
    const moved = withJoinBlock(once, { ...details, joinUrl: 'https://m/new' });
    expect(moved.match(/Join:/g)).toHaveLength(1);
    expect(moved).toContain('https://m/new');
    expect(moved.startsWith('Agenda:\n- budget\n\n')).toBe(true);
  });
  it('keeps text the organizer wrote after the block', () => {
    const once = `${withJoinBlock('before', details)}\n\nafter`;
    const again = withJoinBlock(once, { ...details, meetingNumber: '9999-9999-9999-9999' });
    expect(again).toContain('before');
    expect(again).toContain('after');
    expect(again.match(/Meeting number/g)).toHaveLength(1);
  });
});
