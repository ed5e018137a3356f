import type { JoinDetails, MeetingStamp } from '../domain/event.js';
import { BLOCK_END, BLOCK_START, hasJoinBlock, stripJoinBlock, withJoinBlock } from '../domain/join-block.js';

/**
 * What a write-back (or its inverse, clearing) would change on an event, computed the same way
 * by every CalendarSource (Google, the in-memory source, and Outlook if it wants), so
 * "idempotent" means the same thing everywhere: writing the same details twice, or clearing
 * twice, finds nothing to change the second time.
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
 * - stamp: the meeting id and number, and the organizer's platform user and account.
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
  const stamp = stampOf(details);
  const now = current.stamp;
  if (now?.meetingId !== stamp.meetingId || now.meetingNumber !== stamp.meetingNumber || now.userId !== stamp.userId || now.accountId !== stamp.accountId) {
    write.stamp = stamp;
  }
  return Object.keys(write).length === 0 ? null : write;
}

/** The stamp that carries `details`. */
function stampOf(details: JoinDetails): MeetingStamp {
  return {
    meetingId: details.meetingId,
    meetingNumber: details.meetingNumber,
    ...(details.userId ? { userId: details.userId } : {}),
    ...(details.accountId ? { accountId: details.accountId } : {}),
  };
}

/** Only the fields a clear must change; absent fields stay as they are. */
export interface JoinClear {
  /** The description without our block. */
  description?: string;
  /** Emptied: it held exactly the join link of our block. */
  location?: '';
  /** Our stamp must go. */
  removeStamp?: true;
}

/**
 * The changes that take meetsync's join details off `current`, or null when it carries none.
 * - description: every meetsync block removed, whatever the organizer wrote around it kept;
 * - location: emptied only when it still holds exactly the join URL of our block. Without the
 *   block there is no proof the link is ours, and a room or link the organizer typed is never
 *   touched;
 * - stamp: removed.
 */
export function planJoinClear(current: JoinTarget): JoinClear | null {
  const clear: JoinClear = {};
  const ourUrl = joinUrlInBlock(current.description);
  if (ourUrl !== undefined && current.location.trim() === ourUrl) clear.location = '';
  // stripJoinBlock also trims the end; compare against the trimmed text so that trailing
  // whitespace alone (no block) never counts as something to clear.
  const stripped = stripJoinBlock(current.description);
  if (stripped !== current.description.trimEnd()) clear.description = stripped;
  if (current.stamp) clear.removeStamp = true;
  return Object.keys(clear).length === 0 ? null : clear;
}
