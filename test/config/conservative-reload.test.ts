import { EventEmitter } from 'node:events';
import fs, { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import Koa from 'koa';
import { bandwidth, ConfigErrors, type BandwidthConfig } from '../../lib/index';
import { waitFor } from '../observe/http-client';

const fixture = path.join(__dirname, '..', 'fixtures', 'conf', 'valid');
const RULES = path.join('svc', 'www.example.com', 'throttling.txt');

/** What a deploy tool or an editor may leave for a moment in place of a file. */
const DAMAGE: [string, (full: string) => void][] = [
  ['missing', (full) => rmSync(full)],
  ['empty', (full) => writeFileSync(full, '')],
  ['only blank lines', (full) => writeFileSync(full, '\n  \n')],
  ['half-written', (full) => writeFileSync(full, halfOf(readFileSync(full, 'utf8')))],
  ['unreadable (a directory in its place)', (full) => (rmSync(full), mkdirSync(full))],
  ['not UTF-8', (full) => writeFileSync(full, Buffer.concat([readFileSync(full), Buffer.from([0xc3, 0x28, 0x0a])]))],
];

/** Cut a file in the middle of a line whose loss shows (an XML element, or a rule's brackets). */
function halfOf(text: string): string {
  const cut = text.includes('[*.m4a]') ? text.indexOf('[*.m4a]') + 4 : Math.floor(text.length / 2);
  return text.slice(0, cut);
}

const FILES = ['server.xml', 'vhosts.xml', RULES];
const TABLE = FILES.flatMap((file) => DAMAGE.map(([how, damage]) => [file, how, damage] as const));

describe('a reload where a file the config came from is damaged', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-conservative-'));
    cpSync(fixture, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each(TABLE)('%s %s: rejected with ConfigErrors naming it, logged, and the old config stays', async (file, _how, damage) => {
    const logged: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (o: unknown) => void logged.push(o) };
    const bw = bandwidth({ conf: dir, watch: false, logger });
    const events: unknown[] = [];
    bw.events.on('error', (e) => events.push(e));
    const before = bw.config;
    const app = new Koa();
    app.use(bw);
    app.use((ctx) => {
      ctx.body = { rate: ctx.bandwidth?.plan.rate ?? null };
    });
    const rate = async (): Promise<number | null> => (await request(app.callback()).get('/a.mp4').set('Host', 'www.example.com')).body.rate;
    try {
      expect(await rate()).toBe(100_000); // !HEADER[referer], 800 kbps
      const original = readFileSync(path.join(dir, file));
      damage(path.join(dir, file));
      const err = await bw.reload().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigErrors);
      expect((err as ConfigErrors).errors.map((e) => e.file)).toContain(file);
      expect(events).toEqual([err]);
      expect(logged).toHaveLength(1);
      expect(bw.config).toBe(before);
      expect(await rate()).toBe(100_000);

      // Put back, the file loads again.
      rmSync(path.join(dir, file), { recursive: true, force: true });
      writeFileSync(path.join(dir, file), original);
      await expect(bw.reload()).resolves.toMatchObject({ vhosts: before.vhosts.map((v) => ({ name: v.name })) });
    } finally {
      await bw.close();
    }
  });

  it('takes a throttling.txt left with only a comment: the way to drop the rules', async () => {
    const bw = bandwidth({ conf: dir, watch: false });
    try {
      writeFileSync(path.join(dir, RULES), '# no rules for now\n');
      const config = await bw.reload();
      expect(config.vhosts.find((v) => v.name === 'www.example.com')?.rules).toEqual([]);
    } finally {
      await bw.close();
    }
  });

  it("does not ask for the rule file of a vhost that is gone", async () => {
    const bw = bandwidth({ conf: dir, watch: false });
    try {
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="vod.example.com"/></Vhosts>');
      rmSync(path.join(dir, RULES));
      await expect(bw.reload()).resolves.toMatchObject({ vhosts: [{ name: 'vod.example.com' }] });
    } finally {
      await bw.close();
    }
  });

  it('keeps an empty throttling.txt that was empty when loaded', async () => {
    writeFileSync(path.join(dir, RULES), '');
    const bw = bandwidth({ conf: dir, watch: false });
    try {
      await expect(bw.reload()).resolves.toBeDefined();
    } finally {
      await bw.close();
    }
  });
});

