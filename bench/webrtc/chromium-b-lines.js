'use strict';
/* global navigator, RTCPeerConnection -- page.evaluate() runs that function in the browser */
// `node bench/webrtc/chromium-b-lines.js`: how Chromium's sender reads each form of b= line
// in the remote answer of a loopback call (fake camera playing ffmpeg noise, 640×480, so the
// encoder uses what it is allowed). For each form: the encoder's target and the payload
// bitrate measured over 3 s after 6 s of ramp-up. Writes bench/results/webrtc-b-lines.json.
// Needs /usr/bin/chromium (or CHROMIUM=path) and ffmpeg on PATH.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const FORMS = [['b=AS:500'], ['b=TIAS:400000'], ['b=AS:500', 'b=TIAS:200000'], ['b=TIAS:200000', 'b=AS:500'], ['b=AS:0'], []];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-webrtc-'));
  const camera = path.join(dir, 'camera.mjpeg');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-vf', 'noise=alls=25:allf=t+u', '-t', '2', '-q:v', '4', '-f', 'mjpeg', camera]);
  const server = http.createServer((req, res) => res.end('<!doctype html><title>b lines</title>')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${camera}`],
  });
  const results = [];
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    results.push({ browser: browser.version() });
    for (const lines of FORMS) {
      const r = await page.evaluate(async (lines) => {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
        const a = new RTCPeerConnection();
        const b = new RTCPeerConnection();
        a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
        b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
        stream.getTracks().forEach((t) => a.addTrack(t, stream));
        const offer = await a.createOffer();
        await a.setLocalDescription(offer);
        await b.setRemoteDescription(offer);
        const answer = await b.createAnswer();
        await b.setLocalDescription(answer);
        const sdp = answer.sdp.replace(/(m=video[^\r]*\r\nc=[^\r]*\r\n)/, `$1${lines.map((l) => `${l}\r\n`).join('')}`);
        await a.setRemoteDescription({ type: 'answer', sdp });
        const video = async () => {
          let found = null;
          (await a.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') found = s;
          });
          return found;
        };
        await new Promise((r) => setTimeout(r, 6000));
        const s0 = await video();
        await new Promise((r) => setTimeout(r, 3000));
        const s1 = await video();
        a.close();
        b.close();
        stream.getTracks().forEach((t) => t.stop());
        return { targetBitrate: s1.targetBitrate, kbps: Math.round(((s1.bytesSent - s0.bytesSent) * 8) / (s1.timestamp - s0.timestamp)) };
      }, lines);
      results.push({ lines: lines.join(' ') || '(none)', ...r });
      process.stdout.write(`${(lines.join(' ') || '(none)').padEnd(28)} target ${String(r.targetBitrate).padStart(8)} bps, sent ${String(r.kbps).padStart(5)} kbps\n`);
    }
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = path.join(__dirname, '..', 'results', 'webrtc-b-lines.json');
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 1)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
