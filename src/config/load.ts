import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../domain/errors.js';
import { registerSecret } from '../domain/redact.js';
import { configSchema, type Config } from './schema.js';
import { resolveShard } from './shard.js';

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
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(top level)';
}

/** Replaces `${VAR}` in every string value; an unset variable is an issue at that key. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: PropertyKey[], issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        issues.push({ path: formatPath(at), message: `environment variable ${name} is not set (export it, or write the value in the file)` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...at, i], issues));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...at, k], issues)]));
  }
  return value;
}

/** Error texts a person can act on, instead of zod's type-system wording. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
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
        issues.push({ path: formatPath([...issue.path, key]), message: 'unknown key (check its spelling against config.example.yaml)' });
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
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}${line ? ` line ${line}` : ''}: not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: must be a YAML mapping of keys (see config.example.yaml)`);
  }
  const issues: ConfigIssue[] = [];
  const interpolated = interpolate(raw, env, [], issues);
  const parsed = configSchema.safeParse(interpolated, { error: errorMap });
  if (!parsed.success) issues.push(...schemaIssues(parsed.error));
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(`${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  }
  const { shard, ...rest } = parsed.data;
  const config: Config = rest;
  if (shard) {
    const resolved = resolveShard(shard, env);
    if (!resolved.ok) throw new ConfigError(`${file} has 1 problem`, [resolved.issue]);
    config.shard = resolved.shard;
  }
  config.database = config.database === ':memory:' ? config.database : path.resolve(dir, config.database);
  if (config.reconcile?.reportDir) config.reconcile.reportDir = path.resolve(dir, config.reconcile.reportDir);
  for (const source of config.sources) {
    if (source.kind === 'google' && source.auth.type === 'serviceAccount') {
      source.auth.keyFile = path.resolve(dir, source.auth.keyFile);
    }
  }
  registerSecrets(config);
  return config;
}

function registerSecrets(config: Config): void {
  registerSecret(config.webMeeting.apiKey);
  for (const source of config.sources) {
    if (source.kind === 'outlook') registerSecret(source.auth.clientSecret);
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
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'not found; copy config.example.yaml to meetsync.yaml, or pass --config FILE or set MEETSYNC_CONFIG'
        : `cannot be read (${code ?? 'error'})`;
    throw new ConfigError(`config file ${file} ${hint}`);
  }
  return { config: parseConfig(text, env, path.dirname(file), file), file };
}
