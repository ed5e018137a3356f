import type { JoinDetails, MeetingStamp } from '../domain/event.js';
import { BLOCK_END, BLOCK_START, hasJoinBlock, withJoinBlock } from './join-block.js';

/**
 * What a write-back would change on an event, computed the same way by every CalendarSource
 * (Google, the in-memory source, and Outlook if it wants), so "idempotent" means the same thing
 * everywhere: writing the same details twice finds nothing to change the second time.
 */

/** The parts of an event a write-back reads. */
export interface JoinTarget {
  description: string;
  location: string;
  stamp?: MeetingStamp;
}

/** Only the fields that must change; absent fields stay as they are. */
export interface JoinWrite {
  description?: string;
  location?: string;
  stamp?: MeetingStamp;
}

/** The join URL of the first meetsync block in a description, if there is one. */
export function joinUrlInBlock(description: string): string | undefined {
  const start = description.indexOf(BLOCK_START);
  if (start === -1) return undefined;
  const end = description.indexOf(BLOCK_END, start);
  const block = description.slice(start, end === -1 ? undefined : end);
  return /^Join: (\S+)\s*$/m.exec(block)?.[1];
}

/**
 * The changes that make `current` carry `details`, or null when it already does.
 * - description: exactly one block with these details (replaced in place, never duplicated);
 * - location: the join URL, but only when the organizer left it empty or it still holds the
 *   URL of our own earlier block (a meeting re-created with a new link); a room or address the
 *   organizer typed is never overwritten;
 * - stamp: the meeting id and number.
 */
export function planJoinWrite(current: JoinTarget, details: JoinDetails): JoinWrite | null {
  const write: JoinWrite = {};
  if (!hasJoinBlock(current.description, details)) {
    write.description = withJoinBlock(current.description, details);
  }
  const location = current.location.trim();
  const ourOldUrl = joinUrlInBlock(current.description);
  const locationIsOurs = location === '' || (ourOldUrl !== undefined && location === ourOldUrl);
  if (locationIsOurs && location !== details.joinUrl) write.location = details.joinUrl;
  if (current.stamp?.meetingId !== details.meetingId || current.stamp.meetingNumber !== details.meetingNumber) {
    write.stamp = { meetingId: details.meetingId, meetingNumber: details.meetingNumber };
  }
  return Object.keys(write).length === 0 ? null : write;
}
