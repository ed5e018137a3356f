import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';
import { BIN } from '../support/cli-harness.js';
import { MINIMAL_CONFIG } from '../support/config-text.js';
import { applyJson, applyText, fuzzSeeds, isOneLine, jsonMutation, labelled, nested, ODD_STRINGS, preview, REPO, runs, showMutations, textMutation, type JsonMutation } from './mutate.js';

/**
 * The config loader on damaged real configs. Whatever the file holds, loadConfig returns a config
 * or throws ConfigError (exit code 2) whose message and every issue are one line; nothing else
 * escapes, no stack trace is shown, and no secret (from the file or from ${VAR}) is echoed.
 */

const SECRETS = {
  WEBMEETING_API_KEY: 'S3cr3t-qzv8Kx2pL9wMn4Rj',
  TEST_WM_KEY: 'S3cr3t-Hy7dQ0tVb3Zc6Wfe',
  TEST_GOOGLE_SECRET: 'S3cr3t-Jm5uYk1Rg8Xs2Npa',
  TEST_GOOGLE_REFRESH: 'S3cr3t-Tc4oWz9Ev6Lq3Bhy',
  TEST_GRAPH_SECRET: 'S3cr3t-Uf2iPn7Ka0Dr5Gjx',
  GOOGLE_CLIENT_SECRET: 'S3cr3t-Rb8nEw5Lx2Qo9Cti',
  GOOGLE_REFRESH_TOKEN: 'S3cr3t-Gk1sFv6Pm3Zy0Ahu',
  GRAPH_CLIENT_SECRET: 'S3cr3t-Dz4qKc7Wn0Jh5Mer',
};
const INLINE = {
  apiKey: 'S3cr3t-Ow3mZs8Cy1Ht6Vkb',
  clientSecret: 'S3cr3t-Xe9gRl4Ju7Aq0Fmc',
  refreshToken: 'S3cr3t-Ni6bVt1Mo5Yw8Kpd',
  graphSecret: 'S3cr3t-Pa0hXr3Ie9Sz2Gun',
};
const ALL_SECRETS = [...Object.values(SECRETS), ...Object.values(INLINE)];

/** The configs the tests use: the shipped example, the unit tests' minimal one, the e2e harness's, and one with secrets written inline. */
const SEEDS: Record<string, string> = {
  'config.example.yaml': readFileSync(path.join(REPO, 'config.example.yaml'), 'utf8'),
  minimal: MINIMAL_CONFIG,
  e2e: `database: ./data/meetsync.db
schedule: "*/5 * * * *"
window: { pastDays: 1, futureDays: 3650 }
webMeeting:
  baseUrl: https://127.0.0.1:4443
  apiKey: \${TEST_WM_KEY}
  accountIds: []
sources:
  - name: corp-google
    kind: google
    calendars: [alice@example.com]
    auth: { type: oauth, clientId: e2e-client, clientSecret: "\${TEST_GOOGLE_SECRET}", refreshToken: "\${TEST_GOOGLE_REFRESH}" }
    rootUrl: https://127.0.0.1:4444/
    tokenUrl: https://127.0.0.1:4444/token
  - name: corp-m365
    kind: outlook
    mailboxes: [bob@example.com]
    auth: { tenantId: e2e0e2e0-0000-4000-8000-000000000001, clientId: e2e0e2e0-0000-4000-8000-0000000000c1, clientSecret: "\${TEST_GRAPH_SECRET}" }
    graphBaseUrl: https://127.0.0.1:4445
    authorityHost: https://127.0.0.1:4445
`,
  inline: `webMeeting:
  baseUrl: https://meeting.example.com
  apiKey: ${INLINE.apiKey}
  accountIds: [5e9459c5b863b82cefdddf4f, 5e9459c5b863b82cefdddf50]
  provisioning:
    enabled: true
    paidUntil: P1Y
sources:
  - name: g
    kind: google
    calendars: [alice@example.com, team@group.calendar.google.com]
    auth:
      type: oauth
      clientId: c-1
      clientSecret: ${INLINE.clientSecret}
      refreshToken: "${INLINE.refreshToken}"
  - name: o
    kind: outlook
    mailboxes: [bob@example.com]
    auth: { tenantId: t-1, clientId: c-2, clientSecret: '${INLINE.graphSecret}' }
reconcile: { schedule: "0 6 * * *", reportDir: ./reports }
http: { listen: "127.0.0.1:9464" }
log: { level: debug }
`,
};
const SEED_NAMES = Object.keys(SEEDS);

