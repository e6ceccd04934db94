import path from 'node:path';
import { serveCommand } from '../../lib/cli/serve';
import { freePort } from '../helpers/system';
import { waitFor } from '../observe/http-client';

const ROOT = path.join(__dirname, '..', '..');
const CONF = path.join(ROOT, 'example-app', 'conf');
const MEDIA = path.join(ROOT, 'example-app', 'media');

function capture(signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, ...(signal ? { signal } : {}) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('koa-bandwidth serve', () => {
  describe('with bad flags', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no --conf', ['--media', MEDIA], /--conf and --media are required/],
      ['no --media', ['--conf', CONF], /--conf and --media are required/],
      ['an unknown flag', ['--conf', CONF, '--media', MEDIA, '--bogus'], /Unknown option '--bogus'/],
      ['a positional argument', ['--conf', CONF, '--media', MEDIA, 'extra'], /positional/],
      ['a port that is not a number', ['--conf', CONF, '--media', MEDIA, '--port', 'http'], /--port must be an integer from 0 to 65535, got "http"/],
      ['a port out of range', ['--conf', CONF, '--media', MEDIA, '--port', '70000'], /--port must be an integer/],
      ['a negative port', ['--conf', CONF, '--media', MEDIA, '--port=-1'], /--port must be an integer/],
      ['a missing conf dir', ['--conf', path.join(ROOT, 'test', 'example', 'no-such-conf'), '--media', MEDIA], /--conf .*no-such-conf: no such directory/],
      ['a --media that does not exist', ['--conf', CONF, '--media', path.join(ROOT, 'nope')], /--media .*nope: no such directory/],
      ['a --media that is a file', ['--conf', CONF, '--media', path.join(MEDIA, 'sample.mp3')], /--media .*sample\.mp3: not a directory/],
    ];
    it.each(cases)('exits 2 for %s, saying why and how to call it', async (_what, argv, message) => {
      const c = capture();
      expect(await serveCommand(argv, c.io)).toBe(2);
      expect(c.err()).toMatch(message);
      expect(c.out()).toBe('');
    });
  });

  it('prints the usage for --help and exits 0, writing to the CLI (text) => void outputs', async () => {
    const out: string[] = [];
    expect(await serveCommand(['--help'], { stdout: (t) => void out.push(t), stderr: () => undefined })).toBe(0);
    expect(out.join('')).toContain('koa-bandwidth serve --conf DIR --media DIR [--port 8080] [--host 127.0.0.1] [--redis URL]');
  });

  it('exits 1 with the config errors when the config directory is not valid', async () => {
    const c = capture();
    const code = await serveCommand(['--conf', path.join(ROOT, 'test', 'fixtures', 'conf', 'many'), '--media', MEDIA, '--port', '0'], c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(/koa-bandwidth serve: /);
    expect(c.out()).not.toMatch(/listening/);
  });

  it('exits 1 when the port is taken', async () => {
    const ac = new AbortController();
    const first = capture(ac.signal);
    const port = await freePort();
    const running = serveCommand(['--conf', CONF, '--media', MEDIA, '--port', String(port)], first.io);
    await waitFor(() => first.out().includes('listening'));
    const second = capture();
    expect(await serveCommand(['--conf', CONF, '--media', MEDIA, '--port', String(port)], second.io)).toBe(1);
    expect(second.err()).toMatch(/EADDRINUSE/);
    ac.abort();
    expect(await running).toBe(0);
  });

  describe('when it starts', () => {
    it('prints the URL, serves the page and media, and stops cleanly on SIGTERM', async () => {
      const port = await freePort();
      const c = capture();
      const running = serveCommand(['--conf', CONF, '--media', MEDIA, '--port', String(port), '--host', '127.0.0.1'], c.io);
      await waitFor(() => c.out().includes('listening'));
      expect(c.out()).toContain(`listening on http://127.0.0.1:${port}/`);

      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<canvas id="chart"');
      const mp3 = await fetch(`http://127.0.0.1:${port}/api/media/sample.mp3`, { headers: { Range: 'bytes=0-9' } });
      expect(mp3.status).toBe(206);
      expect((await mp3.arrayBuffer()).byteLength).toBe(10);
      // An open event stream must not keep the server from shutting down.
      const events = await fetch(`http://127.0.0.1:${port}/_bandwidth/events`);
      expect(events.status).toBe(200);

      const t0 = Date.now();
      process.emit('SIGTERM');
      expect(await running).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(c.out()).toContain('shutting down');
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
      expect(process.listenerCount('SIGTERM')).toBe(0);
    });
  });
});

