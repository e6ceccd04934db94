import path from 'node:path';
import request from 'supertest';
import { echoApp } from './app';

const conf = path.join(__dirname, '..', 'fixtures', 'conf', 'valid');
const kbps = (bytes: number | null): number | null => (bytes === null ? null : Math.round((bytes * 8) / 1000 * 1e6) / 1e6);

describe('the chapter examples through HTTP', () => {
  const { app, bw } = echoApp({ conf, watch: false });
  const server = app.callback();
  afterAll(() => bw.close());

  const get = (url: string, host: string, headers: Record<string, string> = {}) => {
    let r = request(server).get(url).set('Host', host);
    for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
    return r.expect(200).then((res) => {
      // Vhosts that do not read BT params pass the URL through untouched.
      if (host !== 'www.winesoft.co.kr') expect(res.body.url).toBe(url);
      return res.body;
    });
  };

  describe('throttling.txt (www.example.com)', () => {
    it('$IP[192.168.1.1], 2000, 150, 3', async () => {
      const body = await get('/a.mp4', 'www.example.com', { 'X-Forwarded-For': '192.168.1.1', Referer: 'r' });
      expect(body.plan).toMatchObject({ vhost: 'www.example.com', throttle: true, rule: { line: 5 }, ratio: 150, boostSeconds: 3 });
      expect(kbps(body.plan.rate)).toBe(3000);
    });

    it('!HEADER[referer], 800', async () => {
      const body = await get('/a.mp4', 'www.example.com');
      expect(body.plan).toMatchObject({ throttle: true, rule: { line: 8 }, boostSeconds: 5 });
      expect(kbps(body.plan.rate)).toBe(800);
    });

    it('HEADER[cookie], , , 10', async () => {
      const body = await get('/a.mp4', 'www.example.com', { Referer: 'r', Cookie: 'a=1' });
      expect(body.plan).toMatchObject({ throttle: true, rule: { line: 11 }, boostSeconds: 10 });
      expect(kbps(body.plan.rate)).toBe(1000);
    });

    it('$URL[*.m4a], no', async () => {
      const body = await get('/music/a.m4a', 'www.example.com', { Referer: 'r' });
      expect(body.plan).toMatchObject({ throttle: false, rule: { line: 14 }, rate: null });
    });

    it('reaches the vhost through an alias and a pattern alias', async () => {
      expect((await get('/a.mp4', 'example.com:8080')).plan.vhost).toBe('www.example.com');
      expect((await get('/a.mp4', 'x.cdn.example.com')).plan.vhost).toBe('www.example.com');
    });
  });

  describe('x lines (vod.example.com), nothing probed', () => {
    it('$URL[/vod/*.mp4], 1000x, 120, 5', async () => {
      const body = await get('/vod/movie.mp4', 'vod.example.com', { 'User-Agent': 'ua' });
      expect(body.plan).toMatchObject({ dynamic: true, ratio: 120, boostSeconds: 5, sessionCap: 250_000, trafficCap: 6_250_000 });
      expect(kbps(body.plan.rate)).toBe(1200);
    });

    it('matches URLs without case (CaseSensitive OFF)', async () => {
      const body = await get('/VOD/Movie.MP4', 'vod.example.com', { 'User-Agent': 'ua' });
      expect(body.plan).toMatchObject({ dynamic: true, rule: { line: 2 } });
    });

    it('!HEADER[user-agent], 500x', async () => {
      const body = await request(server).get('/clip.mp4').set('Host', 'vod.example.com').unset('User-Agent').expect(200).then((r) => r.body);
      expect(body.plan).toMatchObject({ dynamic: true, rule: { line: 5 } });
      expect(kbps(body.plan.rate)).toBe(500);
    });

    it('$URL[/low_quality/*], x, 200', async () => {
      const body = await get('/low_quality/a.mp4', 'vod.example.com', { 'User-Agent': 'ua' });
      expect(body.plan).toMatchObject({ dynamic: true, ratio: 200, rule: { line: 8 } });
      expect(kbps(body.plan.rate)).toBe(2000);
    });
  });

  describe('QueryString (www.winesoft.co.kr)', () => {
    it('/video/sample.wmv?myboost=10&mybandwidth=1&myratio=130 → 1.3 Mbps after 10 s', async () => {
      const body = await get('/video/sample.wmv?myboost=10&mybandwidth=1&myratio=130', 'www.winesoft.co.kr');
      expect(body.plan).toMatchObject({ throttle: true, ratio: 130, boostSeconds: 10 });
      expect(kbps(body.plan.rate)).toBe(1300);
      expect(body.url).toBe('/video/sample.wmv');
    });

    it('/video/sample.wmv?myratio=150 → the rest from <Settings>', async () => {
      const body = await get('/video/sample.wmv?myratio=150', 'www.winesoft.co.kr');
      expect(body.plan).toMatchObject({ throttle: true, ratio: 150, boostSeconds: 3 });
      expect(kbps(body.plan.rate)).toBe(3000);
    });
  });

  describe('stripping the BT params from what downstream sees', () => {
    it('GET /video.mp4?mybandwidth=2000&myratio=130&myboost=10 → /video.mp4', async () => {
      const body = await get('/video.mp4?mybandwidth=2000&myratio=130&myboost=10', 'www.winesoft.co.kr');
      expect(body).toMatchObject({ url: '/video.mp4', querystring: '', query: {}, originalUrl: '/video.mp4?mybandwidth=2000&myratio=130&myboost=10' });
    });

    it('GET /video.mp4?tag=3277&myboost=10&date=20130726 → /video.mp4?tag=3277&date=20130726', async () => {
      const body = await get('/video.mp4?tag=3277&myboost=10&date=20130726', 'www.winesoft.co.kr');
      expect(body).toMatchObject({ url: '/video.mp4?tag=3277&date=20130726', query: { tag: '3277', date: '20130726' } });
      expect(body.plan.boostSeconds).toBe(10);
    });

    it('leaves the params of a vhost that does not read them', async () => {
      const body = await get('/video.mp4?myboost=10', 'www.example.com');
      expect(body.url).toBe('/video.mp4?myboost=10');
    });
  });

  describe('hosts', () => {
    it('sends unknown hosts to <Default>', async () => {
      expect((await get('/a.mp4', 'nobody.test')).plan.vhost).toBe('www.example.com');
    });

    it('survives garbage Host headers', async () => {
      for (const host of ['[::1', '[::1]:8080', 'a b', ':::', 'x'.repeat(500)]) {
        const body = await get('/a.mp4', host);
        expect(body.plan.vhost).toBe('www.example.com');
      }
    });
  });
});
