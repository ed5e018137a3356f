import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, itemNotFound } from './errors.js';
import { itemKeyOf, newChangeKey, newICalUId, newItemKey, parseId } from './ids.js';
import { extendedKey, type EventInput } from './input.js';
import { copyRecord, defaultCalendar, recordOf, type EventRecord, type Mailbox, type SimCalendar, type StoredEvent, type Target } from './model.js';
import { isOccurrenceDate, normalizeRecurrence } from './recurrence.js';
import type { GraphEmailAddress } from './types.js';
import { timeOfDay } from './timezones.js';

/**
 * Mailboxes and the writes on their events, as a user in Outlook or an app through Graph makes
 * them. Attendee copies: an organizer's event that invites another mailbox of the simulator puts
 * a separate event (its own id, the same iCalUId, isOrganizer false) in that mailbox, and every
 * change of the organizer's event is sent on to it, keeping the copy's own categories and
 * extended properties. An attendee who is uninvited, or whose meeting the organizer deletes, keeps
 * a cancelled copy whose subject Outlook prefixes with "Canceled: ".
 * Every write through the API on an organizer's event is recorded as a notification to its
 * attendees: a PATCH of an organizer's meeting notifies them and cannot be suppressed
 * (shared/notes/PROVIDERS.md), so tests can assert that a write-back happened once.
 */

/** What a change notification calls a change (resources/subscription.md, changeType). */
export type ChangeType = 'created' | 'updated' | 'deleted';

/** One item of a mailbox changed: what the change notifications are sent for (graph/subscriptions.ts). */
export interface ItemChange {
  mailbox: Mailbox;
  /** itemKeyOf() of the item: the stored key, plus the date for an occurrence. */
  itemKey: string;
  idVersion: number;
  changeType: ChangeType;
  /** The item's changeKey after the change (none once it is deleted). */
  changeKey?: string;
}

export interface WriteOptions {
  /** A write through the Graph API (true) or by the user in Outlook (false). */
  api: boolean;
  /** PATCH property names, for the notification. */
  properties?: string[];
}

const SHARED: Array<keyof EventRecord> = [
  'subject', 'bodyHtml', 'start', 'end', 'isAllDay', 'isCancelled', 'location', 'attendees', 'organizer', 'importance',
  'sensitivity', 'isOnlineMeeting', 'onlineMeetingProvider', 'allowNewTimeProposals', 'hideAttendees', 'responseRequested',
];

export class GraphStore {
  private readonly byAddress = new Map<string, Mailbox>();
  /**
   * Attendee copies by organizer (address, lower case) and event key, with the mailbox holding
   * each: an index only, so that a write does not scan every event of every mailbox for copies.
   */
  private readonly copies = new Map<string, Map<Mailbox, StoredEvent>>();
  private counter = 0;
  /** Told of every change of an item in any mailbox, after it is stored. */
  onChange: ((change: ItemChange) => void) | undefined;

  get seq(): number {
    return this.counter;
  }

  addMailbox(address: string, options: { displayName?: string; id?: string } = {}): Mailbox {
    const existing = this.byAddress.get(address.toLowerCase());
    if (existing) return existing;
    const mailbox: Mailbox = {
      id: options.id ?? randomUUID(),
      address,
      displayName: options.displayName ?? address.split('@')[0]!,
      events: new Map(),
      calendars: [{ id: newFolderId(), name: 'Calendar', isDefaultCalendar: true }],
      deletedItems: newFolderId(),
      deltaGeneration: 0,
      touched: new Map(),
      inFlight: 0,
      maxInFlight: 0,
    };
    this.byAddress.set(address.toLowerCase(), mailbox);
    return mailbox;
  }

  /** A further calendar of the mailbox (calendar-post-calendars.md), e.g. "Projects". */
  addCalendar(mailbox: Mailbox, name: string): SimCalendar {
    const calendar: SimCalendar = { id: newFolderId(), name, isDefaultCalendar: false };
    mailbox.calendars.push(calendar);
    return calendar;
  }

  /** `/users/{id | userPrincipalName}`: a user id (GUID) or the address, case-insensitively. */
  mailbox(idOrUpn: string): Mailbox | undefined {
    const lower = idOrUpn.toLowerCase();
    return this.byAddress.get(lower) ?? [...this.byAddress.values()].find((m) => m.id.toLowerCase() === lower);
  }

  allMailboxes(): Mailbox[] {
    return [...this.byAddress.values()];
  }

