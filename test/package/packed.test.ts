import { spawnSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The package as a Koa user gets it: `npm pack`, then installed into a fresh app with
// `npm ci --offline` from the local npm cache (no registry), first with Koa alone and then
// with the tarball, so the packages it adds are counted. The apps' lock files are taken from
// this repository's lock (npm's own resolution of the same ranges), and `npm ls --all` checks
// every edge of the installed trees. Needs the build (`npm test` builds first) and a cache
// that holds the tarballs, as any machine that ran `npm install` here has.
const ROOT = path.join(__dirname, '..', '..');
const LOCK = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** The lock entries `names` need, found as Node resolves them, with their dependencies. */
function closure(names: string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const visit = (name: string, from: string): void => {
    // Node's lookup: from/node_modules/name, then each parent's node_modules.
    let dir = from;
    for (;;) {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = LOCK.packages[key];
      if (entry) {
        if (out[key]) return;
        const { dev: _d, devOptional: _o, peer: _p, optional: _x, ...rest } = entry;
        out[key] = rest;
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, key);
        return;
      }
      if (!dir) throw new Error(`${name} (needed from ${from || 'the root'}) is not in package-lock.json`);
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  for (const n of names) visit(n, '');
  return out;
}

let work: string;
let tarball: string;
let tarballFiles: string[];
const run = (cmd: string, args: string[], cwd: string, timeout = 120000) => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout });

/** Write an app (package.json + lock) with these dependencies and install it offline. */
function install(dir: string, deps: Record<string, string>, entries: Record<string, LockEntry>): string[] {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  const lock = { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0', dependencies: deps }, ...entries } };
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const r = run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], dir);
  if (r.status !== 0) throw new Error(`npm ci --offline failed in ${dir} (ENOTCACHED means the npm cache lacks a tarball of this repository's lock: run \`npm install\` here once, online):\n${r.stderr}`);
  const ls = run('npm', ['ls', '--all', '--parseable', '--offline'], dir);
  if (ls.status !== 0) throw new Error(`npm ls --all: the installed tree has missing or invalid dependencies:\n${ls.stderr}`);
  return ls.stdout.trim().split('\n').slice(1).map((p) => path.relative(path.join(dir, 'node_modules'), p)).sort();
}

