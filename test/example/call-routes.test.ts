import path from 'node:path';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import { bandwidthLines, fixture } from '../webrtc/sdp-text';

// The call page's signalling routes, without a browser: what the page posts and gets back.
const ROOT = path.join(__dirname, '..', '..');
const OFFER = fixture('chromium-offer.sdp');

describe('the example call routes', () => {
  let example: ExampleApp;
  beforeAll(() => {
    example = createExampleApp({ conf: path.join(ROOT, 'example-app', 'conf'), media: path.join(ROOT, 'example-app', 'media') });
  });
  afterAll(() => example.close());

  const post = (url: string, body: object) => request(example.app.callback()).post(url).set('Host', 'localhost').set('User-Agent', 'test').send(body);

  it.each<[string, string, string[][] | null]>([
    ['/call/sdp with ?mybandwidth=300: the query', '/call/sdp?mybandwidth=300', [['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]],
    ['/call/sdp without a query: no rule matches, no plan', '/call/sdp', null],
    ['/call/hd/sdp: the route (1,500 kbps)', '/call/hd/sdp', [['b=AS:150', 'b=TIAS:150000'], ['b=AS:1350', 'b=TIAS:1350000']]],
    ['/call/hd/sdp?mybandwidth=500: the query over the route', '/call/hd/sdp?mybandwidth=500', [['b=AS:50', 'b=TIAS:50000'], ['b=AS:450', 'b=TIAS:450000']]],
    ["/call/free/sdp?mybandwidth=300: the route's no", '/call/free/sdp?mybandwidth=300', null],
  ])('%s', async (_what, url, lines) => {
    const res = await post(url, { type: 'offer', sdp: OFFER }).expect(200);
    expect(res.body.type).toBe('offer');
    if (lines === null) {
      expect(res.body.sdp).toBe(OFFER);
      expect(res.body.bandwidth).toBeNull();
    } else {
      expect(bandwidthLines(res.body.sdp)).toEqual(lines);
      expect(res.body.bandwidth.sections.map((s: { maxBitrate: number }) => s.maxBitrate / 1000)).toEqual(lines.map((l) => Number(l[1]!.slice('b=TIAS:'.length)) / 1000));
    }
  });

  it('refuses what is not a description', async () => {
    await post('/call/sdp?mybandwidth=300', { type: 'pranswer', sdp: OFFER }).expect(400);
    await post('/call/sdp?mybandwidth=300', { type: 'offer', sdp: 'v=0\r\nm=video\r\n' }).expect(400);
  });

  it('serves the call page', async () => {
    const res = await request(example.app.callback()).get('/_ui/call.html').set('Host', 'localhost').expect(200);
    expect(res.text).toContain('<script src="/_ui/call.js"></script>');
    const index = await request(example.app.callback()).get('/').set('Host', 'localhost').expect(200);
    expect(index.text).toContain('href="/_ui/call.html"');
  });
});
