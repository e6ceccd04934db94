import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cmcd, timedGet } from './serve-hls';
import { segmentedApp } from './segmented-app';

/** A tiny ladder in a temp dir: 4-s segments of 40,000 bytes (80 kbit/s), listed by a playlist. */
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-seg-'));
  fs.mkdirSync(path.join(dir, 'v'));
  const segs = [0, 1, 2, 3].map((i) => `#EXTINF:4.0,\ns${i}.ts`).join('\n');
  fs.writeFileSync(path.join(dir, 'v', 'index.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${segs}\n#EXT-X-ENDLIST\n`);
  for (const i of [0, 1, 2, 3]) fs.writeFileSync(path.join(dir, 'v', `s${i}.ts`), Buffer.alloc(40_000, i));
  // Listed only by a playlist that is served from memory, under another URL.
  fs.mkdirSync(path.join(dir, 'mem'));
  fs.writeFileSync(path.join(dir, 'mem', 'list.txt'), '#EXTM3U\n#EXTINF:4.0,\n../other/a.mp4\n#EXTINF:4.0,\n../other/b.mp4\n');
  fs.mkdirSync(path.join(dir, 'other'));
  for (const n of ['a', 'b']) fs.writeFileSync(path.join(dir, 'other', `${n}.mp4`), Buffer.alloc(20_000, 1));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// 40,000 bytes × 8 ÷ 4 s = 80 kbit/s; × 200 % = 20,000 B/s: a paced segment takes 2 s.
const RULES = '$URL[/v/*], x, 200, 4\n$URL[/other/*], x, 200, 4';

describe('bandwidth() for segmented requests', () => {
  it('records the viewer as the session, with the segment facts', async () => {
    const s = await segmentedApp(dir, RULES);
    try {
      await timedGet(`${s.base}/v/index.m3u8?${cmcd('rec')}`);
      await timedGet(`${s.base}/v/s0.ts?${cmcd('rec')}`);
      const deadline = Date.now() + 2000;
      while (s.records.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(s.records.map((r) => [r.session, r.plan.segment?.kind, r.plan.segment?.viewer, r.plan.segment?.duration, r.plan.segment?.seq, r.plan.segment?.boosted])).toEqual([
        ['v:rec', 'playlist', 'rec', null, null, 0],
        ['v:rec', 'media', 'rec', 4, 0, 1],
      ]);
    } finally {
      await s.close();
    }
  });

  it('learns a playlist served from memory and paces the files it lists', async () => {
    const s = await segmentedApp(dir, RULES);
    try {
      // list.txt is no playlist by name; served as /mem/list.m3u8 from memory it is.
      fs.copyFileSync(path.join(dir, 'mem', 'list.txt'), path.join(dir, 'mem', 'list.m3u8'));
      await timedGet(`${s.base}/mem/list.m3u8?body=buffer&${cmcd('L')}`);
      fs.rmSync(path.join(dir, 'mem', 'list.m3u8'));
      const a = await timedGet(`${s.base}/other/a.mp4?${cmcd('L')}`);
      const b = await timedGet(`${s.base}/other/b.mp4?${cmcd('L')}`);
      // a: 4 s of media, all boost. b: 20,000 B × 8 ÷ 4 s × 200 % = 10,000 B/s: 2 s.
      expect(a.ms).toBeLessThan(250);
      expect(b.ms).toBeGreaterThan(1900);
      expect(b.ms).toBeLessThan(2600);
    } finally {
      await s.close();
    }
  });

  it("groups by IP when the session option says 'ip', and keeps the viewer's boost", async () => {
    const s = await segmentedApp(dir, RULES, { session: 'ip' });
    try {
      await timedGet(`${s.base}/v/s0.ts?${cmcd('ip')}`);
      const deadline = Date.now() + 2000;
      while (s.records.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(s.records[0]?.session).toBe('ip:127.0.0.1');
      expect(s.records[0]?.plan.segment?.viewer).toBe('ip');
    } finally {
      await s.close();
    }
  });

  it('treats segments as plain files with segmented: false (each response its own boost)', async () => {
    const s = await segmentedApp(dir, RULES, { segmented: false });
    try {
      const times: number[] = [];
      for (const i of [0, 1, 2]) times.push((await timedGet(`${s.base}/v/s${i}.ts?${cmcd('off')}`)).ms);
      // The `x` rule falls back to 1000 kbps × 200 %: 4 s of boost is 1 MB, so nothing is paced.
      for (const ms of times) expect(ms).toBeLessThan(250);
      expect(s.records.every((r) => r.plan.segment === undefined)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('reads the viewer from a configured param', async () => {
    const s = await segmentedApp(dir, RULES, { viewer: { param: 'token' } });
    try {
      await timedGet(`${s.base}/v/s0.ts?token=T1`);
      await timedGet(`${s.base}/v/s1.ts?token=T1`);
      const t2 = await timedGet(`${s.base}/v/s2.ts?token=T1`);
      const other = await timedGet(`${s.base}/v/s2.ts?token=T2`);
      expect(t2.ms).toBeGreaterThan(1900);
      expect(other.ms).toBeLessThan(250); // T2's first segment: its own boost
    } finally {
      await s.close();
    }
  }, 15_000);
});

describe('bandwidth() for segmented requests that carry no media', () => {
  it('does not count a 404 or a HEAD in the viewer\'s boost', async () => {
    const s = await segmentedApp(dir, RULES);
    try {
      expect((await timedGet(`${s.base}/v/missing.ts?${cmcd('nf')}`)).status).toBe(404);
      await fetch(`${s.base}/v/s1.ts?${cmcd('nf')}`, { method: 'HEAD' });
      expect(s.bw.runtime.segmented!.viewers.size).toBe(0);
      // s0 uses the whole 4 s boost, so s1 is paced. Had the 404 counted as a segment (of
      // unknown length) before s0, s1 would still be inside the boost.
      expect((await timedGet(`${s.base}/v/s0.ts?${cmcd('nf')}`)).ms).toBeLessThan(250);
      const t1 = await timedGet(`${s.base}/v/s1.ts?${cmcd('nf')}`);
      expect(t1.ms).toBeGreaterThan(1900);
      expect(s.bw.runtime.segmented!.viewers.size).toBe(1);
    } finally {
      await s.close();
    }
  }, 15_000);
});

describe('bandwidth() and .mp4 files', () => {
  it('learns an init.mp4 from the playlist file it serves, and leaves other .mp4s progressive', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-init-'));
    fs.mkdirSync(path.join(d, 'v'));
    fs.writeFileSync(path.join(d, 'v', 'index.m3u8'), '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\ns0.m4s\n');
    fs.writeFileSync(path.join(d, 'v', 'init.mp4'), Buffer.alloc(800, 1));
    fs.writeFileSync(path.join(d, 'movie.mp4'), Buffer.alloc(800, 1));
    const s = await segmentedApp(d, '$URL[*], x, 200, 4');
    try {
      await timedGet(`${s.base}/movie.mp4?${cmcd('m')}`);
      await timedGet(`${s.base}/v/index.m3u8?${cmcd('m')}`);
      await timedGet(`${s.base}/v/init.mp4?${cmcd('m')}`);
      const deadline = Date.now() + 2000;
      while (s.records.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(s.records.map((r) => [r.url.split('?')[0], r.plan.segment?.kind ?? null, r.session.startsWith('v:')])).toEqual([
        ['/movie.mp4', null, false],
        ['/v/index.m3u8', 'playlist', true],
        ['/v/init.mp4', 'init', true],
      ]);
    } finally {
      await s.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
