import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// The README's examples marked `<!-- readme-test: NAME -->` are run as written, in a fresh
// Node process, on the built package (`npm test` builds first). The only change is where
// they listen: a preload turns `listen(8080)` into a free port and prints it.
const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The code block right after `<!-- readme-test: name -->`. */
export function readmeBlock(name: string): string {
  const m = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`(?:js|ts)\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!m) throw new Error(`README.md has no block marked <!-- readme-test: ${name} -->`);
  return m[1] as string;
}

const PRELOAD = `
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] === 8080) args[0] = 0;
  this.once('listening', () => process.stdout.write('LISTENING ' + this.address().port + '\\n'));
  return listen.apply(this, args);
};
`;

let work: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  // A directory like an app's: node_modules links to this package and to the examples' deps.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-readme-'));
  const nm = path.join(work, 'node_modules');
  fs.mkdirSync(path.join(nm, '@koa'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(nm, 'koa-bandwidth'), 'dir');
  for (const dep of ['koa', 'koa-send', '@koa/router']) fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(nm, dep), 'dir');
  fs.writeFileSync(path.join(work, 'preload.cjs'), PRELOAD);
  fs.mkdirSync(path.join(work, 'media'));
  fs.writeFileSync(path.join(work, 'media', 'two-mb.bin'), Buffer.alloc(2_000_000, 7));
  fs.writeFileSync(path.join(work, 'media', 'clip.bin'), Buffer.alloc(800_000, 1));
  fs.writeFileSync(path.join(work, 'media', 'song.m4a'), Buffer.alloc(800_000, 2));
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
});

/** Start a README block; resolves with its port once it listens. */
function start(name: string): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const file = path.join(work, `${name}.mjs`);
  fs.writeFileSync(file, readmeBlock(name));
  const child = spawn(process.execPath, ['-r', './preload.cjs', file], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), child, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`README block ${name} exited ${code}: ${err}`)));
  });
}

/** Download `urlPath`; resolves with the bytes and seconds taken. */
function download(port: number, urlPath: string, host = 'localhost'): Promise<{ bytes: number; seconds: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { host } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ bytes, seconds: (performance.now() - t0) / 1000, status: res.statusCode ?? 0 }));
      })
      .on('error', reject);
  });
}

describe('the README examples, run as written', () => {
  it('has a test below for every block marked in README.md', () => {
    const marked = [...README.matchAll(/<!-- readme-test: ([\w-]+) -->/g)].map((m) => m[1]);
    expect(marked).toEqual(['one-line', 'plain-config']);
  });

  it('one-line start: 5 s of boost, then 2 Mbit/s, for every response', async () => {
    // 2 MB: the 5 s boost at 2 Mbit/s is 1.25 MB, sent at once; the other 0.75 MB take 3 s.
    const { port, stderr } = await start('one-line');
    const r = await download(port, '/two-mb.bin');
    expect(r).toMatchObject({ status: 200, bytes: 2_000_000 });
    expect(r.seconds).toBeGreaterThan(2.4);
    expect(r.seconds).toBeLessThan(9);
    expect(stderr()).toBe('');
  }, 20000);

  it('one-line start: a client abort prints nothing (the Koa 3 abort filter)', async () => {
    const { port, stderr } = await start('one-line');
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/two-mb.bin' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(stderr()).toBe('');
  }, 20000);

  it('plain config with rules: throttles by the rules, with no <Throttling> written', async () => {
    // '*, 800kbps, 100, 5s': 500 kB of boost at once, then 300 kB at 100 kB/s: 3 s.
    const { port, stderr } = await start('plain-config');
    const [throttled, free] = await Promise.all([download(port, '/clip.bin', 'anything.test'), download(port, '/song.m4a', 'media.example.com')]);
    expect(throttled).toMatchObject({ status: 200, bytes: 800_000 });
    expect(throttled.seconds).toBeGreaterThan(2.4);
    expect(throttled.seconds).toBeLessThan(9);
    // '$URL[*.m4a], no': only the 4 Mbit/s session cap applies: 800 kB in 1.6 s, where the
    // 800 kbps rule would take 3 s.
    expect(free).toMatchObject({ status: 200, bytes: 800_000 });
    expect(free.seconds).toBeGreaterThan(1.3);
    expect(free.seconds).toBeLessThan(2.9);
    expect(stderr()).toBe('');
  }, 20000);
});
