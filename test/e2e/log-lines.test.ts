import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/**
 * The keys of each object in one JSON text, in order, duplicates kept. JSON.parse keeps only the
 * last of two equal keys, so a duplicate can be seen only in the raw line.
 */
function keysPerObject(json: string): string[][] {
  const objects: string[][] = [];
  const stack: Array<{ keys: string[] | undefined }> = [];
  let i = 0;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const text = json.slice(i, j + 1);
      let k = j + 1;
      while (json[k] === ' ') k += 1;
      const top = stack.at(-1);
      if (json[k] === ':' && top?.keys) top.keys.push(JSON.parse(text) as string);
      i = j + 1;
      continue;
    }
    if (c === '{') stack.push({ keys: [] });
    else if (c === '[') stack.push({ keys: undefined });
    else if (c === '}' || c === ']') {
      const done = stack.pop();
      if (done?.keys) objects.push(done.keys);
    }
    i += 1;
  }
  return objects;
}

describe('meetsync CLI: JSON log lines', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  it('a Google retry (HTTP 503) logs one line whose every key appears once', async () => {
    expect(keysPerObject('{"a":1,"b":{"a":2},"a":"x\\"y"}')).toEqual([['a'], ['a', 'b', 'a']]);
    await runCli(['--config', w.configPath, 'accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A'], { cwd: w.dir });
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    w.google.server.inject({ kind: 'status', status: 503, method: 'GET', pathIncludes: '/events' });
    const r = await runCli(['--config', w.configPath, 'sync'], { cwd: w.dir });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    const retry = lines.filter((l) => l.includes('retrying after backoff'));
    expect(retry).toHaveLength(1);
    expect(JSON.parse(retry[0]!)).toMatchObject({ source: 'corp-google', calendarId: w.calendar, attempt: 1 });
    for (const line of lines) {
      for (const keys of keysPerObject(line)) expect(keys.filter((k, n) => keys.indexOf(k) !== n), line).toEqual([]);
    }
  });
});
