import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostNameProblem } from '../../lib/config/host-name';
import { loadConfigDir } from '../../lib/config/load-config-dir';
import { bandwidth, ConfigErrors } from '../../lib/index';

describe('hostNameProblem', () => {
  it.each([
    ['www.example.com', false],
    ['localhost', false],
    ['a', false],
    ['10.0.0.1', false],
    ['my_host.test', false],
    ['a-b.example', false],
    ['xn--bcher-kva.example', false],
    ['xn--fiqs8s', false],
    [`${'a'.repeat(63)}.example`, false],
    ['*.example.com', true],
    ['*.xn--fiqs8s', true],
    ['[::1]', true],
    ['[2001:db8::1]', true],
  ])('takes %j (alias: %s)', (name, alias) => {
    expect(hostNameProblem(name, alias)).toBeNull();
  });

  it.each([
    ['bücher.example', false, 'not ASCII; write it in punycode: "xn--bcher-kva.example"'],
    ['\ufffd.example', false, 'not ASCII, and no valid internationalised name'],
    ['\ud800.example', true, 'not ASCII, and no valid internationalised name'],
    ['a\u200b.example', false, 'not ASCII; write it in punycode: "a.example"'],
    ['a b.example', false, 'contains spaces or control characters'],
    ['a\u0000b', false, 'contains spaces or control characters'],
    ['www.example.com:8080', false, 'has a port; a vhost matches the Host header without its port'],
    ['www.example.com:', true, 'has a port; a vhost matches the Host header without its port'],
    ['example.com.', false, 'ends with a dot; write it without (the Host header is matched without one)'],
    ['a..b', false, 'has an empty label (two dots, or a leading dot)'],
    ['.a', false, 'has an empty label (two dots, or a leading dot)'],
    ['-a.example', false, 'label "-a" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['a-.example', false, 'label "a-" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['a/b', false, 'label "a/b" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['..', false, 'ends with a dot; write it without (the Host header is matched without one)'],
    [`${'a'.repeat(64)}.example`, false, `label "${'a'.repeat(64)}" is not letters, digits, - and _ (at most 63, no - at either end)`],
    [`${'a.'.repeat(127)}ab`, false, 'longer than 253 characters'],
    ['xn--zz.example', false, 'label "xn--zz" is not valid punycode'],
    ['xn--abc-.example', false, 'label "xn--abc-" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['*.example.com', false, 'a pattern (*.) is allowed in an Alias, not a vhost Name'],
    ['a*.example.com', true, 'a * is allowed only as a leading *. of an Alias'],
    ['*', true, 'a * is allowed only as a leading *. of an Alias'],
    ['[::1]', false, 'label "[::1]" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['[zz]', true, 'not an IPv6 address in brackets'],
    ['', false, 'empty'],
  ])('rejects %j (alias: %s): %s', (name, alias, why) => {
    expect(hostNameProblem(name, alias)).toBe(why);
  });
});

describe('vhost names in a config directory', () => {
  function errorsOf(vhostsXml: string | Buffer): string[] {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-names-'));
    try {
      writeFileSync(path.join(dir, 'server.xml'), '<Server/>');
      writeFileSync(path.join(dir, 'vhosts.xml'), vhostsXml);
      loadConfigDir(dir, { geoip: false });
      return [];
    } catch (e) {
      if (!(e instanceof ConfigErrors)) throw e;
      return e.errors.map((x) => x.format());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ['a Name with a port', '<Vhosts>\n  <Vhost Name="www.example.com:80"/>\n</Vhosts>', 'vhosts.xml:2:10: bad vhost Name "www.example.com:80": has a port; a vhost matches the Host header without its port'],
    ['a Name in Unicode', '<Vhosts>\n  <Vhost Name="bücher.example"/>\n</Vhosts>', 'vhosts.xml:2:10: bad vhost Name "bücher.example": not ASCII; write it in punycode: "xn--bcher-kva.example"'],
    ['a character reference in a Name (not decoded)', '<Vhosts><Vhost Name="a&#x20;b"/></Vhosts>', 'vhosts.xml:1:16: bad vhost Name "a&#x20;b": label "a&#x20;b" is not letters, digits, - and _ (at most 63, no - at either end)'],
    ['a Name with a space', '<Vhosts><Vhost Name="a b"/></Vhosts>', 'vhosts.xml:1:16: bad vhost Name "a b": contains spaces or control characters'],
    ['a path as a Name', '<Vhosts><Vhost Name="../etc"/></Vhosts>', 'vhosts.xml:1:16: bad vhost Name "../etc": has an empty label (two dots, or a leading dot)'],
    ['a bad Alias', '<Vhosts><Vhost Name="a.test">\n<Alias>*.b.test:8080</Alias></Vhost></Vhosts>', 'vhosts.xml:2:1: bad Alias "*.b.test:8080": has a port; a vhost matches the Host header without its port; expected a host name, *.domain or [IPv6]'],
  ])('%s is an error at its place', (_what, xml, want) => {
    expect(errorsOf(xml)).toEqual([want]);
  });

  it('a Name with bytes that are not UTF-8 is an error at the first bad byte', () => {
    const xml = Buffer.concat([Buffer.from('<Vhosts>\n  <Vhost Name="www.'), Buffer.from([0xff, 0xfe]), Buffer.from('.com"/>\n  <Default>www.x.com</Default>\n</Vhosts>')]);
    expect(errorsOf(xml)).toEqual(['vhosts.xml:2:20: bytes that are not UTF-8 (0xff at byte 28); config files are UTF-8']);
  });

  it('takes a punycode Name and its aliases', () => {
    expect(errorsOf('<Vhosts><Vhost Name="xn--bcher-kva.example"><Alias>*.xn--bcher-kva.example</Alias><Alias>[::1]</Alias></Vhost></Vhosts>')).toEqual([]);
  });
});

describe('vhost names in plain options', () => {
  it.each([['www.example.com:80'], ['bücher.example'], ['a b'], ['*.example.com']])('bandwidth() throws ConfigErrors for the Name %j', (name) => {
    expect(() => bandwidth({ config: { vhosts: [{ name }], default: name } })).toThrow(ConfigErrors);
  });
});
