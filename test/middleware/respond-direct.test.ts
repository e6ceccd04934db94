import http from 'node:http';
import type { AddressInfo } from 'node:net';
import stream, { Readable } from 'node:stream';
import Koa from 'koa';
import { bandwidth } from '../../lib/index';

// A metered body that writes straight to its socket is started by the getter on ctx.respond
// (lib/respond-direct.ts), not by Koa 3's stream.pipeline; anything unusual falls back to Koa.

const BODY = Buffer.alloc(50_000, 7);

function get(port: number, method = 'GET'): Promise<{ status: number; body: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const req = http.request({ host: '127.0.0.1', port, path: '/f', method, agent: false }, (res) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), error }));
    });
    req.on('error', (error) => resolve({ status: 0, body: Buffer.concat(chunks), error }));
    req.end();
  });
}

async function serve(setup: (app: Koa) => void): Promise<{ port: number; close: () => Promise<void>; app: Koa; bw: ReturnType<typeof bandwidth> }> {
  const app = new Koa();
  // 4 Mbit/s: 50 kB in about 0.1 s, metered all the same.
  const bw = bandwidth({ rate: '4mbps' });
  setup(app);
  app.use(bw);
  app.use((ctx) => {
    ctx.body = BODY;
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    app,
    bw,
    close: async () => {
      await new Promise((r) => server.close(r));
      await bw.close();
    },
  };
}

/** Runs `fn` against a fresh server set up by `setup`, and closes it after. */
async function withServer(setup: (app: Koa) => void, fn: (port: number) => Promise<void>): Promise<void> {
  const s = await serve(setup);
  try {
    await fn(s.port);
  } finally {
    await s.close();
  }
}

describe('a metered HTTP/1.1 body is started without Koa\'s stream.pipeline', () => {
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(stream, 'pipeline');
  });
  afterEach(() => spy.mockRestore());

  it('sends the whole body, and pipeline is not called', async () => {
    await withServer(() => {}, async (port) => {
      const r = await get(port);
      expect(r.status).toBe(200);
      expect(r.body.equals(BODY)).toBe(true);
      expect(spy).not.toHaveBeenCalled();
    });
  });

  it('behind an outer middleware that post-processes after next(): its header is sent', async () => {
    await withServer(
      (app) =>
        app.use(async (ctx, next) => {
          await next();
          ctx.set('X-After', 'yes');
        }),
      async (port) => {
        const r = await new Promise<http.IncomingMessage>((resolve) => http.get({ host: '127.0.0.1', port, path: '/f', agent: false }, resolve));
        expect(r.headers['x-after']).toBe('yes');
        r.resume();
        await new Promise((resolve) => r.on('end', resolve));
        expect(spy).not.toHaveBeenCalled();
      },
    );
  });

  it('an outer middleware that replaces the body after next(): Koa sends the new one', async () => {
    await withServer(
      (app) =>
        app.use(async (ctx, next) => {
          await next();
          ctx.body = 'replaced';
        }),
      async (port) => {
        const r = await get(port);
        expect(r.body.toString()).toBe('replaced');
      },
    );
  });

  it('an outer middleware that takes the response over (ctx.respond = false) keeps it', async () => {
    await withServer(
      (app) =>
        app.use(async (ctx, next) => {
          await next();
          ctx.respond = false;
          ctx.res.writeHead(202, { 'content-type': 'text/plain' });
          ctx.res.end('mine');
        }),
      async (port) => {
        const r = await get(port);
        expect(r.status).toBe(202);
        expect(r.body.toString()).toBe('mine');
      },
    );
  });

  it('HEAD is answered by Koa, with no body', async () => {
    await withServer(() => {}, async (port) => {
      const r = await get(port, 'HEAD');
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(0);
    });
  });

  it('a body that fails midway reaches the app\'s error event and ends the connection', async () => {
    const app = new Koa();
    const bw = bandwidth({ rate: '4mbps' });
    app.use(bw);
    app.use((ctx) => {
      let sent = 0;
      ctx.body = new Readable({
        read() {
          if (sent >= 20_000) {
            this.destroy(new Error('disk gone'));
            return;
          }
          sent += 10_000;
          this.push(Buffer.alloc(10_000, 1));
        },
      });
      ctx.length = BODY.length;
    });
    const errors: Error[] = [];
    app.on('error', (err: Error) => errors.push(err));
    const server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await get((server.address() as AddressInfo).port);
      expect(r.body.length).toBeLessThan(BODY.length);
      expect(errors.map((e) => e.message)).toContain('disk gone');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      await new Promise((r) => server.close(r));
      await bw.close();
    }
  });
});
