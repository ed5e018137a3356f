import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { accessToken, call, CLIENT, deltaRound } from '../support/graph-client.js';

/**
 * The simulator's answers against Microsoft's documented samples (test/fixtures/graph, CC-BY-4.0,
 * see test/fixtures/SOURCES.md). Microsoft marks the samples "truncated for brevity", so the
 * check is one-way: every key a sample shows is in the simulator's answer, with a value of the
 * same kind; the simulator may say more. Each sample is rebuilt in the simulator first (the
 * events of delta-query-events.md, the series of user-post-events.md Example 3, …).
 */

const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`../fixtures/graph/${name}`, import.meta.url), 'utf8'));
const SAMANTHA = 'samanthab@contoso.onmicrosoft.com';
const ALEX = 'AlexW@contoso.onmicrosoft.com';

let sim: GraphSimulator;
let token: string;

beforeAll(async () => {
  sim = new GraphSimulator({ tls, clients: [CLIENT] });
  await sim.start();
  sim.addMailbox(SAMANTHA, { displayName: 'Samantha Booth' });
  sim.addMailbox(ALEX, { displayName: 'Alex Wilber' });
  token = await accessToken(sim);
});

afterAll(async () => {
  await sim.stop();
});

/** The kind of a JSON value, telling arrays and null apart from objects. */
function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Every key of `sample` is in `answer` with a value of the same kind, recursively into objects. */
function expectShape(answer: any, sample: any, where = '$'): void {
  for (const [key, value] of Object.entries(sample)) {
    expect(answer, `${where} lacks ${key}`).toHaveProperty([key]);
    // Nullable properties (seriesMasterId, recurrence, onlineMeeting) are null or an object by type.
    if (value === null || answer[key] === null) continue;
    expect(kind(answer[key]), `${where}.${key}`).toBe(kind(value));
    if (kind(value) === 'object') expectShape(answer[key], value, `${where}.${key}`);
    if (kind(value) === 'array' && (value as unknown[]).length > 0 && kind((value as unknown[])[0]) === 'object') {
      expectShape(answer[key][0], (value as unknown[])[0], `${where}.${key}[0]`);
    }
  }
}

const wallClock = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$/;

describe('delta-query-events.md samples', () => {
  it('answers the three-page round and the next round with the samples’ shapes', async () => {
    const pages = ['calendarview-delta-page1-nextlink.json', 'calendarview-delta-page2-nextlink.json', 'calendarview-delta-page3-deltalink.json'].map(fixture);
    const sampleItems = pages.flatMap((p) => p.value);
    for (const item of sampleItems) {
      sim.userInsert(SAMANTHA, {
        subject: item.subject,
        body: item.body,
        start: { dateTime: item.start.dateTime, timeZone: item.start.timeZone },
        end: { dateTime: item.end.dateTime, timeZone: item.end.timeZone },
        ...(item.location ? { location: item.location } : {}),
      });
    }
    const first = `/users/${SAMANTHA}/calendarView/delta?startdatetime=2016-12-01T00:00:00Z&enddatetime=2016-12-30T00:00:00Z`;
    const round = await deltaRound(sim, token, first, { prefer: 'odata.maxpagesize=2, outlook.timezone="UTC"' });
    expect(round.pages).toHaveLength(3);
    round.pages.forEach((page, i) => {
      expect(Object.keys(page).sort()).toEqual(Object.keys(pages[i]).sort());
      const link = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
      const sampleLink = pages[i]['@odata.nextLink'] ?? pages[i]['@odata.deltaLink'];
      expect(new URL(link).search.split('=')[0]).toBe(new URL(sampleLink).search.split('=')[0]);
      page.value.forEach((item: any, j: number) => expectShape(item, pages[i].value[j], `page${i + 1}[${j}]`));
    });
    expect(round.items.map((i) => i.subject)).toEqual(sampleItems.map((i) => i.subject));
    expect(round.items.map((i) => i.start)).toEqual(sampleItems.map((i) => i.start));
    expect(round.items.every((i) => wallClock.test(i.start.dateTime) && i.organizer.emailAddress.name === 'Samantha Booth')).toBe(true);

    const next = fixture('calendarview-delta-nextround-removed.json');
    const added = next.value[1];
    sim.userDelete(SAMANTHA, sim.events(SAMANTHA)[0]!.id);
    sim.userInsert(SAMANTHA, { subject: added.subject, body: added.body, start: added.start, end: added.end, location: added.location });
    const second = await deltaRound(sim, token, round.deltaLink, { prefer: 'outlook.timezone="UTC"' });
    expect(Object.keys(second.pages[0]).sort()).toEqual(Object.keys(next).sort());
    const removedItem = second.items.find((i) => i['@removed']);
    expect(Object.keys(removedItem).sort()).toEqual(Object.keys(next.value[0]).sort());
    expect(removedItem['@removed']).toEqual(next.value[0]['@removed']);
    expectShape(second.items.find((i) => !i['@removed']), added, 'next[1]');
  });

  it('sends every lower-case property of the beta full-event sample but uid (beta only), and none of its PascalCase ones', async () => {
    const sample = fixture('beta-calendarview-delta-full-events.json').value[0];
    const round = await deltaRound(sim, token, `/users/${SAMANTHA}/calendarView/delta?startDateTime=2016-12-01T00:00:00Z&endDateTime=2016-12-30T00:00:00Z`);
    const item = round.items[0];
    const v1Keys = Object.keys(sample).filter((k) => /^[a-z@]/.test(k) && k !== 'uid');
    expect(Object.keys(item)).toEqual(expect.arrayContaining(v1Keys));
    expect(Object.keys(item).filter((k) => /^[A-Z]/.test(k))).toEqual([]);
  });
});

