import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { startExampleServer } from '../../example-app/server';
import type { ExampleServer } from '../../example-app/server';
import { describeWithTools } from '../helpers/system';

const ROOT = path.join(__dirname, '..', '..');
// The README's screenshot is refreshed only when asked (KB_SCREENSHOT=docs/screenshot.png),
// so an ordinary test run leaves the tracked file alone.
const SCREENSHOT = process.env.KB_SCREENSHOT ? path.resolve(ROOT, process.env.KB_SCREENSHOT) : path.join(os.tmpdir(), 'koa-bandwidth-screenshot.png');
/** The page as a first visit shows it, before anything is clicked: beside the other screenshot. */
const FIRST_LOAD = path.join(path.dirname(SCREENSHOT), process.env.KB_SCREENSHOT ? 'first-load.png' : 'koa-bandwidth-first-load.png');

/** The rate the page asks for (kbps, the localhost vhost's unit) and that the chart must show. */
const KBPS = 200;
const BYTES_PER_SECOND = (KBPS * 1000) / 8;

/** A request the server received; `res.statusCode` is set as soon as Koa answers, even mid-body. */
interface Logged {
  url: string;
  range: string | undefined;
  res: { statusCode: number; headersSent: boolean };
}

describeWithTools({ chromium: 'chromium' }, 'the example page in Chromium', () => {
  let server: ExampleServer;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const log: Logged[] = [];

  // Page-side code is passed as strings: this project's TypeScript has no DOM types.
  const VIDEO = "document.getElementById('video')";
  const onVideo = (expr: string): Promise<unknown> => page.evaluate(`((v) => ${expr})(${VIDEO})`);
  const untilVideo = (expr: string, timeout: number) => page.waitForFunction(`((v) => ${expr})(${VIDEO})`, null, { timeout });

  beforeAll(async () => {
    server = await startExampleServer({ conf: path.join(ROOT, 'example-app', 'conf'), media: path.join(ROOT, 'example-app', 'media'), port: 0 });
    // Before Koa's listener: the middleware strips the BT params from req.url (docs/spec.md §3).
    server.server.prependListener('request', (req, res) => log.push({ url: req.url ?? '', range: req.headers.range, res }));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'koa-bandwidth-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 900 },
    });
    page = await context.newPage();
  }, 30000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('before anything is clicked, says what to do, lists the media and scales the chart to the cap', async () => {
    const res = await page.goto(server.url);
    expect(res?.status()).toBe(200);
    await expect(page.locator('#start-hint').isVisible()).resolves.toBe(true);
    await expect(page.textContent('#start-hint')).resolves.toMatch(/Press play on a player below/);
    // The players' lists are the media directory's files, from GET /api/media.
    await page.waitForFunction("document.body.dataset.mediaListed === '4'", null, { timeout: 5000 });
    const videos = await page.$$eval('#video-file option', (os) => os.map((o) => (o as unknown as { value: string }).value));
    expect(videos).toEqual(['sample-faststart.mp4', 'sample-moovlast.mp4']);
    // The localhost vhost's 1.5 Mbps cap sets the axis before any byte is sent.
    await page.waitForSelector('#legend li[data-series="vhost:localhost"]', { timeout: 5000 });
    await page.waitForFunction("Number(document.getElementById('chart').dataset.yMax) >= 187500", null, { timeout: 5000 });
    const yMax = Number(await page.getAttribute('#chart', 'data-y-max'));
    expect(yMax).toBeGreaterThanOrEqual(187_500);
    expect(yMax).toBeLessThan(187_500 * 1.5);
    await expect(page.textContent('#legend li[data-series="vhost:localhost"]')).resolves.toMatch(/^localhost total \(\d+ sessions?\): \d+ kbps of 1\.50 Mbps$/);
    const png = await page.screenshot({ fullPage: true });
    fs.mkdirSync(path.dirname(FIRST_LOAD), { recursive: true });
    fs.writeFileSync(FIRST_LOAD, png);
    expect(png.length).toBeGreaterThan(20000);
  });

  it('loads the page, and the chart goes live', async () => {
    const res = await page.goto(server.url);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('koa-bandwidth example media server');
    await page.waitForFunction("document.getElementById('status').textContent === 'live'", null, { timeout: 5000 });
    await page.waitForSelector('#legend li[data-series="vhost:localhost"]', { timeout: 5000 });
  });

  it('plays the video while it is throttled', async () => {
    await page.fill('#mybandwidth', String(KBPS));
    await page.fill('#myratio', '100');
    await page.fill('#myboost', '0');
    await page.click('#apply');
    await expect(page.textContent('#video-url')).resolves.toBe(`/sample-faststart.mp4?mybandwidth=${KBPS}&myratio=100&myboost=0`);
    await onVideo('v.play()');
    await expect(page.locator('#start-hint').isVisible()).resolves.toBe(false);
    const t0 = Date.now();
    await untilVideo('v.currentTime > 2', 15000);
    // The samples are ~155 kbit/s, so 200 kbps keeps up with playback but no more.
    expect(Date.now() - t0).toBeLessThan(12000);
    const throttled = server.example.stats().sessions.filter((s) => s.throttled && s.plan?.rate === BYTES_PER_SECOND);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
  });

  it(`shows the configured ${KBPS} kbps on the chart, within ±10 %`, async () => {
    // Sample what the legend shows for the vhost total, as text and as its data attribute,
    // for 4 s, and take the medians: one snapshot can fall on a chunk boundary.
    await page.waitForTimeout(1500);
    const shown: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < 8; i++) {
      const item = page.locator('#legend li[data-series="vhost:localhost"]');
      const text = (await item.textContent()) ?? '';
      expect(text).toMatch(/^localhost total \(\d+ sessions?\): \d+ kbps of 1\.50 Mbps$/);
      shown.push(Number(/: (\d+) kbps/.exec(text)![1]));
      raw.push(Number(await item.getAttribute('data-bps')));
      await page.waitForTimeout(500);
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[3]! + s[4]!) / 2;
    };
    expect(median(shown)).toBeGreaterThan(KBPS * 0.9);
    expect(median(shown)).toBeLessThan(KBPS * 1.1);
    expect(median(raw)).toBeGreaterThan(BYTES_PER_SECOND * 0.9);
    expect(median(raw)).toBeLessThan(BYTES_PER_SECOND * 1.1);
  }, 20000);

  it('seeks past what has arrived, through a Range request', async () => {
    // Chromium keeps reading one response for seeks up to 2 MB ahead, more than these samples.
    // So load the video afresh: with preload="metadata" it fetches the header and then stops,
    // and a seek must then ask for a range starting near the target.
    await page.fill('#mybandwidth', '300');
    await page.click('#apply');
    await untilVideo('v.readyState >= 1 && v.networkState === 1', 15000); // HAVE_METADATA, NETWORK_IDLE
    const before = log.length;
    await onVideo('v.currentTime = 20');
    await onVideo('v.play()');
    await untilVideo('!v.seeking && v.currentTime > 20.5', 15000);
    const size = fs.statSync(path.join(ROOT, 'example-app', 'media', 'sample-faststart.mp4')).size;
    const seeks = log
      .slice(before)
      .filter((l) => l.url.startsWith('/sample-faststart.mp4?mybandwidth=300'))
      .map((l) => ({ first: Number(/^bytes=(\d+)-/.exec(l.range ?? '')?.[1] ?? 0), status: l.res.statusCode }));
    // 20 s into a 24 s file: the range starts in its last half, and the answer is a 206.
    expect(seeks.some((s) => s.first > size / 2 && s.status === 206)).toBe(true);
  }, 40000);

  it('saves a screenshot of the page', async () => {
    // Two players at once on /vod/, without query overrides: each at its media rate
    // (route 'x'), the video with the rule's 120 %.
    for (const f of ['#mybandwidth', '#myratio', '#myboost']) await page.fill(f, '');
    await page.selectOption('#route', '/vod/');
    await page.selectOption('#video-file', 'sample-moovlast.mp4');
    await page.click('#apply');
    await onVideo('v.play()');
    await page.evaluate("document.getElementById('audio').play()");
    await page.waitForTimeout(6000);
    await expect(page.locator('#sessions tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    const png = await page.screenshot({ fullPage: true });
    fs.writeFileSync(SCREENSHOT, png);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20000);
  });
});