  /**
   * The event an id names in `mailbox`, or 404 ErrorItemNotFound. `/users/{id}/events/{id}` names
   * the item wherever it is in the mailbox; `/calendar/events/{id}` and `/calendars/{id}/events/{id}`
   * (event-get.md) only an item of that calendar (`folder`).
   */
  resolve(mailbox: Mailbox, id: string, folder?: string): Target {
    const parsed = parseId(id);
    const event = parsed ? mailbox.events.get(parsed.key) : undefined;
    if (!parsed || !event) throw itemNotFound();
    if (folder !== undefined && event.folder !== folder) throw itemNotFound();
    // A REST id minted before the item moved names nothing any more (outlook-immutable-id.md).
    if (parsed.kind === 'rest' && parsed.version !== event.idVersion) throw itemNotFound();
    if (!parsed.occurrence) return { event };
    const date = parsed.occurrence;
    if (!event.recurrence || event.cancelled.has(date)) throw itemNotFound();
    if (!event.exceptions.has(date) && !isOccurrenceDate(event.recurrence, date)) throw itemNotFound();
    return { event, occurrence: date };
  }

  /**
   * A new event in `mailbox`. With an `organizer` other than the mailbox, it is an invitation
   * received from outside the simulator: an attendee's copy (isOrganizer false).
   */
  create(mailbox: Mailbox, input: EventInput, organizer?: GraphEmailAddress, folder: string = defaultCalendar(mailbox).id): StoredEvent {
    if (!input.start || !input.end) throw badRequest(`Property '${input.start ? 'end' : 'start'}' is required to create an event.`);
    const now = Date.now();
    const event: StoredEvent = {
      key: newItemKey(),
      idVersion: 0,
      iCalUId: newICalUId(),
      isOrganizer: true,
      subject: '',
      bodyHtml: '',
      start: input.start,
      end: input.end,
      isAllDay: false,
      isCancelled: false,
      location: { displayName: '' },
      categories: [],
      attendees: [],
      organizer: organizer ?? { name: mailbox.displayName, address: mailbox.address },
      importance: 'normal',
      sensitivity: 'normal',
      showAs: 'busy',
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      responseRequested: true,
      allowNewTimeProposals: true,
      hideAttendees: false,
      isOnlineMeeting: false,
      onlineMeetingProvider: 'unknown',
      transactionId: null,
      extended: [],
      changeKey: newChangeKey(),
      createdMs: now,
      modifiedMs: now,
      exceptions: new Map(),
      cancelled: new Set(),
      notifications: [],
      folder,
    };
    event.isOrganizer = event.organizer.address.toLowerCase() === mailbox.address.toLowerCase();
    apply(event, input);
    if (input.recurrence) event.recurrence = normalizeRecurrence(input.recurrence, event.start.zone);
    validate(event);
    mailbox.events.set(event.key, event);
    this.touch(mailbox, event.key, event.idVersion, 'created', event.changeKey);
    this.propagate(mailbox, event);
    return event;
  }

  /** PATCH: a single event, a whole series (its master) or one occurrence (which becomes an exception). */
  update(mailbox: Mailbox, target: Target, input: EventInput, options: WriteOptions): Target {
    const { event, occurrence } = target;
    if (occurrence) {
      if (input.recurrence !== undefined) throw badRequest('An occurrence or exception cannot be given a recurrence.');
      const after = copyRecord(recordOf(target));
      apply(after, input);
      validate(after);
      after.changeKey = newChangeKey();
      after.modifiedMs = Date.now();
      event.exceptions.set(occurrence, after);
      this.touch(mailbox, itemKeyOf({ key: event.key, occurrence }), event.idVersion, 'updated', after.changeKey);
    } else {
      const timesBefore = `${event.start.ms} ${event.end.ms} ${JSON.stringify(event.recurrence ?? null)}`;
      apply(event, input);
      if (input.recurrence === null) delete event.recurrence;
      else if (input.recurrence !== undefined) event.recurrence = normalizeRecurrence(input.recurrence, event.start.zone);
      validate(event);
      // Outlook: changing a series' pattern or times cancels all its exceptions.
      if (timesBefore !== `${event.start.ms} ${event.end.ms} ${JSON.stringify(event.recurrence ?? null)}`) {
        event.exceptions.clear();
        event.cancelled.clear();
      }
      event.changeKey = newChangeKey();
      event.modifiedMs = Date.now();
      this.touch(mailbox, event.key, event.idVersion, 'updated', event.changeKey);
    }
    if (options.api && event.isOrganizer) {
      event.notifications.push({ kind: 'update', at: Date.now(), properties: options.properties ?? [], recipients: recipients(event) });
    }
    this.propagate(mailbox, event);
    return target;
  }

