import type { JoinDetails } from './event.js';

/**
 * The block meetsync keeps in an event's description. Its first and last lines are fixed
 * markers, so the block can be found, replaced and never duplicated, whatever the organizer
 * writes around it.
 */
export const BLOCK_START = '-- Web meeting (added by meetsync; edits inside this block are replaced) --';
export const BLOCK_END = '-- end of web meeting --';

export function renderJoinBlock(details: JoinDetails): string {
  return [BLOCK_START, `Join: ${details.joinUrl}`, `Meeting number: ${details.meetingNumber}`, BLOCK_END].join('\n');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const blockSource = `${escape(BLOCK_START)}[\\s\\S]*?${escape(BLOCK_END)}`;
const blockPattern = new RegExp(blockSource, 'g');
const blockWithLeadingBlankLines = new RegExp(`\\n*${blockSource}`, 'g');

/** Removes every meetsync block (and the blank lines before it) from a description. */
export function stripJoinBlock(description: string): string {
  return description.replace(blockWithLeadingBlankLines, '').trimEnd();
}

/**
 * The description with exactly one block carrying `details`: an existing block is replaced in
 * place, otherwise the block is appended after a blank line.
 */
export function withJoinBlock(description: string, details: JoinDetails): string {
  const block = renderJoinBlock(details);
  const first = description.indexOf(BLOCK_START);
  if (first === -1) return description.trim() === '' ? block : `${description.trimEnd()}\n\n${block}`;
  const before = description.slice(0, first);
  const rest = stripJoinBlock(description.slice(first));
  return `${before}${block}${rest ? `\n\n${rest.trimStart()}` : ''}`;
}

/** True when the description already carries exactly this block and no other. */
export function hasJoinBlock(description: string, details: JoinDetails): boolean {
  const matches = description.match(blockPattern) ?? [];
  return matches.length === 1 && matches[0] === renderJoinBlock(details);
}
