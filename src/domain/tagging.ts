import type { CalendarEvent } from './event.js';
import { stripJoinBlock } from './join-block.js';

/** What asks for a web meeting: keywords anywhere in the text, or (Outlook) a category. */
export interface TaggingRules {
  keywords: readonly string[];
  outlookCategories: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A keyword matches case-insensitively when it is not glued to more word characters, so
 * `#webmeeting` matches "Planning #WebMeeting" but not "#webmeetings-archive".
 */
function keywordPattern(keyword: string, flags: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(keyword)}(?![\\p{L}\\p{N}_-])`, `iu${flags}`);
}

/** True when the event asks for a web meeting. Our own join block never counts as a tag. */
export function isTagged(event: Pick<CalendarEvent, 'title' | 'description' | 'location' | 'categories'>, rules: TaggingRules): boolean {
  return tagOf(event, rules) !== undefined;
}

/** What tags the event, as a person reads it (`#webmeeting in the title`, `category Web Meeting`), or undefined. */
export function tagOf(event: Pick<CalendarEvent, 'title' | 'description' | 'location' | 'categories'>, rules: TaggingRules): string | undefined {
  const wanted = new Set(rules.outlookCategories.map((c) => c.toLowerCase()));
  const category = event.categories.find((c) => wanted.has(c.toLowerCase()));
  if (category !== undefined) return `category ${category}`;
  const text: Array<[string, string]> = [['title', event.title], ['description', stripJoinBlock(event.description)], ['location', event.location]];
  for (const k of rules.keywords) {
    const where = text.find(([, t]) => keywordPattern(k, '').test(t));
    if (where) return `${k} in the ${where[0]}`;
  }
  return undefined;
}

/** The meeting topic: the title with every keyword removed and spaces tidied. */
export function topicOf(title: string, rules: TaggingRules, fallback = 'Web meeting'): string {
  let topic = title;
  for (const k of rules.keywords) topic = topic.replace(keywordPattern(k, 'g'), ' ');
  topic = topic.replace(/\s+/g, ' ').replace(/^[\s:;,-]+|[\s:;,-]+$/g, '').trim();
  return topic === '' ? fallback : topic;
}
