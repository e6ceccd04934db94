import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { startExampleServer } from '../../example-app/server';
import type { ExampleServer } from '../../example-app/server';
import { describeWithTools } from '../helpers/system';

const ROOT = path.join(__dirname, '..', '..');
// The SDP fixtures of test/webrtc/ are refreshed only when asked (KB_CAPTURE_SDP=1), so an
// ordinary run leaves the tracked files alone.
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'sdp');

/** How long the encoder may ramp up, and how long the rate is then measured (ms). */
const RAMP_MS = 5000;
const MEASURE_MS = 10000;

interface Sample {
  t: number;
  bytesSent: number;
  headerBytesSent: number;
  /** The receiver's own outgoing video, when it sends one back. */
  backBytesSent?: number;
}
interface CallView {
  url: string;
  offer: string;
  answer: string;
  sentOffer: string;
  sentAnswer: string;
  plan: { maxBitrate: number; sections: { kind: string; maxBitrate: number; encodings: { maxBitrate: number }[] }[] } | null;
  samples: Sample[];
}

/** Payload and payload+header kbps between the samples nearest to `from` and to `to`. */
function rateBetween(samples: Sample[], from: number, to: number): { kbps: number; withHeaders: number; seconds: number } {
  const nearest = (t: number): Sample | undefined => samples.reduce<Sample | undefined>((best, s) => (best === undefined || Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), undefined);
  const a = nearest(from);
  const b = nearest(to);
  if (!a || !b || b.t - a.t < (to - from) * 0.9) throw new Error(`too few getStats() samples between ${from} and ${to}: ${samples.length}`);
  const seconds = (b.t - a.t) / 1000;
  return {
    kbps: ((b.bytesSent - a.bytesSent) * 8) / seconds / 1000,
    withHeaders: ((b.bytesSent + b.headerBytesSent - a.bytesSent - a.headerBytesSent) * 8) / seconds / 1000,
    seconds,
  };
}

/** The b= lines of each m= section, in order. */
function bandwidthLines(sdp: string): string[][] {
  const sections: string[][] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push([]);
    else if (line.startsWith('b=') && sections.length > 0) sections[sections.length - 1]!.push(line);
  }
  return sections;
}

