import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { testSeeds, type Seeds } from '../support/seed.js';

/**
 * Mutation arbitraries for the fuzz tests: real inputs (the fixtures, config.example.yaml) changed
 * the way broken servers, editors and transfers change them. Each arbitrary is a list of
 * operations applied to a copy of one real input, so a failure shrinks to the fewest, smallest
 * operations, and fast-check reports the seed and path that replay it (see `runs`).
 */

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const REPO = path.join(FIXTURES, '../..');

export function fixtureFiles(dir: string, ext: string): string[] {
  return readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith(ext))
    .sort();
}

export function readFixture(dir: string, name: string): string {
  return readFileSync(path.join(FIXTURES, dir, name), 'utf8');
}

/**
 * The fuzz tests' fixed seed: FUZZ_SEED=1372457347 found the refolding bug of the ICS reader. It
 * is no better than another now; it is the sample every run checks, beside one random seed.
 */
export const FUZZ_FIXED_SEEDS = [1372457347];

/**
 * The seeds a fuzz file runs each property with, printed with the command that replays one:
 * `FUZZ_SEED=n npx vitest run test/fuzz/x.test.ts` (add `-t '<name>'` for one property).
 */
export function fuzzSeeds(testFile: string): Seeds {
  return testSeeds('fuzz', testFile, { fixed: FUZZ_FIXED_SEEDS });
}

/**
 * fast-check parameters of a property run with `seed`: half of `base` runs (a default run takes
 * two seeds, so a property still makes `base` runs), times FUZZ_RUNS for a longer local session
 * (`FUZZ_RUNS=20 npx vitest run test/fuzz`). The runs per seed do not depend on how many seeds
 * there are, so a replayed seed makes the same runs it made in CI. fast-check reports a failure's
 * seed and path; FUZZ_PATH with FUZZ_SEED goes straight to it:
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/x.test.ts -t '<name>'`.
 */
export function runs(base: number, seed: number): { numRuns: number; seed: number; path?: string } {
  const factor = Number(process.env.FUZZ_RUNS ?? '1');
  const numRuns = Math.max(1, Math.round((base / 2) * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
  return { numRuns, seed, ...(process.env.FUZZ_SEED && process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) };
}

/** Strings that break parsers: bad dates, unknown zones, control characters, lone surrogates, huge text. */
export const ODD_STRINGS = [
  '',
  ' ',
  'not a date',
  '2025-13-45T25:61:00Z',
  '2025-02-30T10:00:00Z',
  '2025-03-24',
  '2025-03-24T07:30:00',
  '2025-03-24T07:30:00.0000000',
  '20250324T073000Z',
  '+275760-09-13T00:00:00Z',
  '-271821-04-19T00:00:00Z',
  '9999-12-31T23:59:59.9999999',
  '0000-00-00T00:00:00Z',
  '1970-01-01T00:00:00+99:99',
  'Mars/Olympus_Mons',
  'Pacific Standard Time',
  'tzone://Microsoft/Custom',
  'Customized Time Zone',
  'UTC',
  'Etc/GMT+14',
  'line one\nline two',
  'carriage\rreturn',
  'nul\u0000byte',
  '\uFEFFbom',
  'lone \uD800 surrogate',
  '\u202Eright-to-left',
  '🍽️ emoji ZWJ 👩‍👩‍👧',
  'exploded',
  'CANCELLED',
  'seriesMaster',
  'occurrence',
  '<html><body><script>x</script><!-- open comment',
  '&#xD800;&#99999999;&#0;&amp;&bogus;',
  '{"meetingId":"5e9459c5b863b82cefdddf4f","meetingNumber":"123-456-789"}',
  '{"meetingId":',
  'x'.repeat(200_000),
  '<p>'.repeat(20_000),
  '\n'.repeat(10_000),
];

/** A value nested `depth` levels deep in arrays or objects. */
export function nested(depth: number, inArray: boolean): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = inArray ? [value] : { a: value };
  return value;
}

/** Any value a broken server could put where another was expected. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 300 }), fc.boolean()).map(([d, a]) => nested(d, a)) },
);

type JsonPath = Array<string | number>;

/** Every path inside `value` (objects and arrays), the root excluded. */
export function pathsOf(value: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...at, i]);
      pathsOf(v, [...at, i], out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...at, k]);
      pathsOf(v, [...at, k], out);
    }
  }
  return out;
}

