import { isPostgresUrl } from '../store/database-target.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../domain/errors.js';
import { fileProblem } from '../domain/file-problem.js';
import { quoted } from '../domain/printable.js';
import { registerSecret } from '../domain/redact.js';
import { configSchema, type Config } from './schema.js';

/** What a config that still has `shard:` is told: shards and their hand-over were replaced by replicas. */
export const SHARD_REPLACED =
  "sharding was replaced by replicas (issue 17): remove 'shard', set 'database' to a PostgreSQL URL (postgres://...) and run any number of 'meetsync run' replicas on it; see README, Scaling to many calendars";

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read. */
  file: string;
}

/**
 * Which file to read: --config, else $MEETSYNC_CONFIG, else ./meetsync.yaml. An empty
 * MEETSYNC_CONFIG counts as unset (`MEETSYNC_CONFIG= meetsync …` is how a shell unsets it for one command).
 */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(cwd, flag ?? (env.MEETSYNC_CONFIG || 'meetsync.yaml'));
}

/**
 * True when a config is asked for (--config, $MEETSYNC_CONFIG) or ./meetsync.yaml exists: then a
 * missing or broken file is an error to report, never a reason to do something else.
 */
export function configNamed(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): boolean {
  return flag !== undefined || Boolean(env.MEETSYNC_CONFIG) || existsSync(resolveConfigPath(undefined, {}, cwd));
}

/** `a.b[1].c` from a zod or walker path. */
export function formatPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? shownKey(String(part)) : `.${shownKey(String(part))}`;
  }
  return out || '(top level)';
}

/**
 * A key as an issue shows it. Every key of the schema is a name (letters, digits, `_`, `.`, `-`);
 * anything else is shown only up to its first other character, then `…`. A key that is more than
 * a name is usually a key and its value run together by a missing colon
 * (`{ clientSecret 'abc…' }` and `clientSecret:abc…` in a flow map are one key each), and the
 * value must not be echoed: no secret is registered for scrubbing until the config is valid.
 * Leading spaces and control characters (a stray CR from old Mac line endings) are kept, escaped,
 * so the issue stays one line and still says why the name did not match.
 */
function shownKey(key: string): string {
  if (/^[A-Za-z0-9_.-]{1,80}$/.test(key)) return key;
  const lead = /^[\s\x00-\x1f\x7f]*/.exec(key)![0];
  const name = /^[A-Za-z0-9_.-]*/.exec(key.slice(lead.length))![0].slice(0, 80);
  return quoted(`${lead}${name}${lead.length + name.length < key.length ? '…' : ''}`);
}

/**
 * Whether an unknown key may be named in its issue: the schema's keys are words (letters only),
 * and a misspelt one is too. A key with digits or signs in its name is more likely a value that
 * lost its key (a secret on a line of its own, `S3cr3t-…:` after a damaged line: found by the
 * config fuzz, FUZZ_SEED=1142950932), and is not shown.
 */
function looksLikeAKey(key: string): boolean {
  const name = /^[\s\x00-\x1f\x7f]*([A-Za-z0-9_.-]*)/.exec(key)![1]!;
  return /^[A-Za-z]{1,40}$/.test(name);
}

const UNSHOWN_KEY =
  "a key that is no word of this config (digits or signs in its name: a value on a line of its own, or a key and its value run together without ': '?); not shown, as it may be a secret: check the indentation here against config.example.yaml";

/**
 * A `${VAR}` name as an issue shows it: the pattern admits names of any length, and a damaged
 * file (a long run of characters pasted inside the braces) made a 100,000-character issue line.
 */
function shownVariable(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

/**
 * Replaces `${VAR}` in every string value; an unset variable is an issue at that key. `inside`
 * holds the mappings and lists being walked: a YAML alias to a node that contains it
 * (`a: &x [*x]`) makes a cycle, which is an issue rather than an endless walk.
 */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: PropertyKey[], issues: ConfigIssue[], inside = new Set<object>()): unknown {
  if (value && typeof value === 'object' && inside.has(value)) {
    issues.push({ path: formatPath(at), message: 'a YAML alias (*name) here refers to a node that contains it; write the value out instead' });
    return undefined;
  }
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        issues.push({ path: formatPath(at), message: `environment variable ${shownVariable(name)} is not set (export it, or write the value in the file)` });
        return '';
      }
      return v;
    });
  }
  if (value && typeof value === 'object') {
    const within = new Set(inside).add(value);
    if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...at, i], issues, within));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...at, k], issues, within)]));
  }
  return value;
}

/** What zod's expected types are called in a YAML file. */
const TYPE_WORDS: Record<string, string> = { array: 'a list', object: 'a mapping (key: value lines)', int: 'a whole number' };

