import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bandwidth } from '../../lib/index';
import { loadConfigDir } from '../../lib/config/load-config-dir';
import { normalizeConfig } from '../../lib/config/normalize-config';
import { ConfigErrors, OptionError } from '../../lib/errors';

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.format());
    throw err;
  }
  return [];
}

describe('the viewer key in the config', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-viewer-conf-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (server: string, vhosts = '<Vhosts><Vhost Name="a"/><Vhost Name="b"><Options><Viewer Cookie="pb"/></Options></Vhost></Vhosts>'): void => {
    fs.writeFileSync(path.join(dir, 'server.xml'), server);
    fs.writeFileSync(path.join(dir, 'vhosts.xml'), vhosts);
  };

  it('reads <Viewer Param Cookie>, and a vhost overrides it attribute by attribute', () => {
    write('<Server><VHostDefault><Options><Viewer Param="token" Cookie="sid"/></Options></VHostDefault></Server>');
    const config = loadConfigDir(dir, { geoip: false });
    expect(config.vhosts.map((v) => [v.name, v.viewer])).toEqual([
      ['a', { param: 'token', cookie: 'sid' }],
      ['b', { param: 'token', cookie: 'pb' }],
    ]);
  });

  it('has no viewer source by default: the client IP', () => {
    write('<Server><VHostDefault><Options/></VHostDefault></Server>', '<Vhosts><Vhost Name="a"/></Vhosts>');
    expect(loadConfigDir(dir, { geoip: false }).vhosts[0]?.viewer).toEqual({});
  });

  it.each([
    ['an unknown attribute', '<Viewer Header="x"/>', /server\.xml:1:\d+: unknown attribute Header on <Viewer>; expected Param or Cookie/],
    ['a name with a space', '<Viewer Param="a b"/>', /server\.xml:1:\d+: bad Viewer Param "a b"; expected a name of 1 to 64 token characters/],
    ['an empty cookie name', '<Viewer Cookie=""/>', /server\.xml:1:\d+: bad Viewer Cookie ""; expected a name/],
    ['two <Viewer>', '<Viewer Param="a"/><Viewer Param="b"/>', /server\.xml:1:\d+: duplicate <Viewer>/],
  ])('reports %s with file:line:col', (_name, xml, message) => {
    write(`<Server><VHostDefault><Options>${xml}</Options></VHostDefault></Server>`, '<Vhosts><Vhost Name="a"/></Vhosts>');
    expect(errorsOf(() => loadConfigDir(dir, { geoip: false }))).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['an unknown key', { viewer: { header: 'x' } }, 'config.defaults.viewer.header: unknown viewer key "header"; expected param or cookie'],
    ['not an object', { viewer: 'token' }, 'config.defaults.viewer: bad viewer "token"; expected { param?, cookie? }'],
    ['a bad param', { viewer: { param: 'a&b' } }, 'config.defaults.viewer.param: bad Viewer Param "a&b"'],
  ])('rejects a plain-options viewer with %s', (_name, defaults, message) => {
    const errors = errorsOf(() => normalizeConfig({ defaults: defaults as never, vhosts: [{ name: 'a' }] }, { geoip: false }));
    expect(errors).toEqual([expect.stringContaining(message)]);
  });
});

describe('the segmented option', () => {
  const config = { vhosts: [{ name: 'a' }] };
  it.each([
    [{ segmented: true }, /option `segmented` must be false or \{ idleSeconds\?, maxViewers\? \}/],
    [{ segmented: { idleSeconds: 0 } }, /option `segmented.idleSeconds` must be a number of seconds in \(0, 86400\], got 0/],
    [{ segmented: { idleSeconds: 86_401 } }, /segmented.idleSeconds/],
    [{ segmented: { maxViewers: 0 } }, /option `segmented.maxViewers` must be an integer ≥ 1/],
    [{ segmented: { viewers: 5 } }, /option `segmented.viewers` must be one of segmented.idleSeconds, segmented.maxViewers/],
  ])('rejects %j', (opts, message) => {
    expect(() => bandwidth({ config, ...(opts as object) })).toThrow(OptionError);
    expect(() => bandwidth({ config, ...(opts as object) })).toThrow(message);
  });

  it('is on by default, and off with false', async () => {
    const on = bandwidth({ config });
    const off = bandwidth({ config, segmented: false, session: 'viewer' });
    expect(on.runtime.segmented?.viewers.idleMs).toBe(60_000);
    expect(off.runtime.segmented).toBeNull();
    await Promise.all([on.close(), off.close()]);
  });
});
