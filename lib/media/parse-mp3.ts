import type { ByteRange } from '../types';
import { MalformedMedia, MAX_READ, readExact, readUpTo, type ByteReader } from './byte-reader';
import { parseMp3Frame, sameStream, type Mp3Frame } from './mp3-frame';

/** What the MP3 parser finds: the header range, the trailer length and the timing. */
export interface Mp3Layout {
  header: ByteRange[];
  /** Bytes at the end that are not audio (ID3v1, APEv2, an appended ID3v2). */
  trailerBytes: number;
  /** Seconds, or null when unknown. */
  duration: number | null;
  /** Bits per second, or null when unknown. */
  bitrate: number | null;
}

const MAX_TAGS = 16;
const MAX_CONFIRM_READS = 8;
const ID3V1_BYTES = 128;

/**
 * Where the audio starts after ID3v2 tags and leading junk, and how long it plays (docs/spec.md §4):
 * ID3v2 tags (several in a row, footer flag, syncsafe sizes) and a leading Xing/Info/VBRI
 * frame form the header; trailing ID3v1, APEv2 and appended ID3v2 tags the trailer. The duration
 * comes from the Xing/VBRI frame count, never from the Xing frame's own bitrate, which real
 * encoders leave wrong; without one, the stream is taken as CBR at the first frame's rate.
 *
 * @param requireSyncAtStart without ID3v2, accept only a frame at offset 0 (content sniffing).
 * @returns null when the bytes do not look like MPEG audio.
 */
export async function parseMp3(reader: ByteReader, requireSyncAtStart = false): Promise<Mp3Layout | null> {
  const audioFrom = await skipId3v2(reader);
  const trailerBytes = await trailerLength(reader, audioFrom);
  const audioEnd = reader.size - trailerBytes;
  const found = await findFirstFrame(reader, audioFrom, audioEnd, requireSyncAtStart && audioFrom === 0);
  if (!found) {
    if (audioFrom > 0) throw new MalformedMedia('ID3v2 tag without MPEG audio after it');
    return null;
  }
  const { offset, frame, bytes } = found;
  const info = infoFrame(bytes, frame);
  const headerEnd = info ? offset + frame.length : offset;
  const header = headerEnd > 0 ? [{ start: 0, end: headerEnd }] : [];
  const payload = audioEnd - headerEnd;
  if (payload <= 0) return { header, trailerBytes, duration: null, bitrate: null };
  if (info && info.frames !== null) {
    const duration = (info.frames * frame.samplesPerFrame) / frame.sampleRate;
    return { header, trailerBytes, duration: duration > 0 ? duration : null, bitrate: duration > 0 ? (payload * 8) / duration : null };
  }
  if (info && info.kind !== 'Info') return { header, trailerBytes, duration: null, bitrate: null };
  return { header, trailerBytes, duration: (payload * 8) / frame.bitrate, bitrate: frame.bitrate };
}

/** The offset after the ID3v2 tags at the start of the file (several may follow each other). */
async function skipId3v2(reader: ByteReader): Promise<number> {
  let offset = 0;
  for (let i = 0; i < MAX_TAGS; i++) {
    const head = await readUpTo(reader, offset, 10);
    const size = id3v2Size(head, 'ID3');
    if (size === null) break;
    offset += size;
    if (offset > reader.size) throw new MalformedMedia('ID3v2 tag runs past the end of the file');
  }
  return offset;
}