/** Error texts a person can act on, instead of zod's type-system wording. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_type') return `must be ${TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`}`;
  if (issue.code === 'too_big' || issue.code === 'too_small') {
    const bound = `${issue.code === 'too_big' ? 'at most' : 'at least'} ${String(issue.code === 'too_big' ? issue.maximum : issue.minimum)}`;
    if (issue.origin === 'array') return `must list ${bound} items`;
    if (issue.origin === 'string') return `must be ${bound} characters long`;
    return `must be ${bound}`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    return `unknown ${String(issue.discriminator)}; expected ${issue.discriminator === 'kind' ? 'google or outlook' : 'serviceAccount or oauth'}`;
  }
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map(String).join(', ')}`;
  return undefined;
};

function schemaIssues(error: z.ZodError): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        if (looksLikeAKey(key)) issues.push({ path: formatPath([...issue.path, key]), message: 'unknown key (check its spelling against config.example.yaml)' });
        else issues.push({ path: formatPath(issue.path), message: UNSHOWN_KEY });
      }
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/** Parses and validates config text. `dir` is where relative paths in it are resolved from. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, dir: string, file = 'config'): Config {
  const lineCounter = new LineCounter();
  // logLevel 'error': the yaml package would print its warnings (a mapping used as a key) on
  // stderr by itself, around our one-line message.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}${line ? ` line ${line}` : ''}: not valid YAML: ${yamlProblem(first.message)}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // toJS throws for an alias without its anchor (ReferenceError) and for an alias bomb
    // ("Excessive alias count", yaml's maxAliasCount): the file, not a bug, so a config error.
    throw new ConfigError(`${file}: not valid YAML: ${yamlProblem(err instanceof Error ? err.message : String(err))}`, [], { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: must be a YAML mapping of keys (see config.example.yaml)`);
  }
  // Sharding is gone (issue 17): one line that says what replaced it, whatever else the file holds.
  if ('shard' in raw) throw new ConfigError(`${file} has 1 problem`, [{ path: 'shard', message: SHARD_REPLACED }]);
  const issues: ConfigIssue[] = [];
  const interpolated = interpolate(raw, env, [], issues);
  // A key whose ${VAR} is unset is already one problem; the schema would add a second at that key
  // ("required, must not be empty") for the value it left empty.
  const reported = new Set(issues.map((i) => i.path));
  const parsed = configSchema.safeParse(interpolated, { error: errorMap });
  if (!parsed.success) issues.push(...schemaIssues(parsed.error).filter((i) => !reported.has(i.path)));
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(`${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  }
  const config: Config = parsed.data;
  // A file path is the config file's folder's; a postgres:// URL (issue 17) is taken as written.
  config.database = config.database === ':memory:' || isPostgresUrl(config.database) ? config.database : path.resolve(dir, config.database);
  if (config.reconcile?.reportDir) config.reconcile.reportDir = path.resolve(dir, config.reconcile.reportDir);
  for (const source of config.sources) {
    if (source.kind === 'google' && source.auth.type === 'serviceAccount') {
      source.auth.keyFile = path.resolve(dir, source.auth.keyFile);
    }
    const certificate = source.kind === 'outlook' ? source.auth.clientCertificate : undefined;
    if (certificate) {
      certificate.certificatePath = path.resolve(dir, certificate.certificatePath);
      if (certificate.privateKeyPath !== undefined) certificate.privateKeyPath = path.resolve(dir, certificate.privateKeyPath);
    }
  }
  registerSecrets(config);
  return config;
}

/** The yaml package's message as one line; a parser stack overflow said in words a person can act on. */
function yamlProblem(message: string): string {
  if (/Maximum call stack size exceeded/i.test(message)) return 'nested too deeply to read; use fewer levels of [ ], { } or indentation';
  if (/Excessive alias count/i.test(message)) return 'too many aliases (*name) expanding into each other; write the values out';
  // Not echoed: the "alias" may be a secret that starts with * written without quotes.
  if (/Unresolved alias/i.test(message)) return 'a value starting with * is read as an alias (*name) that no anchor (&name) defines; put the value in quotes';
  return (message.split('\n')[0] ?? message).slice(0, 300);
}

function registerSecrets(config: Config): void {
  registerSecret(config.webMeeting.apiKey);
  for (const source of config.sources) {
    if (source.kind === 'outlook') {
      registerSecret(source.auth.clientSecret);
      registerSecret(source.auth.clientCertificate?.privateKey);
    }
    else if (source.auth.type === 'oauth') {
      registerSecret(source.auth.clientSecret);
      registerSecret(source.auth.refreshToken);
    }
  }
}

export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  const file = resolveConfigPath(flag, env, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`config file ${file} not found; copy config.example.yaml to meetsync.yaml, or pass --config FILE or set MEETSYNC_CONFIG`, [], { cause: err });
    }
    throw new ConfigError(`cannot read ${file}: ${fileProblem(err)}`, [], { cause: err });
  }
  return { config: parseConfig(text, env, path.dirname(file), file), file };
}
