import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINDING_KINDS } from '../../src/reconcile/findings.js';
import { renderReport } from '../../src/reconcile/render/report.js';
import { demoWorld, HOSTILE_TOPIC } from '../support/demo-report.js';

/**
 * The HTML report in a real browser: Debian's headless Chromium (`.ci/run` installs
 * chromium-headless-shell when it is missing), driven by playwright-core. The page must render
 * its summary and tables, load nothing from anywhere, log no error, and show a hostile topic as
 * text. `MEETSYNC_UPDATE_SCREENSHOT=1` also writes the screenshot kept in docs/.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CANDIDATES = [process.env.MEETSYNC_CHROMIUM, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].filter((p): p is string => Boolean(p));

function chromiumPath(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CANDIDATES.join(' or ')}: run 'apt-get install chromium-headless-shell' (.ci/run does), or set MEETSYNC_CHROMIUM`);
  return found;
}

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let file: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-report-'));

  beforeAll(async () => {
    const { world, report } = await demoWorld();
    await world.close();
    file = path.join(dir, 'reconcile-report.html');
    writeFileSync(file, renderReport(report, 'html'));
    // Root has no user namespace sandbox here; the page is our own file.
    browser = await chromium.launch({ executablePath: chromiumPath(), args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  });
  afterAll(async () => browser?.close());

  it('renders the summary and the tables, loads nothing, logs no error, and shows a hostile topic as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await page.goto(url, { waitUntil: 'load' });
    expect(await page.title()).toMatch(/^meetsync reconciliation, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(await page.locator('#verdict').textContent()).toBe('10 finding(s) need attention.');
    expect(await page.locator('#summary li').count()).toBe(FINDING_KINDS.length);
    expect(await page.locator('#summary li.k-time-drift .n').textContent()).toBe('3');
    expect(await page.locator('section.organizer h2').allTextContents()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    // Rows that need attention are shown; meetings in step are folded away, still in the page.
    expect(await page.locator('section.organizer').nth(0).locator(':scope > table tbody tr').count()).toBe(5);
    expect(await page.locator('section.organizer').nth(1).locator(':scope > table tbody tr').count()).toBe(5);
    expect(await page.locator('section.organizer').nth(2).textContent()).toContain('is not iCalendar (it is an HTML or XML page)');
    expect(await page.locator('svg.timeline g.row').count()).toBe(3);
    expect((await page.locator('svg.timeline').boundingBox())?.height).toBeGreaterThan(50);
    expect((await page.locator('section.organizer').nth(0).locator('table').first().boundingBox())?.width).toBeGreaterThan(900);

    // The hostile topic is text in its cell, not markup; nothing ran.
    const cell = page.locator('td', { hasText: 'Retro <script>' }).first();
    expect((await cell.textContent())?.startsWith(HOSTILE_TOPIC)).toBe(true);
    // (Page code as text: the tests are compiled without the DOM's types.)
    expect(await page.evaluate('document.querySelectorAll("script").length')).toBe(0);
    expect(await page.evaluate('[...document.querySelectorAll("*")].some((el) => [...el.attributes].some((a) => a.name.startsWith("on")))')).toBe(false);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);

    const shot = path.join(dir, 'reconcile-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.MEETSYNC_UPDATE_SCREENSHOT === '1') await page.screenshot({ path: path.join(ROOT, 'docs/reconcile-report.png'), fullPage: true });
    await page.close();
  });

  it('its Content Security Policy refuses any load, should a string ever get past the escaping', async () => {
    // A server on loopback counts what reaches it; the page is made to ask it for an image,
    // a style sheet and a script, as markup that escaped the escaping would.
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      received.push(req.url ?? '');
      res.end('');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await browser.newPage();
      const blocked: string[] = [];
      page.on('requestfailed', (r) => blocked.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      await page.evaluate(`(() => {
        document.body.insertAdjacentHTML('beforeend', '<img src="${origin}/tracker.png"><link rel="stylesheet" href="${origin}/font.css">');
        const s = document.createElement('script'); s.src = '${origin}/x.js'; document.body.append(s);
      })()`);
      await page.waitForTimeout(500);
      expect(received).toEqual([]);
      expect(blocked.sort()).toEqual([`${origin}/font.css`, `${origin}/tracker.png`, `${origin}/x.js`]);
      await page.close();
    } finally {
      server.close();
    }
  });
});