  /** DELETE: the event, the whole series, or one occurrence / exception. */
  remove(mailbox: Mailbox, target: Target, options: WriteOptions): void {
    const { event, occurrence } = target;
    if (options.api && event.isOrganizer && event.attendees.length > 0) {
      event.notifications.push({ kind: 'cancel', at: Date.now(), properties: [], recipients: recipients(event) });
    }
    if (occurrence) {
      event.exceptions.delete(occurrence);
      event.cancelled.add(occurrence);
      event.modifiedMs = Date.now();
      this.touch(mailbox, itemKeyOf({ key: event.key, occurrence }), event.idVersion, 'deleted');
      this.propagate(mailbox, event);
      return;
    }
    mailbox.events.delete(event.key);
    this.touch(mailbox, event.key, event.idVersion, 'deleted');
    if (event.isOrganizer) this.cancelCopies(mailbox, event, () => true);
  }

  /** The item moves (to another folder and back): its REST id changes, its immutable id stays. */
  move(mailbox: Mailbox, target: Target): void {
    target.event.idVersion += 1;
    this.touch(mailbox, target.event.key, target.event.idVersion, 'updated', target.event.changeKey);
  }

  /**
   * The item moves to another calendar of the mailbox or to Deleted Items, and stays there: its
   * REST id changes, its immutable id does not (outlook-immutable-id.md). Only whole items move;
   * an occurrence is part of its series.
   */
  moveTo(mailbox: Mailbox, target: Target, folder: string): void {
    if (target.occurrence) throw badRequest('An occurrence cannot be moved on its own; move its series.', 'ErrorInvalidRequest');
    if (folder !== mailbox.deletedItems && !mailbox.calendars.some((c) => c.id === folder)) throw itemNotFound();
    if (target.event.folder === folder) return;
    target.event.folder = folder;
    target.event.idVersion += 1;
    target.event.changeKey = newChangeKey();
    // Into Deleted Items the item leaves the calendar: a deletion for whoever watches its events
    // (a simulator choice: Microsoft's pages do not say how a move is notified).
    this.touch(mailbox, target.event.key, target.event.idVersion, folder === mailbox.deletedItems ? 'deleted' : 'updated', target.event.changeKey);
  }

  /**
   * What Delete does in Outlook: the item moves to Deleted Items (appointmentitem.delete), and a
   * meeting the mailbox organizes is cancelled for its attendees as on a DELETE. The item itself
   * keeps its fields: nothing documented marks it cancelled.
   */
  moveToDeletedItems(mailbox: Mailbox, target: Target): void {
    this.moveTo(mailbox, target, mailbox.deletedItems);
    if (target.event.isOrganizer) this.cancelCopies(mailbox, target.event, () => true);
  }

  private touch(mailbox: Mailbox, itemKey: string, idVersion: number, changeType: ChangeType, changeKey?: string): void {
    this.counter += 1;
    mailbox.touched.set(itemKey, { seq: this.counter, idVersion });
    this.onChange?.({ mailbox, itemKey, idVersion, changeType, ...(changeKey !== undefined ? { changeKey } : {}) });
  }

  /** Sends the organizer's event to the invited mailboxes' copies. */
  private propagate(organizerBox: Mailbox, event: StoredEvent): void {
    if (!event.isOrganizer) return;
    const invited = new Set(event.attendees.map((a) => a.emailAddress.address.toLowerCase()));
    invited.delete(organizerBox.address.toLowerCase());
    for (const address of invited) {
      const box = this.byAddress.get(address);
      if (!box) continue;
      const copy = this.findCopy(box, organizerBox, event);
      if (!copy) {
        const fresh: StoredEvent = {
          ...cloneShared(event),
          key: newItemKey(),
          idVersion: 0,
          isOrganizer: false,
          categories: [],
          extended: [],
          changeKey: newChangeKey(),
          createdMs: Date.now(),
          modifiedMs: Date.now(),
          copyOf: { mailbox: organizerBox.address.toLowerCase(), key: event.key },
          notifications: [],
          folder: defaultCalendar(box).id,
        };
        box.events.set(fresh.key, fresh);
        this.copiesOf(organizerBox, event).set(box, fresh);
        this.touch(box, fresh.key, 0, 'created', fresh.changeKey);
        continue;
      }
      if (sharedView(copy) === sharedView(event)) continue;
      const shared = cloneShared(event);
      for (const field of SHARED) (copy as unknown as Record<string, unknown>)[field] = shared[field];
      copy.recurrence = shared.recurrence;
      copy.exceptions = shared.exceptions;
      copy.cancelled = shared.cancelled;
      if (!shared.recurrence) delete copy.recurrence;
      copy.changeKey = newChangeKey();
      copy.modifiedMs = Date.now();
      this.touch(box, copy.key, copy.idVersion, 'updated', copy.changeKey);
    }
    this.cancelCopies(organizerBox, event, (box) => !invited.has(box.address.toLowerCase()));
  }

