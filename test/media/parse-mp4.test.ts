import { bufferReader } from '../../lib/media/byte-reader';
import { probeMedia } from '../../lib/media/probe-media';
import { box, boxHeader, boxHeader64, countingReader, ftyp, mdat, mehd, moov, mvhd } from './build';

const probe = (bytes: Buffer, size?: number) => probeMedia(bufferReader(bytes, size), 'mp4');
const sniff = (bytes: Buffer) => probeMedia(bufferReader(bytes));

describe('the MP4 parser', () => {
  describe('when moov precedes mdat', () => {
    const head = Buffer.concat([ftyp(), moov(1000, 4000), box('free', Buffer.alloc(10))]);
    const file = Buffer.concat([head, mdat(100_000)]);

    it('takes every byte before mdat as the header', async () => {
      const info = await probe(file);
      expect(info).toEqual({ container: 'mp4', header: [{ start: 0, end: head.length }], headerBytes: head.length, bitrate: (100_008 * 8) / 4, duration: 4 });
    });

    it('is recognised from its content alone', async () => {
      expect((await sniff(file)).container).toBe('mp4');
    });

    it('counts bytes after the last mdat as trailer', async () => {
      const info = await probe(Buffer.concat([file, box('free', Buffer.alloc(992))]));
      expect(info.bitrate).toBe((100_008 * 8) / 4);
    });
  });

  describe('when moov follows mdat', () => {
    it('adds the moov range to the bytes before mdat', async () => {
      const front = ftyp();
      const m = moov(600, 1200);
      const file = Buffer.concat([front, mdat(50_000), m]);
      const moovStart = front.length + 50_008;
      const info = await probe(file);
      expect(info.header).toEqual([{ start: 0, end: front.length }, { start: moovStart, end: moovStart + m.length }]);
      expect(info.headerBytes).toBe(front.length + m.length);
      expect(info.bitrate).toBe((50_008 * 8) / 2);
    });

    it('gives only the moov range when the file starts with mdat', async () => {
      const m = moov(1, 10);
      const info = await probe(Buffer.concat([mdat(1000), m]));
      expect(info.header).toEqual([{ start: 1008, end: 1008 + m.length }]);
    });
  });

  it('reads mvhd version 1 (64-bit duration)', async () => {
    const info = await probe(Buffer.concat([ftyp(), moov(90_000, 90_000 * 8, 1), mdat(8000)]));
    expect(info.duration).toBe(8);
    expect(info.bitrate).toBe((8008 * 8) / 8);
  });

  it('walks a 64-bit mdat', async () => {
    const head = Buffer.concat([ftyp(), moov(1000, 2000)]);
    const file = Buffer.concat([head, boxHeader64('mdat', 16 + 4000), Buffer.alloc(4000), box('free')]);
    const info = await probe(file);
    expect(info.header).toEqual([{ start: 0, end: head.length }]);
    expect(info.bitrate).toBe((4016 * 8) / 2);
  });

  it('walks an mdat with size 0 (to the end of the file)', async () => {
    const head = Buffer.concat([ftyp(), moov(1000, 1000)]);
    const info = await probe(Buffer.concat([head, boxHeader('mdat', 0), Buffer.alloc(3000)]));
    expect(info.bitrate).toBe(3008 * 8);
  });

  describe('when a box claims more bytes than the file has', () => {
    it('takes a truncated mdat as ending with the file', async () => {
      const head = Buffer.concat([ftyp(), moov(1000, 1000)]);
      const info = await probe(Buffer.concat([head, boxHeader('mdat', 1_000_000), Buffer.alloc(992)]));
      expect(info.header).toEqual([{ start: 0, end: head.length }]);
      expect(info.bitrate).toBe(1000 * 8);
    });

    it('gives unknown for a truncated moov', async () => {
      const m = moov(1000, 1000);
      const file = Buffer.concat([ftyp(), mdat(100), m.subarray(0, m.length - 5)]);
      expect(await probe(file)).toEqual({ container: 'mp4', header: [], headerBytes: 0, bitrate: null, duration: null });
    });

    it('gives unknown for a child box that overruns moov', async () => {
      const inner = Buffer.concat([mvhd(0, 1000, 1000), boxHeader('trak', 5000)]);
      const file = Buffer.concat([ftyp(), box('moov', inner), mdat(100)]);
      expect((await probe(file)).bitrate).toBeNull();
    });

    it('ignores a 64-bit size beyond 2^53', async () => {
      const file = Buffer.concat([ftyp(), moov(1000, 1000), boxHeader64('mdat', 0), Buffer.alloc(8)]);
      file.writeBigUInt64BE(0xffffffffffffffffn, file.length - 16);
      expect((await probe(file)).bitrate).toBeNull();
    });
  });

  describe('unknown rates', () => {
    it.each([
      ['a zero duration', moov(1000, 0)],
      ['a zero timescale', moov(0, 1000)],
      ['an all-ones v0 duration', moov(1000, 0xffffffff)],
      ['a moov without mvhd', box('moov', box('trak'))],
      ['an mvhd too short for its fields', box('moov', box('mvhd', Buffer.alloc(12)))],
    ])('gives no rate for %s', async (_name, m) => {
      const info = await probe(Buffer.concat([ftyp(), m, mdat(1000)]));
      expect(info.bitrate).toBeNull();
      expect(info.container).toBe('mp4');
    });

    it('gives no rate without moov or without mdat', async () => {
      expect((await probe(Buffer.concat([ftyp(), mdat(1000)]))).bitrate).toBeNull();
      expect((await probe(Buffer.concat([ftyp(), moov(1000, 1000)]))).bitrate).toBeNull();
    });
  });

  describe('a fragmented movie', () => {
    const fragments = Buffer.concat([box('moof', Buffer.alloc(40)), mdat(1000), box('moof', Buffer.alloc(40)), mdat(1000)]);

    it('has no rate without mehd, but keeps its init segment as header', async () => {
      const head = Buffer.concat([ftyp(), moov(1000, 0, 0, box('mvex', box('trex', Buffer.alloc(24))))]);
      const info = await probe(Buffer.concat([head, fragments]));
      expect(info).toMatchObject({ header: [{ start: 0, end: head.length }], bitrate: null, duration: null });
    });

    it('stops at the first fragment rather than walking them all', async () => {
      const head = Buffer.concat([ftyp(), moov(1000, 0, 0, box('mvex'))]);
      const many = Buffer.concat(Array.from({ length: 200 }, () => fragments));
      const reader = countingReader(bufferReader(Buffer.concat([head, many])));
      await probeMedia(reader, 'mp4');
      expect(reader.reads).toBeLessThanOrEqual(8);
    });

    it('takes the duration from mehd, not from mvhd', async () => {
      const head = Buffer.concat([ftyp(), moov(1000, 500, 0, box('mvex', mehd(4000)))]);
      const info = await probe(Buffer.concat([head, fragments]));
      expect(info.duration).toBe(4);
      expect(info.bitrate).toBe((fragments.length * 8) / 4);
    });

    it('has no rate when moof appears without mvex and mehd', async () => {
      const info = await probe(Buffer.concat([ftyp(), moov(1000, 3000), fragments]));
      expect(info.bitrate).toBeNull();
    });
  });

  describe('garbage', () => {
    it('is not sniffed as MP4', async () => {
      expect((await sniff(Buffer.from('<html><body>not media</body></html>'))).container).toBeNull();
    });

    it('stops the walk at a box with a size below its header', async () => {
      const file = Buffer.concat([ftyp(), boxHeader('moov', 4)]);
      expect(await probe(file)).toEqual({ container: 'mp4', header: [], headerBytes: 0, bitrate: null, duration: null });
    });

    it('never throws on any truncation of a valid file', async () => {
      const file = Buffer.concat([ftyp(), mdat(300), moov(1000, 2000, 1, box('mvex', mehd(2000)))]);
      for (let n = 0; n <= file.length; n++) {
        const info = await probe(file.subarray(0, n));
        expect(info.headerBytes).toBeLessThanOrEqual(n);
        if (n < file.length) expect(info.bitrate).toBeNull();
      }
    });
  });
});