/** Keys of the schema and near misses, for renames. */
const KEY_NAMES = [
  'database', 'schedule', 'window', 'webMeeting', 'tagging', 'safety', 'log', 'sources', 'http', 'reconcile', 'apiKey', 'baseUrl',
  'clientSecret', 'refreshToken', 'kind', 'type', 'auth', 'name', 'calendars', 'mailboxes', 'apikey', 'ApiKey', 'web_meeting',
  'sorces', ' apiKey', 'apiKey ', '__proto__', 'constructor', 'a\nb', 'tab\there', '', '0', 'x'.repeat(2000),
];

type ConfigMutation = JsonMutation | { op: 'rename'; pick: number; to: string };

const configMutation: fc.Arbitrary<ConfigMutation> = fc.oneof(
  { weight: 3, arbitrary: jsonMutation },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), pick: fc.nat(), to: fc.oneof(fc.constantFrom(...KEY_NAMES), fc.string({ maxLength: 10 })) }) },
);

/** Renames one key of the document (keys of nested mappings included), keeping the order of the others. */
function renameKey(doc: unknown, pick: number, to: string): unknown {
  const holders: Array<Record<string, unknown>> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      holders.push(v as Record<string, unknown>);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  const withKeys = holders.filter((h) => Object.keys(h).length > 0);
  if (withKeys.length === 0) return doc;
  const holder = withKeys[pick % withKeys.length]!;
  const keys = Object.keys(holder);
  const from = keys[pick % keys.length]!;
  const entries = Object.entries(holder).map(([k, v]) => [k === from ? to : k, v] as const);
  for (const k of keys) delete holder[k];
  for (const [k, v] of entries) Object.defineProperty(holder, k, { value: v, enumerable: true, writable: true, configurable: true });
  return doc;
}

/** A seed changed as a value tree (keys dropped, renamed, values of other types), written back as YAML. */
const structuredInput = fc
  .tuple(fc.constantFrom(...SEED_NAMES), fc.array(configMutation, { minLength: 1, maxLength: 4 }))
  .map(([seed, mutations]) => {
    let doc: unknown = parseDocument(SEEDS[seed]!).toJS();
    for (const m of mutations) doc = m.op === 'rename' ? renameKey(doc, m.pick, m.to) : applyJson(doc, [m]);
    let text: string;
    try {
      text = stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
    } catch {
      text = SEEDS[seed]!;
    }
    const bytes = Buffer.from(text, 'utf8');
    return labelled({ seed, mutations, bytes }, () => `${seed} ${showMutations(mutations)} -> ${preview(bytes)}`);
  });

/** A seed damaged byte by byte (flips, cuts, tabs, BOM, Latin-1, duplicated lines = duplicated keys). */
const byteInput = fc
  .tuple(fc.constantFrom(...SEED_NAMES), fc.array(textMutation, { minLength: 1, maxLength: 5 }))
  .map(([seed, mutations]) => {
    const bytes = applyText(SEEDS[seed]!, mutations);
    return labelled({ seed, mutations, bytes }, () => `${seed} ${showMutations(mutations)} -> ${preview(bytes)}`);
  });

/** YAML that stresses the parser itself: aliases, deep nesting, huge scalars. */
const YAML_TRAPS = [
  // A secret that starts with * (read as an alias), and one run into its key by a missing colon.
  `webMeeting:\n  baseUrl: https://meeting.example.com\n  apiKey: *${INLINE.apiKey}\n`,
  `sources:\n  - { name: o, kind: outlook, mailboxes: [b@example.com], auth: { tenantId: t, clientId: c, clientSecret '${INLINE.graphSecret}' } }\n`,
  `sources:\n  - { name: o, kind: outlook, mailboxes: [b@example.com], auth: { tenantId: t, clientId: c, clientSecret:${INLINE.graphSecret} } }\n`,
  'webMeeting: &w\n  self: *w\n',
  'a: &x [*x]\n',
  'webMeeting:\n  apiKey: *undefinedAnchor\n',
  `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [${Array(120).fill('*c').join(',')}]\n`,
  `webMeeting: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
  `webMeeting: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
  `webMeeting:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`,
  `webMeeting: ${stringify(nested(300, false))}`,
  `"${'k'.repeat(300_000)}": 1\n`,
  `database: "${'d'.repeat(1_000_000)}"\n`,
  '? [a, b]\n: 1\n',
  '? {a: 1}\n: 2\n',
  '"a\\nb": 1\n"c\\u2028d": 2\n',
  '--- \n...\n--- \n',
  'webMeeting: !!binary aGVsbG8=\n',
  '%YAML 9.9\n---\na: 1\n',
  '\uFEFF\uFEFFdatabase: x\n',
  '\u0000',
  '',
  '   \n\t\n',
  '- just\n- a list\n',
  '42\n',
  'null\n',
];

