import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';
import { MINIMAL_CONFIG } from '../support/config-text.js';

const env = { WEBMEETING_API_KEY: 'k-123456' };
const withPush = (push: string, http = 'http: { listen: "127.0.0.1:9464" }\n') => `${MINIMAL_CONFIG}\n${http}push: ${push}\n`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, env, '/etc/meetsync');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('config: push', () => {
  it('is off unless set', () => {
    expect(parseConfig(MINIMAL_CONFIG, env, '/etc/meetsync').push).toBeUndefined();
  });

  it('takes an https:// public URL, or http:// on a loopback host (tests)', () => {
    expect(parseConfig(withPush('{ publicUrl: "https://meetsync.example.com" }'), env, '/etc/meetsync').push).toEqual({ publicUrl: 'https://meetsync.example.com' });
    expect(parseConfig(withPush('{ publicUrl: "http://127.0.0.1:8080/hooks" }'), env, '/etc/meetsync').push?.publicUrl).toBe('http://127.0.0.1:8080/hooks');
  });

  it('refuses http:// off loopback, a non-URL, a query, and push without http.listen, one line each', () => {
    expect(issuesOf(withPush('{ publicUrl: "http://meetsync.example.com" }'))).toEqual([
      'push.publicUrl: must start with https://: Google sends notifications only to an https address with a valid certificate; put a reverse proxy or ingress that terminates TLS in front of http.listen (http:// is accepted only for 127.0.0.0/8, ::1 or localhost, for tests)',
    ]);
    expect(issuesOf(withPush('{ publicUrl: "meetsync.example.com" }'))).toEqual(['push.publicUrl: must be a URL such as https://meetsync.example.com']);
    expect(issuesOf(withPush('{ publicUrl: "https://meetsync.example.com/?x=1" }'))).toEqual(['push.publicUrl: must have no query (?) or fragment (#): meetsync adds its own paths (/push/google) to it']);
    expect(issuesOf(withPush('{ publicUrl: "https://meetsync.example.com" }', ''))).toEqual([
      'push: push needs http.listen: notifications arrive on the HTTP listener; set http: { listen: "127.0.0.1:9464" } and point push.publicUrl\'s proxy at it',
    ]);
    expect(issuesOf(withPush('{ publicUrl: "https://meetsync.example.com", secret: x }'))[0]).toMatch(/^push\.secret: unknown key/);
  });
});
