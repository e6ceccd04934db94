import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './cli';

const root = path.join(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'conf');
const rules = path.join('svc', 'www.example.com', 'throttling.txt');

describe('koa-bandwidth check', () => {
  it('exits 0 on the valid fixture', async () => {
    const r = await run(['check', '--conf', path.join(fixtures, 'valid')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK \(3 vhosts, 7 rules\)/);
  });

  it.each([
    ['malformed-xml', 'vhosts.xml:4:3: malformed XML'],
    ['unknown-element', 'vhosts.xml:5:7: unknown element <Turbo>'],
    ['bad-unit', 'vhosts.xml:6:22: unknown unit "gbps"'],
    ['negative-cap', 'vhosts.xml:4:7: bad TrafficCap "-5"'],
    ['bad-ip', `${rules}:2:5: bad IP "300.1.1.1"`],
    ['unbalanced-bracket', `${rules}:1:8: unbalanced "["`],
    ['unknown-kind', `${rules}:2:2: unknown condition kind "COOKIE"`],
    ['non-numeric-bandwidth', `${rules}:1:13: bad bandwidth "fast"`],
    ['too-many-fields', `${rules}:1:26: too many fields (5)`],
  ])('exits 1 on %s and prints file:line:col: message', async (name, line) => {
    const r = await run(['check', '--conf', path.join(fixtures, name)]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.startsWith(line)).toBe(true);
    expect(r.stderr).toMatch(/1 error in /);
  });

  it('points at operators that do not exist, unknown kinds and bad time expressions', async () => {
    const r = await run(['check', '--conf', path.join(fixtures, 'operators')]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/(: [^:]*?)(;|:).*/, '$1'))).toEqual([
      'server.xml:5:5: bad prefix length "/99" in trusted proxy "10.0.0.0/99"',
      'server.xml:9:7: unknown session key "viewr"',
      'server.xml:11:19: bad Boost "1min 30"',
      `${rules}:2:12: "|" is not an operator`,
      `${rules}:3:12: "OR" is not an operator`,
      `${rules}:4:18: "AND" is not an operator`,
      `${rules}:5:2: unknown condition kind "REFERER"`,
      `${rules}:6:27: bad boost "90 secondz"`,
    ]);
  });

  it('lists every error, not just the first', async () => {
    const r = await run(['check', '--conf', path.join(fixtures, 'many')]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/: .*/, ''))).toEqual(['server.xml:4:19', 'vhosts.xml:5:19', 'vhosts.xml:10:3', `${rules}:1:5`, `${rules}:3:19`]);
  });

  it.each([[['check']], [['check', '--conf']], [['check', '--conf', 'x', '--bogus', '1']], [['frobnicate']], [[]]])('exits 2 on bad usage %j', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });

  describe('the real bin (after npm run build)', () => {
    const bin = path.join(root, 'bin', 'koa-bandwidth.js');
    it('exits 0 on a valid config', () => {
      const r = spawnSync(process.execPath, [bin, 'check', '--conf', path.join(fixtures, 'valid')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it('exits 1 and lists the errors on a broken config', () => {
      const r = spawnSync(process.execPath, [bin, 'check', `--conf=${path.join(fixtures, 'many')}`], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout.trim().split('\n')).toHaveLength(5);
      expect(r.stdout).toMatch(/^server\.xml:4:19: bad TrafficCap Session "abc"; expected a non-negative number \(at most 1e15\)$/m);
    });

    it('exits 1, not 2, with file:line:col when the XML parser would have thrown (a DOCTYPE, deep nesting)', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-check-bin-'));
      try {
        writeFileSync(path.join(dir, 'server.xml'), '<!DOCTYPE Server [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Server/>');
        writeFileSync(path.join(dir, 'vhosts.xml'), `<Vhosts>${'<Vhost>'.repeat(500)}${'</Vhost>'.repeat(500)}</Vhosts>`);
        const r = spawnSync(process.execPath, [bin, 'check', '--conf', dir], { encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('server.xml:1:1: a DOCTYPE is not allowed in a config file (no DTD, no entities)\nvhosts.xml:1:114: elements nested more than 16 deep; a config file needs at most 6\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