describeWithTools({ chromium: 'chromium', ffmpeg: 'ffmpeg' }, 'the call page in Chromium (fake camera)', () => {
  let server: ExampleServer;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const measured: string[] = [];

  beforeAll(async () => {
    server = await startExampleServer({ conf: path.join(ROOT, 'example-app', 'conf'), media: path.join(ROOT, 'example-app', 'media'), port: 0 });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'koa-bandwidth-call-'));
    // Chromium's own fake camera draws a flat picture that VP8 sends in under 500 kbps
    // whatever the limit. Two seconds of noise (looped) make the encoder use what it is
    // allowed, so the rate measured is the limit's, not the picture's. 320×240 rather than
    // 640×480: the same figures under a plan, for half the CPU (40 s against 74 s a run) on a
    // machine the other suites share.
    const camera = path.join(profile, 'camera.mjpeg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-vf', 'noise=alls=25:allf=t+u', '-t', '2', '-q:v', '4', '-f', 'mjpeg', camera]);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${camera}`,
        // A hidden page's timers and encoder are throttled in headless mode: keep it running.
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
      ],
      viewport: { width: 1000, height: 1000 },
    });
    page = await context.newPage();
    const res = await page.goto(`${server.url}_ui/call.html`);
    expect(res?.status()).toBe(200);
  }, 30000);

  afterAll(async () => {
    if (measured.length > 0) process.stderr.write(`call page, measured outgoing video (payload / with RTP headers):\n${measured.map((m) => `  ${m}\n`).join('')}`);
    await context?.close();
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  /** Start a call through `route` (with ?mybandwidth= when given), measure, hang up. */
  async function runCall(routePath: string, kbps: string, via: 'sdp' | 'parameters' = 'sdp', both = false): Promise<{ call: CallView; rate: ReturnType<typeof rateBetween> }> {
    await page.selectOption('#route', routePath);
    await page.selectOption('#via', via);
    await page.setChecked('#both', both);
    await page.fill('#mybandwidth', kbps);
    await page.click('#start');
    await page.waitForFunction('(window.call && window.call.samples.length > 0) || window.callError', null, { timeout: 20000 });
    const error = await page.evaluate('window.callError || null');
    expect(error).toBeNull();
    const first = (await page.evaluate('window.call.samples[0].t')) as number;
    await page.waitForFunction(`window.call.samples.length > 0 && window.call.samples[window.call.samples.length - 1].t >= ${first + RAMP_MS + MEASURE_MS - 300}`, null, {
      timeout: RAMP_MS + MEASURE_MS + 15000,
    });
    const call = (await page.evaluate('({ ...window.call, sender: undefined, receiver: undefined, stream: undefined })')) as CallView;
    await page.click('#hangup');
    const rate = rateBetween(call.samples, first + RAMP_MS, first + RAMP_MS + MEASURE_MS);
    measured.push(`${call.url}${via === 'parameters' ? ' (setParameters)' : ''}${both ? ' (both ways)' : ''}: ${rate.kbps.toFixed(0)} kbps / ${rate.withHeaders.toFixed(0)} kbps over ${rate.seconds.toFixed(1)} s (plan ${call.plan ? `${call.plan.maxBitrate / 1000} kbps total` : 'none'})`);
    return { call, rate };
  }

  it('keeps the sender at or under a 300 kbps plan (+10 %), from the query string', async () => {
    const { call, rate } = await runCall('/call/sdp', '300');
    // 300 kbps: audio 1 share (30 kbps), video 9 shares (270 kbps), in both descriptions.
    expect(bandwidthLines(call.sentAnswer)).toEqual([['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]);
    expect(bandwidthLines(call.sentOffer)).toEqual([['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]);
    expect(call.plan?.maxBitrate).toBe(300_000);
    expect(rate.kbps).toBeLessThanOrEqual(300 * 1.1);
    // Tighter: within the video section's own part, 270 kbps + 10 %.
    expect(rate.kbps).toBeLessThanOrEqual(270 * 1.1);
    // And the call did carry video: the limit is not a stall.
    expect(rate.kbps).toBeGreaterThan(100);
    if (process.env.KB_CAPTURE_SDP) {
      fs.mkdirSync(FIXTURES, { recursive: true });
      fs.writeFileSync(path.join(FIXTURES, 'chromium-offer.sdp'), call.offer);
      fs.writeFileSync(path.join(FIXTURES, 'chromium-answer.sdp'), call.answer);
    }
  }, 60000);

  it('holds the sender to the same plan through the setParameters values, with the SDP as written', async () => {
    const { call, rate } = await runCall('/call/sdp', '300', 'parameters');
    expect(call.plan?.sections.find((s) => s.kind === 'video')?.encodings).toEqual([{ maxBitrate: 270_000 }]);
    expect(bandwidthLines(call.answer)).toEqual([[], []]);
    // maxBitrate caps the encoder itself, which sends right up to it (259-278 kbps
    // measured for 270): so the bound is the plan's + 10 %, not the video part's.
    expect(rate.kbps).toBeLessThanOrEqual(300 * 1.1);
    expect(rate.kbps).toBeGreaterThan(100);
  }, 60000);

  it("holds the receiver's camera too, by the offer's lines, when the call goes both ways", async () => {
    const { call, rate } = await runCall('/call/sdp', '300', 'sdp', true);
    const first = call.samples[0]!.t;
    const back = rateBetween(
      call.samples.map((s) => ({ ...s, bytesSent: s.backBytesSent ?? NaN, headerBytesSent: 0 })),
      first + RAMP_MS,
      first + RAMP_MS + MEASURE_MS,
    );
    measured.push(`  … the receiver's camera back: ${back.kbps.toFixed(0)} kbps over ${back.seconds.toFixed(1)} s`);
    expect(bandwidthLines(call.sentOffer)[1]).toEqual(['b=AS:270', 'b=TIAS:270000']);
    expect(call.answer).toMatch(/\r\na=sendrecv\r\n/);
    // Each way within the plan + 10 %. (The answerer's encoder follows the offer's TIAS more
    // closely than the offerer's follows the answer's: 263-282 against 163-184 kbps.)
    for (const r of [rate.kbps, back.kbps]) {
      expect(r).toBeLessThanOrEqual(300 * 1.1);
      expect(r).toBeGreaterThan(50);
    }
  }, 60000);

  it('lets the sender past 600 kbps under a 1,500 kbps route plan', async () => {
    const { call, rate } = await runCall('/call/hd/sdp', '');
    expect(bandwidthLines(call.sentAnswer)).toEqual([['b=AS:150', 'b=TIAS:150000'], ['b=AS:1350', 'b=TIAS:1350000']]);
    expect(rate.kbps).toBeGreaterThan(600);
    expect(rate.kbps).toBeLessThanOrEqual(1350 * 1.1);
  }, 60000);

  it("leaves the SDP untouched under a 'no' route, whatever the query asks", async () => {
    const { call, rate } = await runCall('/call/free/sdp', '300');
    expect(call.sentOffer).toBe(call.offer);
    expect(call.sentAnswer).toBe(call.answer);
    expect(call.plan).toBeNull();
    // Not held to the 300 kbps (+10 %) the query asked for. The byte-for-byte SDP above is the
    // proof the helper set nothing; this checks the sender agrees. (Unlimited, it sends about
    // 600 kbps: Chromium's own default ceiling for a 320×240 picture.)
    expect(rate.kbps).toBeGreaterThan(300 * 1.1);
  }, 60000);

  it('captures a simulcast offer (fixtures only when KB_CAPTURE_SDP is set)', async () => {
    const sdp = (await page.evaluate(`(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const pc = new RTCPeerConnection();
      pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', sendEncodings: [{ rid: 'h' }, { rid: 'm', scaleResolutionDownBy: 2 }, { rid: 'l', scaleResolutionDownBy: 4 }] });
      pc.createDataChannel('chat');
      const offer = await pc.createOffer();
      pc.close();
      stream.getTracks().forEach((t) => t.stop());
      return offer.sdp;
    })()`)) as string;
    expect(sdp).toMatch(/\r\na=simulcast:send h;m;l\r\n/);
    if (process.env.KB_CAPTURE_SDP) {
      fs.mkdirSync(FIXTURES, { recursive: true });
      fs.writeFileSync(path.join(FIXTURES, 'chromium-simulcast-offer.sdp'), sdp);
    }
  });
});