describe('walking limits', () => {
  it('stops a fragmented walk at the first fragment even with mehd, taking the rest as payload', async () => {
    const head = Buffer.concat([ftyp(), moov(1000, 0, 0, box('mvex', mehd(10_000)))]);
    const fragment = Buffer.concat([box('moof', Buffer.alloc(40)), mdat(200)]);
    const file = Buffer.concat([head, ...Array.from({ length: 3000 }, () => fragment), box('mfra', Buffer.alloc(8))]);
    const reader = countingReader(bufferReader(file));
    const info = await probeMedia(reader, 'mp4');
    expect(reader.reads).toBeLessThanOrEqual(12);
    expect(info.duration).toBe(10);
    expect(info.bitrate).toBe(((file.length - head.length) * 8) / 10);
  });

  it('takes what lies beyond 1024 top-level boxes as payload', async () => {
    const head = Buffer.concat([ftyp(), moov(1000, 1000)]);
    const tail = Buffer.concat(Array.from({ length: 1100 }, () => mdat(8)));
    const info = await probe(Buffer.concat([head, tail]));
    expect(info.bitrate).toBe(tail.length * 8);
  });
});

it('tolerates a few bytes of padding at the end of moov', async () => {
  const inner = Buffer.concat([mvhd(0, 1000, 2000), Buffer.alloc(4)]);
  const info = await probeMedia(bufferReader(Buffer.concat([ftyp(), box('moov', inner), mdat(100)])), 'mp4');
  expect(info.duration).toBe(2);
});