export type JsonMutation =
  | { op: 'delete'; pick: number }
  | { op: 'replace'; pick: number; value: unknown }
  | { op: 'mangleString'; pick: number; at: number; insert: string; cut: number }
  | { op: 'wrap'; pick: number; inArray: boolean }
  | { op: 'addKey'; pick: number; key: string; value: unknown }
  | { op: 'swap'; pick: number; other: number };

const junkKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', '@odata.type', '@removed', 'start', 'end', 'status', 'type', ''), fc.string({ maxLength: 12 }));

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: oddValue }) },
  fc.record({ op: fc.constant('mangleString' as const), pick: fc.nat(), at: fc.nat(), insert: fc.oneof(fc.constantFrom(...ODD_STRINGS.slice(0, 30)), fc.string({ unit: 'binary', maxLength: 8 })), cut: fc.nat({ max: 12 }) }),
  fc.record({ op: fc.constant('wrap' as const), pick: fc.nat(), inArray: fc.boolean() }),
  fc.record({ op: fc.constant('addKey' as const), pick: fc.nat(), key: junkKey, value: oddValue }),
  fc.record({ op: fc.constant('swap' as const), pick: fc.nat(), other: fc.nat() }),
);

function getAt(root: unknown, p: JsonPath): unknown {
  let v: unknown = root;
  for (const k of p) v = (v as Record<string | number, unknown>)[k];
  return v;
}

function setAt(root: unknown, p: JsonPath, value: unknown, remove = false): void {
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = p[p.length - 1]!;
  if (remove) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
    return;
  }
  // defineProperty: a `__proto__` key must become data, as JSON.parse makes it.
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies `mutations` to a deep copy of `input`; paths are picked among those under `within` (default: anywhere). */
export function applyJson(input: unknown, mutations: readonly JsonMutation[], within: JsonPath = []): unknown {
  const root = copy(input);
  for (const m of mutations) {
    const base = getAt(root, within);
    const candidates = pathsOf(base).map((p) => [...within, ...p]);
    if (candidates.length === 0) continue;
    const target = candidates[m.pick % candidates.length]!;
    const current = getAt(root, target);
    switch (m.op) {
      case 'delete':
        setAt(root, target, undefined, true);
        break;
      case 'replace':
        setAt(root, target, copy(m.value));
        break;
      case 'mangleString':
        if (typeof current === 'string') {
          const at = current.length === 0 ? 0 : m.at % current.length;
          setAt(root, target, current.slice(0, at) + m.insert + current.slice(at + m.cut));
        } else setAt(root, target, m.insert);
        break;
      case 'wrap':
        setAt(root, target, m.inArray ? [current] : { value: current });
        break;
      case 'addKey': {
        const holder = current && typeof current === 'object' && !Array.isArray(current) ? target : target.slice(0, -1);
        const obj = getAt(root, holder);
        if (obj && typeof obj === 'object' && !Array.isArray(obj)) setAt(root, [...holder, m.key], copy(m.value));
        break;
      }
      case 'swap': {
        const other = candidates[m.other % candidates.length]!;
        // Not into its own subtree: that would make a cycle, which JSON cannot carry.
        if (other.length >= target.length && target.every((k, i) => other[i] === k)) break;
        if (target.length >= other.length && other.every((k, i) => target[i] === k)) break;
        const b = getAt(root, other);
        setAt(root, target, copy(b));
        setAt(root, other, copy(current));
        break;
      }
    }
  }
  return root;
}

/**
 * A deep copy of arrays and plain objects (structuredClone overflows its stack on the deeply
 * nested values); anything else (fc.anything's null-prototype objects, boxed strings) is kept as it is.
 */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: copy(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Byte-level damage to a text: flips, cuts, insertions, line shuffles, encodings. */
export type TextMutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'insertBytes'; at: number; bytes: number[] }
  | { op: 'dupLine'; line: number }
  | { op: 'dropLine'; line: number }
  | { op: 'swapLines'; line: number; other: number }
  | { op: 'truncate'; at: number }
  | { op: 'lineEndings'; to: '\n' | '\r\n' | '\r' }
  | { op: 'bom' }
  | { op: 'latin1' };