const trapInput = fc
  .tuple(fc.constantFrom(...YAML_TRAPS), fc.constantFrom(...SEED_NAMES), fc.boolean())
  .map(([trap, seed, append]) => {
    const bytes = Buffer.from(append ? `${SEEDS[seed]}\n${trap}` : trap, 'utf8');
    return labelled({ seed, mutations: [{ trap }], bytes }, () => `${append ? `${seed} + ` : ''}trap ${preview(trap, 80)}`);
  });

/** Every 10-character piece of every secret: a secret echoed in part is still echoed. */
const SECRET_PIECES = ALL_SECRETS.flatMap((s) => Array.from({ length: s.length - 9 }, (_, i) => s.slice(i, i + 10)));

function leakedSecret(text: string): string | undefined {
  return SECRET_PIECES.find((piece) => text.includes(piece));
}

const ZOD_WORDING = /Invalid input|expected (string|number|object|array|boolean)|received|Too (big|small)|Unrecognized key/;

/**
 * An issue line is short: a path of keys (each cut at 80 characters) and a sentence, quoting
 * user text cut too. A line past this quotes something uncut.
 */
const MAX_LINE = 500;

/** The documented failure: ConfigError, every line a person reads is one line, says where, and holds no secret. */
function checkConfigError(err: unknown): void {
  if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${String((err as Error)?.constructor?.name)}: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
  const lines = [err.message, ...err.issues.map((i) => `${i.path}: ${i.message}`)];
  for (const line of lines) {
    if (!isOneLine(line)) throw new Error(`more than one line: ${JSON.stringify(line.slice(0, 300))}`);
    if (line.length > MAX_LINE) throw new Error(`a line of ${line.length} characters: ${JSON.stringify(line.slice(0, 200))}...`);
    if (/\n\s+at |\bat .+:\d+:\d+\)/.test(line)) throw new Error(`a stack trace: ${line.slice(0, 300)}`);
    const leaked = leakedSecret(line);
    if (leaked) throw new Error(`secret "${leaked}" echoed: ${JSON.stringify(line.slice(0, 300))}`);
  }
  for (const issue of err.issues) {
    if (issue.path.trim() === '') throw new Error(`an issue without a key path: ${issue.message}`);
    if (issue.message.trim() === '') throw new Error(`an issue without a message at ${issue.path}`);
    if (ZOD_WORDING.test(issue.message)) throw new Error(`zod's wording instead of what to do: ${issue.path}: ${issue.message}`);
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-fuzz-config-'));

/** loadConfig on `bytes` written to a file, as the CLI reads it. */
function loadBytes(bytes: Buffer): void {
  const file = path.join(dir, 'meetsync.yaml');
  writeFileSync(file, bytes);
  try {
    const { config } = loadConfig(file, { ...SECRETS }, dir);
    // A config that loads is a config: the schema's defaults and types are there.
    expect(typeof config.database).toBe('string');
    expect(Array.isArray(config.sources)).toBe(true);
  } catch (err) {
    checkConfigError(err);
  }
}

/** Generous: the CI machine may be shared; the runs, not a timer, bound the work. */
const LOADED = { timeout: 120_000 };

/** Each property runs with the fixed fuzz seed and a random one, both printed (FUZZ_SEED=n replays one). */
const FUZZ_SEEDS = fuzzSeeds(import.meta.url);

describe('config loader fuzz', () => {
  it('the seeds themselves load (the fuzz starts from valid configs)', () => {
    for (const name of SEED_NAMES) expect(() => parseConfig(SEEDS[name]!, SECRETS, dir), name).not.toThrow();
  });

  it.for(FUZZ_SEEDS.list)('a value tree with keys dropped, renamed or given values of other types: a config or one-line issues (seed %i)', LOADED, (seed) => {
    fc.assert(fc.property(structuredInput, ({ bytes }) => loadBytes(bytes)), runs(200, seed));
  });

  it.for(FUZZ_SEEDS.list)('bytes flipped, cut or inserted, lines duplicated or dropped, BOM, tabs, Latin-1: a config or one-line issues (seed %i)', LOADED, (seed) => {
    fc.assert(fc.property(byteInput, ({ bytes }) => loadBytes(bytes)), runs(300, seed));
  });

  it('YAML traps (alias cycles, alias bombs, deep nesting, huge scalars, odd keys): a ConfigError, never another exception', LOADED, () => {
    // Every trap, alone and after a valid config: there are few.
    for (const trap of YAML_TRAPS) {
      for (const text of [trap, `${SEEDS.inline}\n${trap}`]) {
        try {
          loadBytes(Buffer.from(text, 'utf8'));
        } catch (err) {
          throw new Error(`${preview(text, 80)}: ${(err as Error).message}`);
        }
      }
    }
  });

  it.for(FUZZ_SEEDS.list)('odd strings in every place of a seed: a config or one-line issues (seed %i)', LOADED, (seed) => {
    fc.assert(
      fc.property(fc.constantFrom(...SEED_NAMES), fc.nat(), fc.constantFrom(...ODD_STRINGS), (name, pick, value) =>
        loadBytes(Buffer.from(stringify(applyJson(parseDocument(SEEDS[name]!).toJS(), [{ op: 'replace', pick, value }])), 'utf8')),
      ),
      runs(200, seed),
    );
  });

  it('user text an issue quotes is cut: a ${VAR} name, a duplicate source name, a retired shard key holding 100,000 characters', () => {
    // The first was found by the fuzz (a long insertion inside ${...}): a 100,000-character issue line.
    const long = 'X'.repeat(100_000);
    const source = (name: string) => `  - { name: ${name}, kind: google, calendars: [a@example.com], auth: { type: serviceAccount, keyFile: k.json } }\n`;
    const cases: Array<{ text: string; env: NodeJS.ProcessEnv; says: RegExp }> = [
      { text: MINIMAL_CONFIG.replace('${WEBMEETING_API_KEY}', `\${${long}}`), env: SECRETS, says: /environment variable X{40}… is not set/ },
      { text: `${MINIMAL_CONFIG}${source(long)}${source(long)}`, env: SECRETS, says: /duplicate source name "X{80}\.\.\."/ },
      // The retired shard key (issue 17) is refused in its one fixed line, quoting none of what it held.
      { text: `${MINIMAL_CONFIG}shard: auto\n`, env: { ...SECRETS, HOSTNAME: 'meetsync-0', MEETSYNC_SHARD_COUNT: long }, says: /^shard: sharding was replaced by replicas/ },
      { text: `${MINIMAL_CONFIG}shard: { count: 2, index: auto }\n`, env: { ...SECRETS, HOSTNAME: long }, says: /^shard: sharding was replaced by replicas/ },
      { text: `${MINIMAL_CONFIG}shard: { count: "${long}", ${long}: 7 }\n`, env: SECRETS, says: /^shard: sharding was replaced by replicas[^X]*$/ },
    ];
    for (const { text, env, says } of cases) {
      let thrown: unknown;
      try {
        parseConfig(text, env, dir);
      } catch (err) {
        thrown = err;
      }
      checkConfigError(thrown);
      const lines = (thrown as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      expect(lines.join('\n')).toMatch(says);
      for (const line of lines) expect(line.length, line.slice(0, 120)).toBeLessThan(300);
    }
  });

  it('as a process: `meetsync status --config <damaged file>` says what is wrong on stderr, no stack trace, exit 2', LOADED, async () => {
    const run = promisify(execFile);
    // A fixed sample of damaged files (seeded, so every run checks the same ones), each of which fails to load.
    const samples = fc
      .sample(fc.oneof(structuredInput, byteInput, trapInput), { seed: 20261201, numRuns: 30 })
      .filter(({ bytes }) => {
        try {
          parseConfig(bytes.toString('utf8'), SECRETS, dir);
          return false;
        } catch {
          return true;
        }
      })
      .slice(0, 5);
    expect(samples.length).toBe(5);
    await Promise.all(
      samples.map(async ({ bytes }, i) => {
        const file = path.join(dir, `process-${i}.yaml`);
        writeFileSync(file, bytes);
        const result = await run(process.execPath, [BIN, 'status', '--config', file], { env: { ...process.env, ...SECRETS, MEETSYNC_DEBUG: '' } }).then(
          (r) => ({ code: 0, ...r }),
          (err: { code: number; stdout: string; stderr: string }) => err,
        );
        const shown = `${file}: exit ${result.code}\n${result.stderr}`;
        expect(result.code, shown).toBe(2);
        expect(result.stdout, shown).toBe('');
        const lines = result.stderr.trimEnd().split('\n');
        expect(lines[0], shown).toMatch(/^meetsync: config error: \S/);
        // The issues, if any, one per line, each `  key.path: what to do`.
        for (const line of lines.slice(1)) expect(line, shown).toMatch(/^ {2}\S.*: \S/);
        expect(result.stderr, shown).not.toMatch(/\n\s+at |\(node:\d+\)|Warning:/);
        expect(leakedSecret(result.stderr), shown).toBeUndefined();
      }),
    );
  });
});
