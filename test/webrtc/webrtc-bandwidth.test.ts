import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { bandwidth, route, webrtcBandwidth, OptionError, type WebrtcBandwidthOptions, type WebrtcBandwidthState } from '../../lib/index';
import { bandwidthLines, fixture } from './sdp-text';

// One vhost: free users 500 kbps, the VIP header no limit, a rule of 0, /rooms/* 2 Mbps; the rest of the
// requests match no rule (no BT) unless the query (?bw=, kbps) or a route gives a rate.
const config = {
  defaults: { throttling: true, queryString: true, params: { bandwidth: 'bw', ratio: 'r' } },
  vhosts: [{ name: 'a.test', rules: ['$HEADER[x-plan: free], 500', '$HEADER[x-plan: vip], no', '$HEADER[x-plan: zero], 0', '$URL[/rooms/*], 2000'] }],
};
const OFFER = fixture('chromium-offer.sdp');
const ANSWER = fixture('chromium-answer.sdp');

/** A signalling app: each route echoes the description it got, as a relay to the other peer would. */
function signallingApp(opts?: WebrtcBandwidthOptions): { app: Koa; seen: { body: unknown; state: WebrtcBandwidthState }[]; errors: (Error & { code?: string; status?: number })[] } {
  const app = new Koa();
  const seen: { body: unknown; state: WebrtcBandwidthState }[] = [];
  // Collected rather than printed: the tests that expect one look at them.
  const errors: (Error & { code?: string; status?: number })[] = [];
  app.on('error', (err: Error) => errors.push(err));
  app.use(bandwidth({ config }));
  const router = new Router();
  const relay = (ctx: Koa.Context): void => {
    const body = (ctx.request as { body?: unknown }).body;
    seen.push({ body, state: { ...(ctx.state.webrtcBandwidth as WebrtcBandwidthState) } });
    if (typeof body === 'string') {
      ctx.status = 201;
      ctx.type = 'application/sdp';
      ctx.body = body;
    } else ctx.body = body;
  };
  router.post('/call', webrtcBandwidth(opts), relay);
  router.post('/rooms/call', webrtcBandwidth(opts), relay);
  router.post('/hd/call', route({ bandwidth: '1500kbps' }), webrtcBandwidth(opts), relay);
  router.post('/free/call', route({ bandwidth: 'no' }), webrtcBandwidth(opts), relay);
  router.post('/whep', webrtcBandwidth(opts), (ctx) => {
    // A WHEP-style server answers with its own SDP; the client's offer is not echoed.
    ctx.status = 201;
    ctx.type = 'application/sdp';
    ctx.body = ANSWER;
  });
  router.post('/broken', webrtcBandwidth(opts), (ctx) => {
    ctx.body = { type: 'answer', sdp: 'v=0\r\nm=video\r\n' };
  });
  app.use(router.routes());
  return { app, seen, errors };
}

const post = (app: Koa, path: string, body: object | string, headers: Record<string, string> = {}) =>
  request(app.callback())
    .post(path)
    .set('Host', 'a.test')
    .set(headers)
    .type(typeof body === 'string' ? 'application/sdp' : 'application/json')
    .send(body);