/** Fragments that mean something to YAML or iCalendar, for insertion. */
export const SYNTAX_BITS = [
  '\t', '\uFEFF', ':', ': ', '- ', '-', '{', '}', '[', ']', '"', "'", '&a ', '*a', '!!binary ', '!tag ', '? ', '|', '>', '#', '%YAML 1.1\n---\n',
  '${UNSET_VAR}', '${', '\n', '\r\n', '\r', '\n ', '\r\n\t', ' ', '\u0000', '\u0085', '\u2028', ';', '=', ',', '\\', 'BEGIN:VEVENT\r\n',
  'END:VEVENT\r\n', 'BEGIN:VCALENDAR\r\n', 'END:VCALENDAR\r\n', 'BEGIN:VTIMEZONE\r\n', 'TZID=', ';TZID=Mars/Olympus', ';VALUE=DATE',
  'RRULE:FREQ=SECONDLY;INTERVAL=1\r\n', 'RRULE:FREQ=DAILY;COUNT=99999999\r\n', 'RRULE:FREQ=YEARLY;BYDAY=99XX\r\n', 'RRULE:FREQ=\r\n',
  'DTSTART:99999999T999999Z\r\n', 'DTSTART;TZID=:\r\n', 'DURATION:P99999999W\r\n', 'DURATION:-P1D\r\n', 'RECURRENCE-ID:garbage\r\n',
  'EXDATE:20250101T000000Z,junk\r\n', 'RDATE;VALUE=PERIOD:20250101T000000Z/junk\r\n', 'x'.repeat(100_000),
];

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SYNTAX_BITS), fc.string({ unit: 'grapheme', maxLength: 10 })) }) },
  fc.record({ op: fc.constant('insertBytes' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('dropLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('lineEndings' as const), to: fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const) }),
  fc.record({ op: fc.constant('bom' as const) }),
  fc.record({ op: fc.constant('latin1' as const) }),
);

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Applies byte-level `mutations` to `input` and returns the bytes (which may not be UTF-8 any
 * more: read them as the program does, `toString('utf8')`). Positions are taken modulo the length,
 * so every operation lands somewhere in the text.
 */
export function applyText(input: string | Buffer, mutations: readonly TextMutation[]): Buffer {
  let bytes = Buffer.isBuffer(input) ? Buffer.from(input) : Buffer.from(input, 'utf8');
  for (const m of mutations) {
    const len = bytes.length;
    switch (m.op) {
      case 'flip':
        if (len > 0) bytes[m.at % len] = m.byte;
        break;
      case 'delete': {
        const at = len === 0 ? 0 : m.at % len;
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      }
      case 'insert':
      case 'insertBytes': {
        const at = len === 0 ? 0 : m.at % (len + 1);
        const add = m.op === 'insert' ? Buffer.from(m.text, 'utf8') : Buffer.from(m.bytes);
        bytes = Buffer.concat([bytes.subarray(0, at), add, bytes.subarray(at)]);
        break;
      }
      case 'dupLine':
      case 'dropLine':
      case 'swapLines': {
        const lines = splitLines(bytes);
        if (lines.length === 0) break;
        const i = m.line % lines.length;
        if (m.op === 'dupLine') lines.splice(i, 0, lines[i]!);
        else if (m.op === 'dropLine') lines.splice(i, 1);
        else {
          const j = m.other % lines.length;
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        }
        bytes = Buffer.concat(lines);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, len === 0 ? 0 : m.at % len);
        break;
      case 'lineEndings':
        bytes = Buffer.from(bytes.toString('latin1').replace(/\r\n|\r|\n/g, m.to), 'latin1');
        break;
      case 'bom':
        bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
        break;
      case 'latin1':
        // The file re-saved in Latin-1: every non-ASCII character becomes a byte that is not UTF-8.
        bytes = Buffer.from(bytes.toString('utf8'), 'latin1');
        break;
    }
  }
  return bytes;
}

/**
 * `value` with a short description for fast-check's counterexample report (fc.toStringMethod):
 * which fixture, which mutations, and the start of the damaged text, instead of every byte.
 */
export function labelled<T extends object>(value: T, describe: () => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: describe, enumerable: false });
  return value;
}

/** The start of damaged bytes, escaped, for a counterexample report. */
export function preview(bytes: Buffer | string, length = 300): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  return `${JSON.stringify(text.slice(0, length))}${text.length > length ? ` (+${text.length - length} chars)` : ''}`;
}

/** Mutations for a report: long inserted strings cut. */
export function showMutations(mutations: readonly unknown[]): string {
  return JSON.stringify(mutations, (_k, v: unknown) => (typeof v === 'string' && v.length > 60 ? `${v.slice(0, 60)}...(${v.length} chars)` : v));
}

/** True when `text` is one line: no line break of any kind. */
export function isOneLine(text: string): boolean {
  return !/[\r\n\u2028\u2029\u0085]/.test(text);
}
