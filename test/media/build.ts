/** Byte builders for media test tables: ISO BMFF boxes, ID3v2 tags and MPEG audio frames. */
import { MAX_READ, type ByteReader } from '../../lib/media/byte-reader';
import { parseMp3Frame } from '../../lib/media/mp3-frame';

export function box(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A box header only, with a 32-bit size that may lie about the body. */
export function boxHeader(type: string, size: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return head;
}

/** A box header with size 1 and a 64-bit size. */
export function boxHeader64(type: string, size: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1, 0);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(BigInt(size), 8);
  return head;
}

export function ftyp(): Buffer {
  return box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1'));
}

export function mvhd(version: 0 | 1, timescale: number, duration: number | bigint): Buffer {
  const body = Buffer.alloc(version === 1 ? 112 : 100);
  body[0] = version;
  if (version === 1) {
    body.writeUInt32BE(timescale, 20);
    body.writeBigUInt64BE(BigInt(duration), 24);
  } else {
    body.writeUInt32BE(timescale, 12);
    body.writeUInt32BE(Number(duration), 16);
  }
  return box('mvhd', body);
}

export function mehd(duration: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(duration, 4);
  return box('mehd', body);
}

/** A `moov` with `mvhd` and a stand-in `trak`. */
export function moov(timescale: number, duration: number, version: 0 | 1 = 0, ...more: Buffer[]): Buffer {
  return box('moov', mvhd(version, timescale, duration), box('trak', box('tkhd', Buffer.alloc(84))), ...more);
}

export function mdat(bytes: number): Buffer {
  return box('mdat', Buffer.alloc(bytes, 0x55));
}

export function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

/** An ID3v2 tag with `bodyBytes` of padding; v2.4 with `footer` appends the `3DI` footer. */
export function id3v2(bodyBytes: number, options: { major?: number; footer?: boolean; magic?: 'ID3' | '3DI' } = {}): Buffer {
  const major = options.major ?? 3;
  const flags = options.footer ? 0x10 : 0;
  const head = Buffer.concat([Buffer.from(options.magic ?? 'ID3', 'latin1'), Buffer.from([major, 0, flags]), syncsafe(bodyBytes)]);
  const parts = [head, Buffer.alloc(bodyBytes)];
  if (options.footer) parts.push(Buffer.concat([Buffer.from('3DI', 'latin1'), Buffer.from([major, 0, flags]), syncsafe(bodyBytes)]));
  return Buffer.concat(parts);
}

export interface FrameSpec {
  version?: 1 | 2 | 2.5;
  layer?: 1 | 2 | 3;
  bitrateIndex?: number;
  rateIndex?: number;
  mono?: boolean;
  padding?: boolean;
}

export function mp3Header(spec: FrameSpec = {}): Buffer {
  const versionBits = { 1: 3, 2: 2, 2.5: 0 }[spec.version ?? 1];
  const layerBits = 4 - (spec.layer ?? 3);
  const b1 = 0xe0 | (versionBits << 3) | (layerBits << 1) | 1;
  const b2 = ((spec.bitrateIndex ?? 9) << 4) | ((spec.rateIndex ?? 0) << 2) | (spec.padding ? 2 : 0);
  const b3 = spec.mono ? 0xc0 : 0x00;
  return Buffer.from([0xff, b1, b2, b3]);
}

/** One whole frame: header, then zeros (or `fill`) up to the frame length. */
export function mp3Frame(spec: FrameSpec = {}, fill = 0): Buffer {
  const head = mp3Header(spec);
  const frame = parseMp3Frame(head, 0);
  if (!frame) throw new Error('bad frame spec');
  const buf = Buffer.alloc(frame.length, fill);
  head.copy(buf);
  return buf;
}

export function mp3Frames(count: number, spec: FrameSpec = {}): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => mp3Frame(spec)));
}

/** A first frame carrying a Xing/Info tag after the side information. */
export function xingFrame(spec: FrameSpec, magic: 'Xing' | 'Info', frames: number | null): Buffer {
  const buf = mp3Frame(spec);
  const side = (spec.version ?? 1) === 1 ? (spec.mono ? 17 : 32) : spec.mono ? 9 : 17;
  const at = 4 + side;
  buf.write(magic, at, 'latin1');
  buf.writeUInt32BE(frames === null ? 2 : 3, at + 4);
  if (frames !== null) buf.writeUInt32BE(frames, at + 8);
  buf.writeUInt32BE(123456, at + (frames === null ? 8 : 12)); // bytes field: never trusted for the rate
  return buf;
}

/** A first frame carrying a VBRI tag 32 bytes after the header. */
export function vbriFrame(spec: FrameSpec, frames: number): Buffer {
  const buf = mp3Frame(spec);
  buf.write('VBRI', 36, 'latin1');
  buf.writeUInt16BE(1, 40); // version
  buf.writeUInt16BE(576, 42); // delay
  buf.writeUInt16BE(75, 44); // quality
  buf.writeUInt32BE(999999, 46); // bytes
  buf.writeUInt32BE(frames, 50);
  return buf;
}

export function id3v1(): Buffer {
  const tag = Buffer.alloc(128);
  tag.write('TAG', 0, 'latin1');
  return tag;
}

/** Wraps a reader, counting reads and bytes, and failing loudly after `limit` reads. */
export function countingReader(inner: ByteReader, limit = 5000): ByteReader & { reads: number; bytes: number; maxLength: number } {
  const counted = {
    size: inner.size,
    reads: 0,
    bytes: 0,
    maxLength: 0,
    async read(offset: number, length: number): Promise<Buffer> {
      counted.reads++;
      counted.maxLength = Math.max(counted.maxLength, length);
      if (counted.reads > limit) throw new Error('too many reads');
      if (length > MAX_READ) throw new Error(`read of ${length} bytes`);
      const buf = await inner.read(offset, length);
      counted.bytes += buf.length;
      return buf;
    },
  };
  return counted;
}