describe('event samples', () => {
  it('answers GET of a series master with the shape of user-post-events.md Example 3', async () => {
    const sample = fixture('event-recurring-seriesmaster.json');
    const created = await call(sim, token, `/users/${ALEX}/events`, {
      method: 'POST',
      headers: { prefer: 'outlook.timezone="Pacific Standard Time"' },
      body: {
        subject: sample.subject,
        body: { contentType: 'HTML', content: 'Does late morning work for you?' },
        start: sample.start,
        end: sample.end,
        location: { displayName: sample.location.displayName },
        attendees: sample.attendees.map((a: any) => ({ emailAddress: a.emailAddress, type: a.type })),
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Monday'] },
          range: { type: 'endDate', startDate: '2017-09-04', endDate: '2017-12-31' },
        },
      },
    });
    expect(created.status).toBe(201);
    expectShape(created.json, sample);
    expect(created.json.recurrence).toEqual(sample.recurrence);
    expect(created.json).toMatchObject({ type: 'seriesMaster', seriesMasterId: null, start: sample.start, end: sample.end, originalStartTimeZone: 'Pacific Standard Time' });
    expect(created.json.body.content).toMatch(/^<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text\/html; charset=utf-8">/);
    expect(created.json.bodyPreview).toBe(sample.bodyPreview);
    expect(created.json.iCalUId).toMatch(/^[0-9A-F]{112}$/);
    expect(created.json.iCalUId.slice(0, 32)).toBe(sample.iCalUId.slice(0, 32));

    const got = await call(sim, token, `/users/${ALEX}/events/${encodeURIComponent(created.json.id)}`, { headers: { prefer: 'outlook.timezone="Pacific Standard Time"' } });
    expectShape(got.json, sample);
  });

  it('lists instances with the shape of event-list-instances.md', async () => {
    const sample = fixture('event-list-instances.json');
    const master = sim.userInsert(ALEX, {
      subject: 'Review strategy for Q3',
      start: { dateTime: '2019-04-01T20:30:00', timeZone: 'UTC' },
      end: { dateTime: '2019-04-01T21:00:00', timeZone: 'UTC' },
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'noEnd', startDate: '2019-04-01' } },
    });
    sim.userEditOccurrence(ALEX, master.id, '2019-04-15', {
      body: { contentType: 'text', content: 'Changing meeting from 4/15 to 4/16.' },
      start: { dateTime: '2019-04-16T20:30:00', timeZone: 'UTC' },
      end: { dateTime: '2019-04-16T21:00:00', timeZone: 'UTC' },
    });
    const select = '$select=subject,bodyPreview,seriesMasterId,type,recurrence,start,end';
    const answer = await call(sim, token, `/users/${ALEX}/events/${encodeURIComponent(master.id)}/instances?startDateTime=2019-04-08T00:00:00Z&endDateTime=2019-05-01T00:00:00Z&${select}`, {
      headers: { prefer: 'IdType="ImmutableId"' },
    });
    expect(answer.json.value).toHaveLength(sample.value.length);
    for (const item of answer.json.value) {
      const like = sample.value.find((s: any) => s.type === item.type);
      expect(Object.keys(item).sort()).toEqual(Object.keys(like).sort());
      expectShape(item, like);
      expect(item.seriesMasterId).toBe(master.id);
    }
    expect(answer.json.value.find((i: any) => i.type === 'exception').bodyPreview).toBe(sample.value[0].bodyPreview);
  });

  it('answers GET with Prefer Pacific like event-get.md Response 1, and POST like the online-meeting sample', async () => {
    const sample = fixture('event-get-prefer-pacific.json');
    const event = sim.userInsert(SAMANTHA, {
      subject: sample.subject,
      body: sample.body,
      start: sample.start,
      end: sample.end,
      location: { displayName: sample.location.displayName },
      attendees: sample.attendees.map((a: any) => ({ emailAddress: a.emailAddress, type: a.type })),
    });
    const select = '$select=subject,body,bodyPreview,organizer,attendees,start,end,location,hideAttendees';
    const got = await call(sim, token, `/users/${SAMANTHA}/events/${encodeURIComponent(event.id)}?${select}`, { headers: { prefer: 'outlook.timezone="Pacific Standard Time"' } });
    expect(got.headers.get('preference-applied')).toBe('outlook.timezone="Pacific Standard Time"');
    const { proposedNewTime: _proposed, ...attendeeWithoutProposal } = sample.attendees[1];
    expectShape(got.json, { ...sample, attendees: [sample.attendees[0], attendeeWithoutProposal] });
    expect(got.json.start).toEqual(sample.start);
    expect(got.json.bodyPreview).toBe(sample.bodyPreview);

    const online = fixture('event-online-meeting-created.json');
    const created = await call(sim, token, `/users/${ALEX}/events`, {
      method: 'POST',
      body: {
        subject: online.subject,
        start: online.start,
        end: online.end,
        location: { displayName: online.location.displayName },
        attendees: online.attendees.map((a: any) => ({ emailAddress: a.emailAddress, type: a.type })),
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
      },
    });
    const { onlineMeeting: _meeting, ...rest } = online;
    expectShape(created.json, rest);
    expect(created.json).toHaveProperty('onlineMeeting');
  });
});