describe('webrtcBandwidth()', () => {
  describe('resolves the plan as for any request', () => {
    it.each<[string, string, Record<string, string>, number | null]>([
      ['a throttling.txt rule (header)', '/call', { 'x-plan': 'free' }, 500],
      ['a throttling.txt rule (URL)', '/rooms/call', {}, 2000],
      ['the query string over the rule', '/rooms/call?bw=300', {}, 300],
      ['the query string and ratio', '/call?bw=1000&r=50', {}, 500],
      ['a route override', '/hd/call', {}, 1500],
      ['the query over the route', '/hd/call?bw=300', {}, 300],
      ["a route's no, over the query", '/free/call?bw=300', {}, null],
      ["a rule's no, over the query", '/call?bw=300', { 'x-plan': 'vip' }, null],
      ['no rule, no query: no BT', '/call', {}, null],
    ])('%s', async (_what, path, headers, kbps) => {
      const { app } = signallingApp();
      const res = await post(app, path, { type: 'answer', sdp: ANSWER }, headers).expect(200);
      if (kbps === null) {
        expect(res.body.sdp).toBe(ANSWER);
        expect(res.body.bandwidth).toBeNull();
      } else {
        const audio = kbps / 10;
        expect(bandwidthLines(res.body.sdp)).toEqual([[`b=AS:${audio}`, `b=TIAS:${audio * 1000}`], [`b=AS:${kbps - audio}`, `b=TIAS:${(kbps - audio) * 1000}`]]);
        expect(res.body.bandwidth).toEqual({
          maxBitrate: kbps * 1000,
          sections: [
            { mid: '0', index: 0, kind: 'audio', maxBitrate: audio * 1000, encodings: [{ maxBitrate: audio * 1000 }] },
            { mid: '1', index: 1, kind: 'video', maxBitrate: (kbps - audio) * 1000, encodings: [{ maxBitrate: (kbps - audio) * 1000 }] },
          ],
        });
      }
      expect(res.body.type).toBe('answer');
    });
  });

  it('keeps a zero rate a limit: 1 kbps, never b=AS:0 (which browsers read as none)', async () => {
    const { app } = signallingApp();
    const res = await post(app, '/rooms/call', { type: 'answer', sdp: ANSWER }, { 'x-plan': 'zero' }).expect(200);
    expect(bandwidthLines(res.body.sdp)).toEqual([['b=AS:1', 'b=TIAS:100'], ['b=AS:1', 'b=TIAS:900']]);
    expect(res.body.bandwidth.maxBitrate).toBe(1000);
  });

  it('edits the request body before the handler sees it, and leaves its state for the handler', async () => {
    const { app, seen } = signallingApp();
    await post(app, '/call?bw=300', { type: 'offer', sdp: OFFER, room: 'r1' }).expect(200);
    const { body, state } = seen[0]!;
    expect(body).toMatchObject({ type: 'offer', room: 'r1' });
    expect(bandwidthLines((body as { sdp: string }).sdp)).toEqual([['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]);
    // The request body keeps its own keys: the parameters go to the response only.
    expect(body).not.toHaveProperty('bandwidth');
    expect(state.plan).toEqual({ bitsPerSecond: 300_000, shares: { audio: 1, video: 9 } });
    expect(state.parameters.map((p) => p.maxBitrate)).toEqual([30_000, 270_000]);
  });

  it('edits an application/sdp body both ways (WHIP/WHEP), keeping the status and type', async () => {
    const { app, seen } = signallingApp();
    const res = await post(app, '/call?bw=800', OFFER).expect(201);
    expect(res.type).toBe('application/sdp');
    expect(bandwidthLines(seen[0]!.body as string)).toEqual([['b=AS:80', 'b=TIAS:80000'], ['b=AS:720', 'b=TIAS:720000']]);
    expect(bandwidthLines(res.text)).toEqual([['b=AS:80', 'b=TIAS:80000'], ['b=AS:720', 'b=TIAS:720000']]);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
  });

  it("edits a server's own answer (the response body only)", async () => {
    const { app } = signallingApp();
    const res = await post(app, '/whep?bw=400', OFFER).expect(201);
    expect(bandwidthLines(res.text)).toEqual([['b=AS:40', 'b=TIAS:40000'], ['b=AS:360', 'b=TIAS:360000']]);
  });

  it('leaves an application/sdp body byte for byte under a no plan', async () => {
    const { app } = signallingApp();
    const res = await post(app, '/free/call?bw=300', OFFER).expect(201);
    expect(res.text).toBe(OFFER);
  });

  describe('options', () => {
    it('shares and RTCP lines', async () => {
      const { app } = signallingApp({ shares: { audio: 1, video: 4 }, rtcp: { rs: 0.01, rr: 0.02 } });
      const res = await post(app, '/call?bw=500', { type: 'answer', sdp: ANSWER }).expect(200);
      expect(bandwidthLines(res.body.sdp)).toEqual([
        ['b=AS:100', 'b=TIAS:100000', 'b=RS:1000', 'b=RR:2000'],
        ['b=AS:400', 'b=TIAS:400000', 'b=RS:4000', 'b=RR:8000'],
      ]);
    });

    it('keeps its own copy of the options: changing them afterwards does nothing', async () => {
      const opts = { shares: { audio: 1, video: 4 } };
      const copy = structuredClone(opts);
      const { app } = signallingApp(opts);
      expect(opts).toEqual(copy);
      opts.shares.audio = -5;
      const res = await post(app, '/call?bw=500', { type: 'answer', sdp: ANSWER }).expect(200);
      expect(bandwidthLines(res.body.sdp)).toEqual([['b=AS:100', 'b=TIAS:100000'], ['b=AS:400', 'b=TIAS:400000']]);
    });

    it('field: a key of its own, or none', async () => {
      const named = await post(signallingApp({ field: 'limits' }).app, '/call?bw=500', { type: 'answer', sdp: ANSWER }).expect(200);
      expect(named.body.limits.maxBitrate).toBe(500_000);
      expect(named.body).not.toHaveProperty('bandwidth');
      const none = await post(signallingApp({ field: false }).app, '/call?bw=500', { type: 'answer', sdp: ANSWER }).expect(200);
      expect(Object.keys(none.body).sort()).toEqual(['sdp', 'type']);
      const free = await post(signallingApp({ field: false }).app, '/free/call', { type: 'answer', sdp: ANSWER }).expect(200);
      expect(free.body).toEqual({ type: 'answer', sdp: ANSWER });
    });

    it('readBody: false leaves the request to a body parser', async () => {
      const { app, seen } = signallingApp({ readBody: false });
      await post(app, '/call?bw=500', { type: 'offer', sdp: OFFER }).expect(204);
      expect(seen[0]!.body).toBeUndefined();
    });

    it('uses a body a parser already set', async () => {
      const app = new Koa();
      app.use(bandwidth({ config }));
      app.use(async (ctx, next) => {
        (ctx.request as { body?: unknown }).body = { type: 'offer', sdp: OFFER };
        await next();
      });
      app.use(webrtcBandwidth());
      app.use((ctx) => {
        ctx.body = (ctx.request as { body?: unknown }).body;
      });
      const res = await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').expect(200);
      expect(bandwidthLines(res.body.sdp)).toEqual([['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]);
    });

    it.each<[string, unknown, RegExp]>([
      ['not an object', 'fast', /option `webrtcBandwidth` must be an object/],
      ['an unknown key', { kbps: 300 }, /option `webrtcBandwidth.kbps` must be one of shares, rtcp, field, readBody/],
      ['a negative share', { shares: { video: -1 } }, /option `webrtcBandwidth.shares.video` must be a finite number ≥ 0, got -1/],
      ['an RTCP fraction over 1', { rtcp: { rs: 0.1, rr: 5 } }, /option `webrtcBandwidth.rtcp.rr` must be a fraction from 0 to 1, got 5/],
      ["field 'sdp'", { field: 'sdp' }, /option `webrtcBandwidth.field` must be a non-empty key other than 'sdp', or false/],
      ['field true', { field: true }, /option `webrtcBandwidth.field`/],
      ['readBody "yes"', { readBody: 'yes' }, /option `webrtcBandwidth.readBody` must be a boolean, got "yes"/],
    ])('rejects %s with an OptionError', (_what, opts, message) => {
      let err: unknown;
      try {
        webrtcBandwidth(opts as WebrtcBandwidthOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OptionError);
      expect((err as Error).message).toMatch(message);
    });
  });

  describe('bad input', () => {
    it('answers a malformed SDP with a 400 naming the line, and never calls the handler', async () => {
      const { app, seen } = signallingApp();
      const res = await post(app, '/call?bw=300', { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=video nine RTP/AVP 96\r\n' }).expect(400);
      expect(res.text).toMatch(/malformed SDP at line 3/);
      expect(seen).toHaveLength(0);
    });

    it('lets a malformed SDP through untouched under a no plan (nothing to write)', async () => {
      const { app } = signallingApp();
      const res = await post(app, '/free/call', { type: 'offer', sdp: 'garbage' }).expect(200);
      expect(res.body.sdp).toBe('garbage');
    });

    it.each<[string, string, string]>([
      ['an application/sdp body that is not SDP', 'application/sdp', '<html></html>'],
      ['an application/sdp body with a charset and a bad m= line', 'application/sdp; charset=utf-8', 'v=0\r\nm=video\r\n'],
      ['an SDP over 256 Ki characters', 'application/json', JSON.stringify({ type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(60_000)}` })],
    ])('answers %s with a 400', async (_what, type, body) => {
      const { app, seen } = signallingApp();
      const res = await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').type(type).send(body).expect(400);
      expect(res.text).toMatch(/malformed SDP/);
      expect(seen).toHaveLength(0);
    });

    it('leaves a string that a text body parser set alone (it is not said to be SDP)', async () => {
      const app = new Koa();
      app.use(bandwidth({ config }));
      app.use(async (ctx, next) => {
        (ctx.request as { body?: unknown }).body = OFFER;
        await next();
      });
      app.use(webrtcBandwidth());
      app.use((ctx) => {
        ctx.type = 'text/plain';
        ctx.body = (ctx.request as { body?: unknown }).body;
      });
      const res = await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').type('text/plain').send('x').expect(200);
      expect(res.text).toBe(OFFER);
    });

    it('survives a client that goes away mid-body: the handler never runs, the server still answers', async () => {
      const { app, seen, errors } = signallingApp();
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      try {
        await new Promise((r) => server.once('listening', r));
        const { port } = server.address() as AddressInfo;
        await new Promise<void>((resolve) => {
          const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/call?bw=300', headers: { Host: 'a.test', 'Content-Type': 'application/json', 'Content-Length': '5000' } });
          req.on('error', () => resolve());
          req.write('{"type":"offer","sdp":"v=0', () => setTimeout(() => req.destroy(), 50));
          req.on('close', () => resolve());
        });
        const res = await request(server).post('/call?bw=300').set('Host', 'a.test').send({ type: 'answer', sdp: ANSWER }).expect(200);
        expect(bandwidthLines(res.body.sdp)[1]).toEqual(['b=AS:270', 'b=TIAS:270000']);
        expect(seen).toHaveLength(1);
        // Only the abort itself is reported (as a 400 that could not be sent, or the parser's
        // error for the cut request), nothing from the helper.
        const reported = errors.map((e) => String(e.status ?? e.code ?? e.message));
        expect(reported.length).toBeGreaterThan(0);
        for (const r of reported) expect(r).toMatch(/^(400|HPE_|ECONNRESET|Parse Error)/);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('does not wait for a body that something before it already read', async () => {
      const app = new Koa();
      app.use(bandwidth({ config }));
      app.use(async (ctx, next) => {
        for await (const _chunk of ctx.req) void _chunk; // read, but no ctx.request.body set
        await next();
      });
      app.use(webrtcBandwidth());
      app.use((ctx) => {
        ctx.body = { seen: (ctx.request as { body?: unknown }).body ?? 'nothing' };
      });
      const res = await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').send({ type: 'offer', sdp: OFFER }).timeout(5000).expect(200);
      expect(res.body).toEqual({ seen: 'nothing' });
    });

    it('answers bad JSON with a 400', async () => {
      const { app, seen } = signallingApp();
      await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').type('application/json').send('{"sdp": ').expect(400);
      expect(seen).toHaveLength(0);
    });

    it('answers a body over 512 KiB with a 413, on a connection that stays usable', async () => {
      const { app, seen } = signallingApp();
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      try {
        await new Promise((r) => server.once('listening', r));
        const { port } = server.address() as AddressInfo;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const send = (body: string, length: boolean) =>
          new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
            const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/call?bw=300', agent, headers: { Host: 'a.test', 'Content-Type': 'application/json', ...(length ? {} : { 'Transfer-Encoding': 'chunked' }) } }, (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
            });
            req.on('error', reject);
            req.end(body);
          });
        const big = JSON.stringify({ type: 'offer', sdp: 'v=0\r\n' + 'a=x\r\n'.repeat(120_000) });
        const first = await send(big, false);
        expect(first.status).toBe(413);
        const second = await send(JSON.stringify({ type: 'answer', sdp: ANSWER }), true);
        expect(second.status).toBe(200);
        expect(second.socket).toBe(first.socket);
        expect(seen).toHaveLength(1);
        agent.destroy();
      } finally {
        server.close();
      }
    });

    it('answers a declared Content-Length over the limit with a 413 without waiting for the body', async () => {
      const { app, seen } = signallingApp();
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      try {
        await new Promise((r) => server.once('listening', r));
        const { port } = server.address() as AddressInfo;
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/call?bw=300', headers: { Host: 'a.test', 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) } }, (res) => {
            resolve(res.statusCode ?? 0);
            req.destroy();
          });
          req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
          req.write('{"type":"offer","sdp":"v=0'); // and never the rest
        });
        expect(status).toBe(413);
        expect(seen).toHaveLength(0);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it("fails the request (500) rather than send a half-edited answer the app wrote badly", async () => {
      const { app, errors } = signallingApp();
      const res = await post(app, '/broken?bw=300', { type: 'offer', sdp: OFFER }).expect(500);
      expect(res.text).not.toContain('m=video');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ name: 'SdpError', code: 'ERR_BANDWIDTH_SDP', reason: 'bad-media', line: 2 });
    });

    it('passes other bodies through: a non-description JSON, an array, plain text', async () => {
      const { app } = signallingApp();
      const a = await post(app, '/call?bw=300', { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }).expect(200);
      expect(a.body).toEqual({ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' });
      const b = await post(app, '/call?bw=300', [{ sdp: OFFER }]).expect(200);
      expect(b.body).toEqual([{ sdp: OFFER }]);
      const c = await request(app.callback()).post('/call?bw=300').set('Host', 'a.test').type('text/plain').send(OFFER).expect(204);
      expect(c.text).toBe('');
    });
  });

  it('does nothing on a host outside every vhost', async () => {
    const { app } = signallingApp();
    const res = await request(app.callback()).post('/call?bw=300').set('Host', 'other.test').send({ type: 'offer', sdp: OFFER }).expect(200);
    expect(res.body).toEqual({ type: 'offer', sdp: OFFER, bandwidth: null });
  });
});