  private copiesOf(organizerBox: Mailbox, event: StoredEvent): Map<Mailbox, StoredEvent> {
    const key = `${organizerBox.address.toLowerCase()}\u0000${event.key}`;
    let copies = this.copies.get(key);
    if (!copies) this.copies.set(key, (copies = new Map()));
    return copies;
  }

  /** The copy of the organizer's `event` in `box`, unless the attendee deleted it. */
  private findCopy(box: Mailbox, organizerBox: Mailbox, event: StoredEvent): StoredEvent | undefined {
    const copy = this.copiesOf(organizerBox, event).get(box);
    return copy && box.events.get(copy.key) === copy ? copy : undefined;
  }

  private cancelCopies(organizerBox: Mailbox, event: StoredEvent, which: (box: Mailbox) => boolean): void {
    for (const box of [...this.copiesOf(organizerBox, event).keys()]) {
      if (box === organizerBox || !which(box)) continue;
      const copy = this.findCopy(box, organizerBox, event);
      if (!copy || copy.isCancelled) continue;
      copy.isCancelled = true;
      copy.subject = `Canceled: ${copy.subject}`;
      copy.changeKey = newChangeKey();
      copy.modifiedMs = Date.now();
      this.touch(box, copy.key, copy.idVersion, 'updated', copy.changeKey);
    }
  }
}


/** Folder ids are opaque base64 strings like the items' ("AAMkAGI2TGuLAAA=" in calendar.md). */
function newFolderId(): string {
  return `AAMkAD${randomBytes(24).toString('base64').replaceAll('/', '-').replaceAll('+', '_')}`;
}

function recipients(event: StoredEvent): string[] {
  return event.attendees.map((a) => a.emailAddress.address);
}

/** Writes the given fields onto a record; extended properties are upserted by id. */
function apply(record: EventRecord, input: EventInput): void {
  const { extended, recurrence: _recurrence, bodyHtml, ...plain } = input;
  Object.assign(record, plain);
  if (bodyHtml !== undefined) record.bodyHtml = bodyHtml;
  for (const property of extended ?? []) {
    const key = extendedKey(property.id);
    const existing = record.extended.find((p) => extendedKey(p.id) === key);
    if (existing) existing.value = property.value;
    else record.extended.push({ ...property });
  }
}

/** resources/event.md isAllDay: "start and end time must be set to midnight and be in the same time zone". */
function validate(record: EventRecord): void {
  if (record.end.ms < record.start.ms) throw badRequest('The event end must not be before its start.', 'ErrorInvalidRequest');
  if (record.isAllDay) {
    const midnight = (ms: number, zone: string) => timeOfDay(ms, zone) === 0;
    if (record.start.zone !== record.end.zone || !midnight(record.start.ms, record.start.zone) || !midnight(record.end.ms, record.end.zone)) {
      throw badRequest('An all-day event must start and end at midnight in one time zone.', 'ErrorInvalidRequest');
    }
  }
}

function cloneShared(event: StoredEvent): StoredEvent {
  const exceptions = new Map([...event.exceptions].map(([date, r]) => [date, { ...copyRecord(r), categories: [], extended: [] }]));
  return {
    ...event,
    location: { ...event.location },
    attendees: event.attendees.map((a) => ({ ...a, emailAddress: { ...a.emailAddress } })),
    organizer: { ...event.organizer },
    exceptions,
    cancelled: new Set(event.cancelled),
  };
}

function sharedView(event: StoredEvent): string {
  const fields = Object.fromEntries(SHARED.map((f) => [f, event[f]]));
  const exceptions = [...event.exceptions].map(([d, r]) => [d, Object.fromEntries(SHARED.map((f) => [f, r[f]]))]);
  return JSON.stringify({ fields, recurrence: event.recurrence ?? null, exceptions, cancelled: [...event.cancelled] });
}

