import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeRawControls, inline, printable } from '../../src/domain/printable.js';
import { createLogger } from '../../src/log.js';

const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('printable', () => {
  it.each([
    ['\u001b]0;pwned\u0007Evil \u001b[31mred', 'Evil red'],
    ['title \u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\ end', 'title link end'],
    ['\u001b[2J\u001b[H\u001b[?25lclear', 'clear'],
    ['\u001bPq#0;2;0;0;0\u001b\\sixel', 'sixel'],
    ['8-bit \u009b31mCSI\u009d0;x\u009c and \u0085NEL', '8-bit CSI and NEL'],
    ['tab\there\r\u0000\u0008\u007f', 'tab here'],
    ['two\nlines', 'two\nlines'],
    ['unterminated \u001b]0;title', 'unterminated '],
    ['Zoë – 会議 ✓', 'Zoë – 会議 ✓'],
  ])('%j -> %j', (input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('escapes DEL and C1 in JSON text without changing what it means', () => {
    const value = { title: 'a\u009b31mb\u007f' };
    const json = escapeRawControls(JSON.stringify(value));
    expect(json).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json)).toEqual(value);
  });

  it.each([false, true])('log lines carry no raw control character (pretty: %s)', async (pretty) => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const title = '\u001b]0;pwned\u0007Evil \u001b[31mred\u009b2J';
    createLogger({ destination: stream, pretty, level: 'info' }).info({ title }, `skipped ${title}`);
    await new Promise((r) => setTimeout(r, 20));
    expect(text).toContain('Evil');
    expect(text.replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
    if (!pretty) expect(JSON.parse(text)).toMatchObject({ title, msg: `skipped ${title}` });
  });

  it('inline keeps outside text to one line, whole, whatever line break it holds', () => {
    const title = `Standup\nskipped: Bob's 1:1 (no organizer)\r\n\r\u0085\u000b\u2028\u2029${'x'.repeat(400)}`;
    const line = printable(inline(title));
    expect(line).toBe(`Standup\\nskipped: Bob's 1:1 (no organizer)${'\\n'.repeat(3)}${'x'.repeat(400)}`);
    expect(line.split('\n')).toHaveLength(1);
  });
});
