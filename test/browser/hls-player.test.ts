import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { startExampleServer, type ExampleServer } from '../../example-app/server';
import { RESPONSE_CHANNEL, type ResponseRecord } from '../../lib/index';
import { describeWithTools } from '../helpers/system';
import { startHlsServer, type HlsServer } from '../segmented/serve-hls';

const ROOT = path.join(__dirname, '..', '..');
const HLS_JS = fs.readFileSync(path.join(ROOT, 'node_modules', 'hls.js', 'dist', 'hls.min.js'), 'utf8');

/** hls.js on a bare page, playing the ladder with CMCD (so its requests carry `sid`), recording levels and stalls. */
const PAGE = (sid: string): string => `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/__test/hls.js"></script>
<script>
  const v = document.getElementById('v');
  const log = (window.hlsLog = { fragLevels: [], switched: [], stalls: 0, waiting: 0, playing: false, ended: false, fatal: null });
  const hls = new Hls({ cmcd: { sessionId: ${JSON.stringify(sid)} }, maxBufferLength: 6, maxMaxBufferLength: 8 });
  hls.on(Hls.Events.FRAG_LOADED, (_, d) => log.fragLevels.push(d.frag.level));
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => log.switched.push(d.level));
  hls.on(Hls.Events.ERROR, (_, d) => {
    if (d.details === 'bufferStalledError') log.stalls++;
    if (d.fatal) log.fatal = d.details;
  });
  v.addEventListener('playing', () => (log.playing = true));
  v.addEventListener('waiting', () => { if (log.playing) log.waiting++; });
  v.addEventListener('ended', () => (log.ended = true));
  hls.loadSource('/hls/ladder/master.m3u8');
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`;

interface HlsLog {
  fragLevels: number[];
  switched: number[];
  stalls: number;
  waiting: number;
  playing: boolean;
  ended: boolean;
  fatal: string | null;
}

/**
 * hls.js in headless Chromium through a real `serve` with `$URL[/hls/*], x, 150, 4`
 * (docs/segmented.md, "Quality by plan"). The ladder's BANDWIDTH: 70.4, 191.4 and 356.4 kbit/s.
 */
describeWithTools({ chromium: 'chromium' }, 'hls.js plays the ladder through serve', () => {
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'koa-bandwidth-hls-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  async function play(server: HlsServer, sid: string): Promise<HlsLog> {
    const page: Page = await context.newPage();
    try {
      await page.route(`${server.base}/__test/**`, (route) => {
        const url = route.request().url();
        if (url.endsWith('/hls.js')) return route.fulfill({ contentType: 'text/javascript', body: HLS_JS });
        return route.fulfill({ contentType: 'text/html', body: PAGE(sid) });
      });
      await page.goto(`${server.base}/__test/page.html`);
      // 12 s of media: it ends after about 12 s of playing, or hls.js gives up.
      await page.waitForFunction('window.hlsLog.ended || window.hlsLog.fatal !== null', null, { timeout: 40_000 });
      return (await page.evaluate('window.hlsLog')) as HlsLog;
    } finally {
      await page.close();
    }
  }

  describe('without a session cap', () => {
    let server: HlsServer;
    beforeAll(async () => {
      server = await startHlsServer();
    });
    afterAll(() => server?.stop());

    it('plays to the end without a stall and reaches the top rendition', async () => {
      const log = await play(server, 'free');
      process.stdout.write(`segmented: hls.js no cap: levels ${JSON.stringify(log.fragLevels)}, stalls ${log.stalls}, waiting ${log.waiting}\n`);
      expect(log.fatal).toBeNull();
      expect(log.ended).toBe(true);
      expect(log.stalls).toBe(0);
      expect(log.waiting).toBe(0);
      expect(Math.max(...log.fragLevels)).toBe(2);
    }, 60_000);
  });

  describe('with a session cap of 140 kbps (between the two lower renditions)', () => {
    let server: HlsServer;
    beforeAll(async () => {
      server = await startHlsServer({ sessionKbps: 140 });
    });
    afterAll(() => server?.stop());

    it('settles on the lowest rendition', async () => {
      const log = await play(server, 'capped');
      process.stdout.write(`segmented: hls.js cap 140 kbps: levels ${JSON.stringify(log.fragLevels)}, stalls ${log.stalls}, waiting ${log.waiting}\n`);
      expect(log.fatal).toBeNull();
      expect(log.ended).toBe(true);
      // The last fragments hls.js chose (once its estimate had settled) are all the lowest.
      expect(log.fragLevels.slice(-3)).toEqual([0, 0, 0]);
    }, 60_000);
  });

  describe("the example page's HLS player", () => {
    let server: ExampleServer;
    beforeAll(async () => {
      server = await startExampleServer({ conf: path.join(ROOT, 'example-app', 'conf'), media: path.join(ROOT, 'example-app', 'media'), port: 0 });
    });
    afterAll(() => server?.close());

    it('plays the ladder with hls.js, one viewer session (CMCD), and shows the rendition', async () => {
      const records: ResponseRecord[] = [];
      const collect = (r: unknown): void => void records.push(r as ResponseRecord);
      diagnostics.subscribe(RESPONSE_CHANNEL, collect);
      const page: Page = await context.newPage();
      try {
        await page.goto(server.url);
        await page.click('#hls-play');
        await page.waitForFunction("document.getElementById('hls-video').currentTime > 1", null, { timeout: 20_000 });
        await expect(page.textContent('#hls-level')).resolves.toMatch(/^rendition [0-2]: \d+p, BANDWIDTH \d+ kbps$/);
        // hls.js sends a CMCD session id with every request after the master playlist: the
        // media playlists and segments are one session named after it.
        const hls = records.filter((r) => r.url.startsWith('/hls/') && !r.url.startsWith('/hls/master.m3u8'));
        expect(hls.map((r) => r.plan.segment?.kind)).toEqual(expect.arrayContaining(['playlist', 'media']));
        expect(new Set(hls.map((r) => r.session)).size).toBe(1);
        expect(hls[0]?.session).toMatch(/^v:[0-9a-f-]{36}$/);
        expect(hls.every((r) => r.plan.segment?.viewerSource === 'cmcd')).toBe(true);
      } finally {
        diagnostics.unsubscribe(RESPONSE_CHANNEL, collect);
        await page.close();
      }
    }, 40_000);
  });
});