const koaVersion = (LOCK.packages['node_modules/koa'] as LockEntry).version as string;
let bare: string[];
let withUs: string[];
let app: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-packed-'));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const info = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  tarball = path.join(work, info.filename);
  tarballFiles = info.files.map((f) => f.path).sort();

  const ours: LockEntry = {
    version: PKG.version,
    resolved: `file:../${info.filename}`,
    integrity: `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`,
    dependencies: PKG.dependencies,
  };
  bare = install(path.join(work, 'bare'), { koa: koaVersion }, closure(['koa']));
  app = path.join(work, 'app');
  const deps = { koa: koaVersion, 'koa-bandwidth': `file:../${info.filename}` };
  withUs = install(app, deps, { ...closure(['koa', ...Object.keys(PKG.dependencies)]), 'node_modules/koa-bandwidth': ours });
}, 240000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into a fresh Koa app', () => {
  it('ships the build, LICENSE and the example, without source maps or the example\'s .d.ts', () => {
    expect(tarballFiles).toEqual(expect.arrayContaining(['LICENSE', 'package.json', 'README.md', 'dist/lib/index.js', 'dist/lib/index.mjs', 'dist/lib/index.d.ts', 'dist/lib/internals.js', 'dist/example-app/server.js', 'example-app/public/index.html', 'bin/koa-bandwidth.js']));
    expect(tarballFiles.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(tarballFiles.filter((f) => f.startsWith('dist/example-app/') && !f.endsWith('.js'))).toEqual([]);
    expect(tarballFiles.filter((f) => f.startsWith('lib/') || f.startsWith('test/'))).toEqual([]);
    // No file points at a source map (or at sources) that is not shipped.
    const installed = path.join(app, 'node_modules', 'koa-bandwidth');
    const mapped = tarballFiles.filter((f) => /\.(c|m)?js$|\.d\.ts$/.test(f) && /sourceMappingURL/.test(fs.readFileSync(path.join(installed, f), 'utf8')));
    expect(mapped).toEqual([]);
  });

  it('adds at most 3 packages to a bare Koa app: itself, fast-xml-parser and strnum', () => {
    const added = withUs.filter((p) => !bare.includes(p));
    expect(added).toEqual(['fast-xml-parser', 'koa-bandwidth', 'strnum']);
    expect(bare.length).toBeGreaterThan(10); // Koa's own, for scale
    expect(withUs.filter((p) => /prom-client|redis|@koa\/router|koa-send/.test(p))).toEqual([]);
  });

  it('throttles a download, loaded with require() and with import', async () => {
    // 250 kB at 800 kbps (100 kB/s) with no boost: 2.5 s.
    const serve = (name: string, head: string): Promise<number> => {
      const file = path.join(app, name);
      fs.writeFileSync(file, `${head}
const app = new Koa();
app.use(bandwidth({ rate: '800kbps' }));
app.use((ctx) => { ctx.body = Buffer.alloc(250000, 1); });
const server = app.listen(0, '127.0.0.1', async () => {
  const t0 = performance.now();
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/');
  const body = Buffer.from(await res.arrayBuffer());
  console.log(JSON.stringify({ status: res.status, bytes: body.length, seconds: (performance.now() - t0) / 1000 }));
  server.close();
});
`);
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [file], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => {
          try {
            const r = JSON.parse(out) as { status: number; bytes: number; seconds: number };
            expect(err).toBe('');
            expect(code).toBe(0);
            expect(r).toMatchObject({ status: 200, bytes: 250000 });
            resolve(r.seconds);
          } catch (e) {
            reject(new Error(`${name}: ${(e as Error).message}\n${out}\n${err}`));
          }
        });
      });
    };
    const [cjs, esm] = await Promise.all([
      serve('app.cjs', "const Koa = require('koa');\nconst { bandwidth } = require('koa-bandwidth');"),
      serve('app.mjs', "import Koa from 'koa';\nimport { bandwidth } from 'koa-bandwidth';"),
    ]);
    for (const seconds of [cjs, esm]) {
      expect(seconds).toBeGreaterThan(2.0);
      expect(seconds).toBeLessThan(7.5);
    }
  }, 30000);

  it('type-checks a strict TypeScript app with skipLibCheck: false and no prom-client', () => {
    // The typings an app brings for Koa and Node, installed offline the same way.
    const ts = path.join(work, 'ts');
    install(ts, { koa: koaVersion, '@types/koa': (LOCK.packages['node_modules/@types/koa'] as LockEntry).version as string, '@types/node': (LOCK.packages['node_modules/@types/node'] as LockEntry).version as string }, closure(['koa', '@types/koa', '@types/node']));
    fs.cpSync(path.join(app, 'node_modules', 'koa-bandwidth'), path.join(ts, 'node_modules', 'koa-bandwidth'), { recursive: true });
    fs.cpSync(path.join(app, 'node_modules', 'fast-xml-parser'), path.join(ts, 'node_modules', 'fast-xml-parser'), { recursive: true });
    expect(fs.existsSync(path.join(ts, 'node_modules', 'prom-client'))).toBe(false);
    fs.writeFileSync(path.join(ts, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', types: ['node'], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true }, files: ['app.ts', 'app.mts'] }));
    fs.writeFileSync(path.join(ts, 'app.ts'), `import Koa from 'koa';
import { bandwidth, route, statsEndpoints, type ResponseRecord, type Rate } from 'koa-bandwidth';
import { resolvePlan } from 'koa-bandwidth/internals';

const app = new Koa();
const bw = bandwidth({ rate: '2mbps', boost: '5s', sessionCap: '4mbps', trafficCap: 50_000_000 });
bw.on('response', (r) => { const n: number = r.bytes; const k: ResponseRecord = r; void n; void k; });
bw.events.on('warning', (w) => { const code: string = w.code; void code; });
// @ts-expect-error: no such event
bw.on('respnse', () => {});
const ok: Rate[] = ['500kbps', '64KiB/s', 1000, '1.5 Mbps'];
route({ bandwidth: 'x', ratio: '120%', boost: '500ms' });
route({ bandwidth: '4000x' });
route({ bandwidth: 'no' });
// @ts-expect-error: not an amount
route({ bandwidth: 'fast' });
// @ts-expect-error: a bare string needs a unit
bandwidth({ rate: '2' });
app.use(statsEndpoints(bw));
app.use(bw);
app.use((ctx) => { ctx.body = ctx.bandwidth?.plan.rate ?? null; });
void ok; void resolvePlan;
`);
    // The same from an ES module, and with the older node10 resolution (typesVersions).
    fs.writeFileSync(path.join(ts, 'app.mts'), `import Koa from 'koa';
import { bandwidth, route, type BandwidthMiddleware } from 'koa-bandwidth';
import { TokenBucket } from 'koa-bandwidth/internals';
const bw: BandwidthMiddleware = bandwidth({ rate: '500kbps' });
new Koa().use(bw).use(route({ bandwidth: '400kbps' }));
void TokenBucket;
`);
    fs.writeFileSync(path.join(ts, 'tsconfig.node10.json'), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'commonjs', moduleResolution: 'node10', target: 'ES2022', types: ['node'], esModuleInterop: true, ignoreDeprecations: '6.0' }, files: ['app.ts'] }));
    const node10 = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ts, 'tsconfig.node10.json')], ts);
    expect(node10.stdout + node10.stderr).toBe('');
    const tsc = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ts], ts);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 300000);

  it('serves the example from the installed package once its peers are installed, listing --media', async () => {
    const served = path.join(work, 'served');
    const peers = { '@koa/router': (LOCK.packages['node_modules/@koa/router'] as LockEntry).version as string, 'koa-send': (LOCK.packages['node_modules/koa-send'] as LockEntry).version as string };
    const ours = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8')).packages['node_modules/koa-bandwidth'] as LockEntry;
    install(served, { koa: koaVersion, 'koa-bandwidth': `file:../${path.basename(tarball)}`, ...peers }, { ...closure(['koa', '@koa/router', 'koa-send', ...Object.keys(PKG.dependencies)]), 'node_modules/koa-bandwidth': ours });
    const media = path.join(served, 'my-media');
    fs.mkdirSync(media);
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'media', 'cbr.mp3'), path.join(media, 'song.mp3'));
    const bin = path.join(served, 'node_modules', 'koa-bandwidth', 'bin', 'koa-bandwidth.js');
    const child = spawn(process.execPath, [bin, 'serve', '--conf', path.join(served, 'node_modules', 'koa-bandwidth', 'example-app', 'conf'), '--media', media, '--port', '0'], { cwd: served, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\S+)/.exec(out);
          if (m) resolve(m[1] as string);
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/Press play on a player below/);
      const list = (await (await fetch(`${url}api/media`)).json()) as Array<{ name: string }>;
      expect(list.map((f) => f.name)).toEqual(['song.mp3']);
      const song = await fetch(`${url}song.mp3`);
      expect(song.status).toBe(200);
      expect((await song.arrayBuffer()).byteLength).toBe(fs.statSync(path.join(media, 'song.mp3')).size);
    } finally {
      child.kill('SIGTERM');
    }
  }, 120000);

  it('runs its CLI: --version, and serve names the peers it lacks', () => {
    const bin = path.join(app, 'node_modules', 'koa-bandwidth', 'bin', 'koa-bandwidth.js');
    expect(run(process.execPath, [bin, '--version'], app).stdout).toBe(`${PKG.version}\n`);
    const conf = path.join(app, 'node_modules', 'koa-bandwidth', 'example-app', 'conf');
    expect(run(process.execPath, [bin, 'check', '--conf', conf], app).status).toBe(0);
    const serve = run(process.execPath, [bin, 'serve', '--conf', conf, '--media', app, '--port', '0'], app);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toMatch(/the example server needs @koa\/router, koa-send, which are not installed\. Run:\n {2}npm install @koa\/router koa-send/);
  });
});
