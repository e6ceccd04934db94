import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { loadConfigDir, loadConfigFiles } from '../../lib/config/load-config-dir';
import { bandwidth, ConfigError, ConfigErrors } from '../../lib/index';
import { describeWithTools } from '../helpers/system';
import { run } from '../cli/cli';

const SERVER = '<Server/>';
const deep = (n: number): string => `<Vhosts>\n${'<Vhost>'.repeat(n)}${'</Vhost>'.repeat(n)}\n</Vhosts>`;

/**
 * Config files that made the XML parser throw its own Error (a plain Error from
 * `bandwidth()`, exit 2 without a place from `check`): each is now one ConfigError with
 * file, line and column.
 */
const HOSTILE: [string, string, string][] = [
  ['20,000 nested elements', deep(20_000), 'vhosts.xml:2:106: elements nested more than 16 deep; a config file needs at most 6'],
  ['200 nested elements', deep(200), 'vhosts.xml:2:106: elements nested more than 16 deep; a config file needs at most 6'],
  [
    'a DOCTYPE with an external entity',
    '<?xml version="1.0"?>\n<!DOCTYPE Vhosts [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Vhosts><Vhost Name="&x;"/></Vhosts>',
    'vhosts.xml:2:1: a DOCTYPE is not allowed in a config file (no DTD, no entities)',
  ],
  [
    'a DOCTYPE with nested internal entities',
    `<!DOCTYPE Vhosts [\n<!ENTITY a "aaaaaaaaaa">\n${Array.from({ length: 8 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i === 0 ? 'a' : 'b'.repeat(i)};`.repeat(10)}">`).join('\n')}\n]>\n<Vhosts><Vhost Name="&bbbbbbbb;"/></Vhosts>`,
    'vhosts.xml:1:1: a DOCTYPE is not allowed in a config file (no DTD, no entities)',
  ],
  ['an encoding other than UTF-8', '<?xml version="1.0" encoding="EUC-KR"?>\n<Vhosts/>', 'vhosts.xml:1:1: encoding "EUC-KR" is not supported; config files are UTF-8'],
];

function confDir(vhostsXml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-hostile-'));
  writeFileSync(path.join(dir, 'server.xml'), SERVER);
  writeFileSync(path.join(dir, 'vhosts.xml'), vhostsXml);
  return dir;
}

describe('every config failure is a ConfigError with file, line and column', () => {
  describe.each(HOSTILE)('%s', (_what, xml, want) => {
    let dir: string;
    beforeAll(() => {
      dir = confDir(xml);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loadConfigDir throws ConfigErrors', () => {
      let err: unknown;
      try {
        loadConfigDir(dir, { geoip: false });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigErrors);
      expect((err as ConfigErrors).errors.map((e) => e.format())).toEqual([want]);
    });

    it('bandwidth() throws ConfigErrors, not a plain Error', () => {
      expect(() => bandwidth({ conf: dir, watch: false })).toThrow(ConfigErrors);
    });

    it('check exits 1 with file:line:col', async () => {
      const r = await run(['check', '--conf', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`${want}\n`);
    });
  });

  it('whatever the parser throws becomes a ConfigError at 1:1 of its file', () => {
    const spy = jest.spyOn(XMLParser.prototype, 'parse').mockImplementation(() => {
      throw new TypeError('parser bug');
    });
    try {
      expect(() => loadConfigFiles((f) => (f === 'server.xml' ? SERVER : f === 'vhosts.xml' ? '<Vhosts/>' : null), 'conf', { geoip: false })).toThrow(
        expect.objectContaining({ errors: [expect.objectContaining({ file: 'server.xml', line: 1, column: 1, message: 'malformed XML: parser bug' }), expect.objectContaining({ file: 'vhosts.xml', line: 1, column: 1 })] }),
      );
    } finally {
      spy.mockRestore();
    }
  });

  it('a reader that throws a plain Error gives a ConfigError naming the file', () => {
    const read = (f: string): string => {
      if (f === 'vhosts.xml') throw new Error('EIO: i/o error');
      return SERVER;
    };
    let err: unknown;
    try {
      loadConfigFiles(read, 'conf', { geoip: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors[0]).toBeInstanceOf(ConfigError);
    expect((err as ConfigErrors).errors[0]?.format()).toBe('vhosts.xml:0:0: cannot read: EIO: i/o error');
  });

  it.each([
    ['a vhost that is null', { vhosts: [null] }],
    ['a vhost that is a string', { vhosts: ['www.example.com'] }],
  ])('bandwidth({ config }) throws ConfigErrors for %s', (_what, config) => {
    expect(() => bandwidth({ config: config as never })).toThrow(ConfigErrors);
  });

  it('a config directory that is not there is one error saying so', async () => {
    // The CLI calls a missing --conf bad usage (exit 2, test/cli/usage.test.ts); the loader's
    // own error is the same one ConfigError for apps.
    const r = await run(['check', '--conf', '/no/such/conf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^koa-bandwidth check: --conf \/no\/such\/conf: no such directory\n/);
    expect(() => bandwidth({ conf: '/no/such/conf', watch: false })).toThrow('no such directory: /no/such/conf');
    expect(() => bandwidth({ conf: __filename, watch: false })).toThrow(`not a directory: ${__filename}`);
  });

  it('a directory without server.xml is an error, in check as at startup', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-noserver-'));
    try {
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="a.test"/></Vhosts>');
      const r = await run(['check', '--conf', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`server.xml:0:0: missing file; expected server.xml in ${dir}\n`);
      expect(() => bandwidth({ conf: dir, watch: false })).toThrow(ConfigErrors);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

describeWithTools({ mkfifo: 'coreutils' }, 'a config file that is not a regular file', () => {
  it('a FIFO named vhosts.xml is an error at once, not a hang', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-fifo-'));
    try {
      writeFileSync(path.join(dir, 'server.xml'), SERVER);
      expect(spawnSync('mkfifo', [path.join(dir, 'vhosts.xml')]).status).toBe(0);
      const r = await run(['check', '--conf', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('vhosts.xml:0:0: not a regular file\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
