import fs from 'node:fs';
import path from 'node:path';
import { run } from './cli';

const root = path.join(__dirname, '..', '..');
const valid = path.join(root, 'test', 'fixtures', 'conf', 'valid');
const media = path.join(root, 'test', 'fixtures', 'media');
const missing = path.join(root, 'test', 'cli', 'no-such-dir');

describe('koa-bandwidth usage', () => {
  describe.each(['check', 'explain', 'probe', 'serve'])('%s --help', (command) => {
    it.each(['--help', '-h'])('prints its usage on stdout and exits 0 (%s)', async (flag) => {
      const r = await run([command, flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: koa-bandwidth ${command} `));
      expect(r.stderr).toBe('');
    });

    it('answers --help after other flags too', async () => {
      const r = await run([command, '--conf', valid, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: /);
    });
  });

  it.each(['--version', '-v', 'version'])('prints the package version for %s', async (flag) => {
    const r = await run([flag]);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it.each<[string, string[], RegExp]>([
    ['check on a missing conf dir', ['check', '--conf', missing], /--conf .*no-such-dir: no such directory/],
    ['check on a file as conf dir', ['check', '--conf', path.join(valid, 'vhosts.xml')], /vhosts\.xml: not a directory/],
    ['explain on a missing conf dir', ['explain', '--conf', missing, '--url', '/a.mp4'], /--conf .*no-such-dir: no such directory/],
    ['explain with an IP out of range', ['explain', '--conf', valid, '--url', '/a.mp4', '--ip', '999.1.1.1'], /--ip "999\.1\.1\.1" is not an IPv4 or IPv6 address/],
    ['explain with a host name as IP', ['explain', '--conf', valid, '--url', '/a.mp4', '--ip', 'example.com'], /--ip "example\.com" is not/],
    ['probe on a directory', ['probe', media], /is a directory/],
    ['probe on a directory among files', ['probe', path.join(media, 'cbr.mp3'), media], /is a directory/],
  ])('exits 2 with a clear message: %s', async (_what, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('accepts an IPv6 --ip', async () => {
    const r = await run(['explain', '--conf', valid, '--url', '/a.mp4', '--ip', '2001:db8::1']);
    expect(r.code).toBe(0);
  });
});