/** Total bytes of the ID3v2 tag whose header (or footer, with `3DI`) is `head`, or null. */
function id3v2Size(head: Buffer, magic: 'ID3' | '3DI'): number | null {
  if (head.length < 10 || head.toString('latin1', 0, 3) !== magic) return null;
  const major = head[3]!;
  if (major < 2 || major > 4 || head[4] === 0xff) return null;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = head[i]!;
    if (b & 0x80) return null; // sizes are syncsafe
    size = size * 128 + b;
  }
  const footer = major === 4 && (head[5]! & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Bytes at the end of the file that are tags, not audio: an ID3v1 tag, and before it an
 * APEv2 tag or an appended ID3v2 tag (found by its `3DI` footer).
 */
async function trailerLength(reader: ByteReader, audioFrom: number): Promise<number> {
  let trailer = 0;
  if (reader.size - audioFrom >= ID3V1_BYTES) {
    const tag = await readUpTo(reader, reader.size - ID3V1_BYTES, 3);
    if (tag.toString('latin1') === 'TAG') trailer = ID3V1_BYTES;
  }
  const footerAt = reader.size - trailer - APE_FOOTER_BYTES;
  if (footerAt <= audioFrom) return trailer;
  const footer = await readUpTo(reader, footerAt, APE_FOOTER_BYTES);
  const id3 = id3v2Size(footer.subarray(APE_FOOTER_BYTES - 10), '3DI');
  if (id3 !== null && reader.size - trailer - id3 >= audioFrom) return trailer + id3;
  const ape = apeSize(footer);
  if (ape !== null && reader.size - trailer - ape >= audioFrom) return trailer + ape;
  return trailer;
}

const APE_FOOTER_BYTES = 32;

/** Total bytes of the APEv2 tag whose 32-byte footer is `footer` (header included when flagged), or null. */
function apeSize(footer: Buffer): number | null {
  if (footer.length < APE_FOOTER_BYTES || footer.toString('latin1', 0, 8) !== 'APETAGEX') return null;
  const size = footer.readUInt32LE(12); // items + footer
  if (size < APE_FOOTER_BYTES) return null;
  const hasHeader = (footer.readUInt32LE(20) & 0x80000000) !== 0;
  return size + (hasHeader ? APE_FOOTER_BYTES : 0);
}

interface FirstFrame {
  offset: number;
  frame: Mp3Frame;
  /** The frame's bytes (at most the frame length; fewer if the file ends). */
  bytes: Buffer;
}

/** The first frame header confirmed by the header of the frame after it. */
async function findFirstFrame(reader: ByteReader, from: number, audioEnd: number, atStartOnly: boolean): Promise<FirstFrame | null> {
  const window = await readUpTo(reader, from, Math.min(MAX_READ, audioEnd - from));
  const last = atStartOnly ? Math.min(0, window.length - 4) : window.length - 4;
  let confirmReads = 0;
  for (let i = 0; i <= last; i++) {
    const frame = parseMp3Frame(window, i);
    if (!frame) continue;
    const next = i + frame.length;
    let confirmed: boolean;
    if (from + next === audioEnd) confirmed = true; // a single frame fills the file
    else if (next + 4 <= window.length) confirmed = nextMatches(frame, window, next);
    else if (from + next + 4 <= audioEnd && confirmReads < MAX_CONFIRM_READS) {
      confirmReads++;
      confirmed = nextMatches(frame, await readExact(reader, from + next, 4), 0);
    } else confirmed = false;
    if (!confirmed) continue;
    const bytes = i + frame.length <= window.length ? window.subarray(i, i + frame.length) : await readUpTo(reader, from + i, frame.length);
    return { offset: from + i, frame, bytes };
  }
  return null;
}

function nextMatches(first: Mp3Frame, buf: Buffer, at: number): boolean {
  const next = parseMp3Frame(buf, at);
  return next !== null && sameStream(first, next);
}

interface InfoFrame {
  kind: 'Xing' | 'Info' | 'VBRI';
  /** Audio frames in the stream (the info frame not included), or null when the tag omits it. */
  frames: number | null;
}

/** The Xing/Info or VBRI tag inside the first frame, if there is one. */
function infoFrame(bytes: Buffer, frame: Mp3Frame): InfoFrame | null {
  // Xing sits right after the side information, whose size depends on version and channels.
  const side = frame.version === 1 ? (frame.mono ? 17 : 32) : frame.mono ? 9 : 17;
  for (const at of frame.crc ? [4 + side, 6 + side] : [4 + side]) {
    if (at + 8 > bytes.length) continue;
    const magic = bytes.toString('latin1', at, at + 4);
    if (magic !== 'Xing' && magic !== 'Info') continue;
    const flags = bytes.readUInt32BE(at + 4);
    const frames = flags & 1 && at + 12 <= bytes.length ? bytes.readUInt32BE(at + 8) : null;
    return { kind: magic, frames: frames || null };
  }
  // VBRI (Fraunhofer) sits 32 bytes after the header: magic, version, delay, quality, bytes, frames.
  if (bytes.length >= 36 + 18 && bytes.toString('latin1', 36, 40) === 'VBRI') {
    return { kind: 'VBRI', frames: bytes.readUInt32BE(36 + 14) || null };
  }
  return null;
}
