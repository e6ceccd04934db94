import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { decodeUtf8, MAX_CONFIG_FILE_BYTES, readConfigFile } from '../../lib/config/read-config-file';
import { ConfigError } from '../../lib/errors';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('decodeUtf8', () => {
  it.each([
    ['a lone continuation byte', [0x61, 0x80], '1:2'],
    ['a truncated sequence', [0x61, 0x0a, 0x62, 0xe2, 0x82], '2:2'],
    ['an overlong encoding of "/"', [0xc0, 0xaf], '1:1'],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], '1:1'],
    ['a UTF-16 surrogate', [0x41, 0xed, 0xa0, 0x80], '1:2'],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '1:1'],
    ['Latin-1 after a multi-byte character', [0xc3, 0xa9, 0x0a, 0xe9, 0x74, 0xe9], '2:1'],
  ])('rejects %s at its line:column', (_what, bytes, at) => {
    const e = errorOf(() => decodeUtf8(Uint8Array.from(bytes), 'f.txt'));
    expect(`${e.line}:${e.column}`).toBe(at);
    expect(e.message).toMatch(/not UTF-8/);
  });

  it('reads UTF-8 as it is (U+FFFD included), dropping a leading BOM that would stick to the first rule', () => {
    expect(decodeUtf8(Buffer.from('\ufeff*, 1 # é\u{1f600}\ufffd', 'utf8'), 'f')).toBe('*, 1 # é\u{1f600}\ufffd');
  });

  it('places the error where a lenient decoder puts its first U+FFFD (property)', () => {
    // No EF BF BD can be formed from these bytes, so every U+FFFD of the lenient decoder is an error.
    const byte = fc.constantFrom(0x41, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xed, 0xa0, 0xc0, 0xf4, 0x90);
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 24 }), (bytes) => {
        const buf = Uint8Array.from(bytes);
        const lenient = new TextDecoder().decode(buf);
        const bad = lenient.indexOf('\ufffd');
        if (bad < 0) {
          expect(decodeUtf8(buf, 'f')).toBe(lenient);
          return;
        }
        const lines = lenient.slice(0, bad).split('\n');
        const e = errorOf(() => decodeUtf8(buf, 'f'));
        expect([e.line, e.column]).toEqual([lines.length, (lines[lines.length - 1] as string).length + 1]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-read-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns null for a missing file, or one under a missing directory', () => {
    expect(readConfigFile(path.join(dir, 'nope.xml'), 'nope.xml')).toBeNull();
    expect(readConfigFile(path.join(dir, 'no', 'such', 'throttling.txt'), 't')).toBeNull();
  });

  it('reads a regular file', () => {
    writeFileSync(path.join(dir, 'ok.xml'), '<Server/>');
    expect(readConfigFile(path.join(dir, 'ok.xml'), 'ok.xml')).toBe('<Server/>');
  });

  it('rejects a directory in place of a file', () => {
    mkdirSync(path.join(dir, 'server.xml'));
    expect(errorOf(() => readConfigFile(path.join(dir, 'server.xml'), 'server.xml')).format()).toBe('server.xml:0:0: not a regular file');
  });

  it('rejects a file over the size bound without reading it', () => {
    const big = path.join(dir, 'big.xml');
    writeFileSync(big, '');
    truncateSync(big, MAX_CONFIG_FILE_BYTES + 1); // sparse: no disk used
    expect(errorOf(() => readConfigFile(big, 'big.xml')).message).toBe(`too large (${MAX_CONFIG_FILE_BYTES + 1} bytes; at most ${MAX_CONFIG_FILE_BYTES})`);
  });
});
