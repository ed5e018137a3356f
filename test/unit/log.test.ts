import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/domain/redact.js';
import { createLogger } from '../../src/log.js';

function capture(pretty: boolean) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger({ destination: stream, pretty, level: 'debug' }), text: () => text };
}

describe('logs', () => {
  const apiKey = 'log-test-api-key-5f4e3d2c1b';
  const icsToken = 'ce5494bc-d691-4caf-906c-bfa6403fdc71-32a0633d-99e7-41ff-bfe9-e28fe2f10e73';
  registerSecret(apiKey);

  it.each([false, true])('never print a secret (pretty: %s)', async (pretty) => {
    const { logger, text } = capture(pretty);
    logger.info({ apiKey, nested: { refreshToken: 'r-123456789', icsPath: `/api/v6/meeting/calender/user/${icsToken}` } }, `calling with key ${apiKey}`);
    logger.warn({ url: `https://m.example.com/api/v6/meeting/calender/user/${icsToken}` }, 'feed failed');
    logger.error(`Authorization: Bearer ya29.a0AfH6SMBx-secret-token`);
    await new Promise((r) => setTimeout(r, 50));
    const out = text();
    expect(out).toContain('feed failed');
    expect(out).toContain('calling with key [redacted]');
    for (const secret of [apiKey, icsToken, 'r-123456789', 'ya29.a0AfH6SMBx-secret-token']) expect(out).not.toContain(secret);
  });

  it('never prints a PEM private key (the Outlook certificate credential), registered or not, nor a privateKey field', async () => {
    const { logger, text } = capture(false);
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
    logger.error(`could not load ${pem} for the app`);
    logger.info({ clientCertificate: { certificatePath: '/etc/meetsync/app.crt', privateKey: 'short-key-value' } }, 'auth');
    await new Promise((r) => setTimeout(r, 50));
    const out = text();
    expect(out).toContain('could not load [redacted] for the app');
    expect(out).toContain('/etc/meetsync/app.crt');
    expect(out).not.toContain('MIIEvgIBADANBg');
    expect(out).not.toContain('short-key-value');
  });

  it('writes one JSON object per line for machines', async () => {
    const { logger, text } = capture(false);
    logger.info({ counts: { created: 1 } }, 'sync cycle finished');
    await new Promise((r) => setTimeout(r, 20));
    const record = JSON.parse(text().trim());
    expect(record).toMatchObject({ level: 30, msg: 'sync cycle finished', counts: { created: 1 } });
  });
});
