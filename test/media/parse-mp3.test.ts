import { bufferReader } from '../../lib/media/byte-reader';
import { probeMedia } from '../../lib/media/probe-media';
import { id3v1, id3v2, mp3Frame, mp3Frames, vbriFrame, xingFrame } from './build';

const probe = (bytes: Buffer) => probeMedia(bufferReader(bytes), 'mp3');
const sniff = (bytes: Buffer) => probeMedia(bufferReader(bytes));
const unknown = { container: 'mp3', header: [], headerBytes: 0, bitrate: null, duration: null };

// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo: 417-byte frames of 1152 samples.
const FRAME = 417;
const SPF = 1152 / 44100;

describe('the MP3 parser', () => {
  describe('CBR without an info frame', () => {
    it('takes the frame bitrate and has no header', async () => {
      const info = await probe(mp3Frames(20));
      expect(info).toEqual({ container: 'mp3', header: [], headerBytes: 0, bitrate: 128000, duration: (20 * FRAME * 8) / 128000 });
    });

    it('is recognised from its content alone when it starts with a frame', async () => {
      expect((await sniff(mp3Frames(5))).container).toBe('mp3');
    });

    it('decodes MPEG-2 and MPEG-2.5 rates', async () => {
      expect((await probe(mp3Frames(10, { version: 2, bitrateIndex: 4, mono: true }))).bitrate).toBe(32000);
      expect((await probe(mp3Frames(10, { version: 2.5, bitrateIndex: 8, rateIndex: 2 }))).bitrate).toBe(64000);
    });
  });

  describe('ID3v2 tags', () => {
    it('counts one tag as header', async () => {
      const tag = id3v2(1000);
      const info = await probe(Buffer.concat([tag, mp3Frames(10)]));
      expect(info.header).toEqual([{ start: 0, end: 1010 }]);
      expect(info.bitrate).toBe(128000);
    });

    it('counts several tags in a row', async () => {
      const tags = Buffer.concat([id3v2(100), id3v2(50, { major: 4 }), id3v2(0, { major: 2 })]);
      const info = await probe(Buffer.concat([tags, mp3Frames(10)]));
      expect(info.header).toEqual([{ start: 0, end: 110 + 60 + 10 }]);
    });

    it('adds the 10-byte footer of a v2.4 tag with the footer flag', async () => {
      const info = await probe(Buffer.concat([id3v2(300, { major: 4, footer: true }), mp3Frames(10)]));
      expect(info.headerBytes).toBe(320);
    });

    it('reads syncsafe sizes (a 2^14-byte body has 0x01 in the third size byte)', async () => {
      const tag = id3v2(1 << 14);
      expect(tag.subarray(6, 10)).toEqual(Buffer.from([0, 1, 0, 0]));
      expect((await probe(Buffer.concat([tag, mp3Frames(4)]))).headerBytes).toBe(10 + (1 << 14));
    });

    it('includes junk between the tag and the first frame in the header', async () => {
      const info = await probe(Buffer.concat([id3v2(20), Buffer.alloc(33, 0xff), mp3Frames(10)]));
      expect(info.headerBytes).toBe(30 + 33);
    });

    it('gives unknown for a tag that runs past the end of the file', async () => {
      expect(await probe(Buffer.concat([id3v2(5000).subarray(0, 400)]))).toEqual(unknown);
    });

    it('is recognised from content by the tag', async () => {
      expect((await sniff(Buffer.concat([id3v2(10), mp3Frames(3)]))).container).toBe('mp3');
    });
  });

  describe('trailers', () => {
    it('counts a trailing ID3v1 tag as trailer', async () => {
      const info = await probe(Buffer.concat([mp3Frames(3, { bitrateIndex: 1 }), id3v1()]));
      expect(info.bitrate).toBe(32000);
      expect(info.duration).toBeCloseTo((3 * 104 * 8) / 32000, 9);
    });

    it('counts an appended ID3v2 tag (found by its footer) as trailer', async () => {
      const info = await probe(Buffer.concat([mp3Frames(10), id3v2(200, { major: 4, footer: true }), id3v1()]));
      expect(info.duration).toBeCloseTo((10 * FRAME * 8) / 128000, 9);
    });
  });

  describe('a Xing/Info frame', () => {
    it('is header, and its frame count gives the duration, not its bitrate field', async () => {
      // The Xing frame claims 32 kbit/s; the audio is 128 kbit/s.
      const xing = xingFrame({ bitrateIndex: 1 }, 'Xing', 40);
      const tag = id3v2(90);
      const file = Buffer.concat([tag, xing, mp3Frames(40), id3v1()]);
      const info = await probe(file);
      const duration = 40 * SPF;
      expect(info.header).toEqual([{ start: 0, end: 100 + xing.length }]);
      expect(info.duration).toBeCloseTo(duration, 9);
      expect(info.bitrate).toBeCloseTo((40 * FRAME * 8) / duration, 6);
    });

    it('finds the tag after mono MPEG-2 side information', async () => {
      const spec = { version: 2 as const, bitrateIndex: 8, mono: true };
      const xing = xingFrame(spec, 'Xing', 30);
      const info = await probe(Buffer.concat([xing, mp3Frames(30, spec)]));
      expect(info.headerBytes).toBe(xing.length);
      expect(info.duration).toBeCloseTo((30 * 576) / 22050, 9);
    });

    it('takes an Info frame without a frame count as CBR', async () => {
      const xing = xingFrame({}, 'Info', null);
      const info = await probe(Buffer.concat([xing, mp3Frames(12)]));
      expect(info.headerBytes).toBe(FRAME);
      expect(info.bitrate).toBe(128000);
    });

    it('gives no rate for a Xing frame without a frame count', async () => {
      const info = await probe(Buffer.concat([xingFrame({}, 'Xing', null), mp3Frames(12)]));
      expect(info).toMatchObject({ headerBytes: FRAME, bitrate: null, duration: null });
    });

    it('gives no rate for a zero frame count', async () => {
      expect((await probe(Buffer.concat([xingFrame({}, 'Xing', 0), mp3Frames(12)]))).bitrate).toBeNull();
    });
  });

  describe('a VBRI frame', () => {
    it('is header, and its frame count gives the duration', async () => {
      const vbri = vbriFrame({ bitrateIndex: 14 }, 25); // claims 320 kbit/s
      const info = await probe(Buffer.concat([vbri, mp3Frames(25, { bitrateIndex: 5 })]));
      const duration = 25 * SPF;
      expect(info.header).toEqual([{ start: 0, end: vbri.length }]);
      expect(info.duration).toBeCloseTo(duration, 9);
      expect(info.bitrate).toBeCloseTo((25 * 208 * 8) / duration, 6); // 64 kbit/s frames: 208 bytes
    });
  });

  describe('frame sync', () => {
    it('skips a false sync that the next header does not confirm', async () => {
      const fake = Buffer.from([0xff, 0xfb, 0x90, 0x00, 1, 2, 3, 4]); // a 417-byte frame would follow; it does not
      const file = Buffer.concat([id3v2(0), fake, mp3Frames(8, { bitrateIndex: 5 })]);
      const info = await probe(file);
      expect(info.headerBytes).toBe(10 + fake.length);
      expect(info.bitrate).toBe(64000);
    });

    it('rejects a next header of another sample rate', async () => {
      // A 48 kHz header (384-byte frame) followed, 384 bytes on, by 44.1 kHz frames.
      const odd = Buffer.concat([mp3Frame({ rateIndex: 1 }).subarray(0, 4), Buffer.alloc(380)]);
      const file = Buffer.concat([id3v2(0), odd, mp3Frames(6)]);
      const info = await probe(file);
      expect(info.bitrate).toBe(128000);
      expect(info.headerBytes).toBe(10 + 384);
    });

    it('accepts a single frame that fills the file', async () => {
      expect((await probe(mp3Frame())).bitrate).toBe(128000);
    });

    it('does not sniff a lone sync pattern as MP3', async () => {
      expect((await sniff(Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(1000, 7)]))).container).toBeNull();
    });

    it('gives unknown when no frame follows the tag', async () => {
      expect(await probe(Buffer.concat([id3v2(10), Buffer.alloc(5000, 0x11)]))).toEqual(unknown);
    });
  });

  describe('truncated and random input', () => {
    it('never throws on any truncation of a tagged VBR file', async () => {
      const file = Buffer.concat([id3v2(30, { major: 4, footer: true }), xingFrame({}, 'Xing', 3), mp3Frames(3), id3v1()]);
      for (let n = 0; n <= file.length; n += 7) {
        const info = await probe(file.subarray(0, n));
        expect(info.headerBytes).toBeLessThanOrEqual(n);
      }
    });

    it('recognises nothing in seeded random bytes', async () => {
      let seed = 42;
      const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
      for (let i = 0; i < 50; i++) {
        const bytes = Buffer.from(Array.from({ length: 4096 }, rand));
        const info = await sniff(bytes);
        expect(info).toEqual({ container: null, header: [], headerBytes: 0, bitrate: null, duration: null });
      }
    });
  });
});

describe('an APEv2 tag before the ID3v1 tag', () => {
  function ape(items: number, withHeader: boolean): Buffer {
    const block = (isHeader: boolean): Buffer => {
      const b = Buffer.alloc(32);
      b.write('APETAGEX', 0, 'latin1');
      b.writeUInt32LE(2000, 8);
      b.writeUInt32LE(items + 32, 12);
      b.writeUInt32LE(((withHeader ? 0x80000000 : 0) | (isHeader ? 0x20000000 : 0)) >>> 0, 20);
      return b;
    };
    return Buffer.concat([...(withHeader ? [block(true)] : []), Buffer.alloc(items, 0x41), block(false)]);
  }

  it.each([true, false])('is trailer (with header block: %p)', async (withHeader) => {
    const audio = mp3Frames(10);
    const info = await probe(Buffer.concat([audio, ape(300, withHeader), id3v1()]));
    expect(info.bitrate).toBe(128000);
    expect(info.duration).toBeCloseTo((audio.length * 8) / 128000, 9);
  });
});
