import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from Debian's packages (playwright-core downloads no browser here).
 * `.ci/install-browser` installs it when missing; $MEETSYNC_CHROMIUM names another binary.
 */
const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium', '/usr/lib/chromium/chromium'];

export function chromiumPath(): string {
  const found = [process.env.MEETSYNC_CHROMIUM, ...CANDIDATES].find((p): p is string => Boolean(p) && existsSync(p!));
  if (!found) throw new Error(`no Chromium found (${CANDIDATES.join(', ')}): run .ci/install-browser, or set MEETSYNC_CHROMIUM`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI and the developers' machines run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