describe('server.xml moved away for 400 ms, as editors and deploy tools do', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-moved-'));
    cpSync(fixture, dir, { recursive: true });
    // A default that matters: every vhost inherits a 50 Mbps TrafficCap and BT ON.
    writeFileSync(
      path.join(dir, 'server.xml'),
      '<Server><VHostDefault><Options><TrafficCap>50</TrafficCap><BandwidthThrottling><Throttling>ON</Throttling></BandwidthThrottling></Options></VHostDefault></Server>\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never serves the built-in defaults: the watcher rejects the gap and the caps stay', async () => {
    const bw = bandwidth({ conf: dir, watch: { debounceMs: 20 } });
    const errors: ConfigErrors[] = [];
    const reloads: BandwidthConfig[] = [];
    bw.events.on('error', (e: ConfigErrors) => errors.push(e));
    bw.events.on('reload', (c: BandwidthConfig) => reloads.push(c));
    const capOf = (): number | undefined => bw.config.vhosts.find((v) => v.name === 'www.example.com')?.trafficCap;
    try {
      expect(capOf()).toBe(6_250_000);
      const caps: (number | undefined)[] = [];
      const sample = setInterval(() => caps.push(capOf()), 10);
      renameSync(path.join(dir, 'server.xml'), path.join(dir, 'server.xml.bak'));
      // 400 ms, or until the watcher has seen the gap if a busy machine makes it later.
      await new Promise((r) => setTimeout(r, 400));
      await waitFor(() => errors.length > 0);
      renameSync(path.join(dir, 'server.xml.bak'), path.join(dir, 'server.xml'));
      await waitFor(() => reloads.length > 0);
      clearInterval(sample);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]?.errors.map((e) => e.format())).toEqual(['server.xml:0:0: missing, but the config in force was loaded from it (a file being replaced?); to drop it, restart']);
      expect(new Set(caps)).toEqual(new Set([6_250_000]));
      expect(capOf()).toBe(6_250_000);
    } finally {
      await bw.close();
    }
  });
});


describe('losing the watch on the config directory', () => {
  it('is reported as ConfigErrors, the one error type `error` listeners get', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-watch-'));
    cpSync(fixture, dir, { recursive: true });
    const watchers: EventEmitter[] = [];
    const spy = jest.spyOn(fs, 'watch').mockImplementation((() => {
      const w = Object.assign(new EventEmitter(), { close() {}, unref() {}, ref() {} });
      watchers.push(w);
      return w;
    }) as unknown as typeof fs.watch);
    const bw = bandwidth({ conf: dir, watch: { debounceMs: 20 } });
    const errors: unknown[] = [];
    bw.events.on('error', (e) => errors.push(e));
    try {
      watchers[0]?.emit('error', new Error('EMFILE: too many open files, watch'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ConfigErrors);
      expect((errors[0] as ConfigErrors).errors[0]?.format()).toBe('.:0:0: cannot watch for changes: EMFILE: too many open files, watch');
    } finally {
      spy.mockRestore();
      await bw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a reload while a deploy replaces several files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-snapshot-'));
    cpSync(fixture, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Replace server.xml (write + rename) each time vhosts.xml is opened, up to `times`. */
  function replaceServerXmlWhileReading(times: number): { opened: string[]; restore: () => void } {
    const open = fs.openSync;
    const opened: string[] = [];
    let n = 0;
    const spy = jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      const name = path.basename(String(p));
      opened.push(name);
      if (name === 'vhosts.xml' && n < times) {
        n++;
        writeFileSync(path.join(dir, 'server.xml.tmp'), `<Server><VHostDefault><Options><TrafficCap>${n * 10}</TrafficCap></Options></VHostDefault></Server>\n`);
        renameSync(path.join(dir, 'server.xml.tmp'), path.join(dir, 'server.xml'));
      }
      return (open as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync);
    return { opened, restore: () => spy.mockRestore() };
  }

  it('reads again, and never mixes an old server.xml with a new vhosts.xml', async () => {
    const bw = bandwidth({ conf: dir, watch: false });
    const io = replaceServerXmlWhileReading(1);
    try {
      const config = await bw.reload();
      expect(config.vhosts.find((v) => v.name === 'www.example.com')?.trafficCap).toBe(1_250_000); // 10 Mbps: the new server.xml
      expect(io.opened.filter((f) => f === 'server.xml')).toHaveLength(2);
    } finally {
      io.restore();
      await bw.close();
    }
  });

  it('rejects a directory that never holds still, and keeps the old config', async () => {
    const bw = bandwidth({ conf: dir, watch: false });
    const before = bw.config;
    const io = replaceServerXmlWhileReading(Infinity);
    try {
      await expect(bw.reload()).rejects.toThrow('server.xml:0:0: changed while being read, 5 times over; try again once it holds still');
      expect(bw.config).toBe(before);
    } finally {
      io.restore();
      await bw.close();
    }
  });
});
