import type { ByteRange } from '../types';
import { MalformedMedia, readExact, readUpTo, type ByteReader } from './byte-reader';

/** What the MP4 parser finds: the header ranges, the trailer length and the timing. */
export interface Mp4Layout {
  header: ByteRange[];
  /** Bytes after the media data that are neither media nor header (`free`, `udta`, …); 0 for fragmented files. */
  trailerBytes: number;
  /** Seconds, or null when unknown (fragmented without `mehd`, zero duration). */
  duration: number | null;
  /** Bits per second, or null when unknown. */
  bitrate: number | null;
  fragmented: boolean;
}

interface Box {
  type: string;
  start: number;
  /** Offset of the body (after the 8- or 16-byte header). */
  body: number;
  /** End as the box claims it; may exceed the file for a truncated file. */
  end: number;
}

/** Top-level boxes walked at most; a file with more gives up on anything it has not seen. */
const MAX_TOP_BOXES = 1024;
/** Children of `moov` / `mvex` walked at most. */
const MAX_CHILD_BOXES = 256;
/** Top-level types that make a file recognisable as ISO BMFF when it starts with one of them. */
const LEADING_TYPES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pdin', 'uuid']);

/** The box header at `offset`, or null when there is none (end of data or garbage). */
async function readBox(reader: ByteReader, offset: number, limit: number): Promise<Box | null> {
  if (offset + 8 > limit) return null;
  const head = await readUpTo(reader, offset, 16);
  if (head.length < 8) return null;
  const type = head.toString('latin1', 4, 8);
  if (!/^[\x20-\x7e\xa9]{4}$/.test(type)) return null;
  const size32 = head.readUInt32BE(0);
  if (size32 === 1) {
    if (head.length < 16) return null;
    const large = head.readBigUInt64BE(8);
    if (large < 16n || large > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    return { type, start: offset, body: offset + 16, end: offset + Number(large) };
  }
  if (size32 === 0) return { type, start: offset, body: offset + 8, end: limit }; // to the end of the file (or parent)
  if (size32 < 8) return null;
  return { type, start: offset, body: offset + 8, end: offset + size32 };
}

/** Whether the source starts like an MP4 (a plausible first box of a known type). */
export async function looksLikeMp4(reader: ByteReader): Promise<boolean> {
  const box = await readBox(reader, 0, reader.size);
  return box !== null && LEADING_TYPES.has(box.type);
}

interface Movie {
  timescale: number;
  /** In `timescale` units; 0 when unknown. */
  duration: number;
  fragmented: boolean;
  /**
   * `mehd` fragment duration in `timescale` units; 0 when absent. In a fragmented movie
   * `mvhd` covers only the samples inside `moov`, so this is the only total duration.
   */
  fragmentDuration: number;
}

/**
 * Header ranges and encoding rate of an MP4/M4A (docs/spec.md §4). Walks the top-level boxes with
 * one small read each (64-bit and to-EOF sizes included), and reads `mvhd` (and `mehd`) in
 * `moov`. `moov` before the first `mdat`: the header is everything before that `mdat`;
 * `moov` after it: those bytes plus the `moov` range, which players fetch with a Range request.
 */
export async function parseMp4(reader: ByteReader): Promise<Mp4Layout> {
  const size = reader.size;
  let moov: Box | null = null;
  let movie: Movie | null = null;
  let mediaStart = -1; // first mdat or moof
  let mediaEnd = -1; // end of the last mdat or moof
  let sawMoof = false;
  let offset = 0;
  let n = 0;
  for (; n < MAX_TOP_BOXES && offset < size; n++) {
    const box = await readBox(reader, offset, size);
    if (!box) break; // trailing garbage: what was seen stands
    const isMedia = box.type === 'mdat' || box.type === 'moof';
    if (box.end > size) {
      if (!isMedia) {
        if (moov === null || box.type === 'moov') throw new MalformedMedia(`${box.type} box runs past the end of the file`);
        break;
      }
      box.end = size; // a truncated download: the media data simply ends here
    }
    if (box.type === 'moof') sawMoof = true;
    if (box.type === 'moov' && moov === null) {
      moov = box;
      movie = await readMovie(reader, box);
    } else if (isMedia) {
      if (mediaStart < 0) mediaStart = box.start;
      mediaEnd = box.end;
    }
    // A fragmented movie may hold thousands of fragments: once its header is known, stop and
    // take everything after it as payload (`mehd` gives the duration, or the rate is unknown).
    if (movie && mediaStart >= 0 && (movie.fragmented || sawMoof)) {
      return layout(moov!, mediaStart, size, size, seconds(movie.fragmentDuration, movie.timescale), true);
    }
    offset = box.end;
  }
  if (!moov || !movie) throw new MalformedMedia('no moov box');
  if (mediaStart < 0) throw new MalformedMedia('no mdat box');
  // Walked as far as allowed without reaching the end: what was not seen counts as payload.
  if (n === MAX_TOP_BOXES && offset < size) mediaEnd = size;
  return layout(moov, mediaStart, mediaEnd, size, seconds(movie.duration, movie.timescale), false);
}

function seconds(units: number, timescale: number): number | null {
  return units > 0 && timescale > 0 ? units / timescale : null;
}

function layout(moov: Box, mediaStart: number, mediaEnd: number, size: number, duration: number | null, fragmented: boolean): Mp4Layout {
  const header: ByteRange[] = [];
  if (moov.start < mediaStart) {
    header.push({ start: 0, end: mediaStart });
  } else {
    if (mediaStart > 0) header.push({ start: 0, end: mediaStart });
    header.push({ start: moov.start, end: moov.end });
  }
  const headerBytes = header.reduce((sum, r) => sum + r.end - r.start, 0);
  const moovAfter = moov.start >= mediaEnd ? moov.end - moov.start : 0;
  const trailerBytes = Math.max(0, size - mediaEnd - moovAfter);
  const payload = size - headerBytes - trailerBytes;
  const bitrate = duration !== null && payload > 0 ? (payload * 8) / duration : null;
  return { header, trailerBytes, duration, bitrate, fragmented };
}

/** `mvhd` timing and whether `mvex` marks the movie as fragmented. */
async function readMovie(reader: ByteReader, moov: Box): Promise<Movie> {
  const movie: Movie = { timescale: 0, duration: 0, fragmented: false, fragmentDuration: 0 };
  let mvhd = false;
  for await (const child of children(reader, moov)) {
    if (child.type === 'mvhd') {
      const v1 = (await readExact(reader, child.body, 1))[0] === 1;
      const fields = await readField(reader, child, v1 ? 20 : 12, v1 ? 12 : 8);
      movie.timescale = fields.readUInt32BE(0);
      const duration = v1 ? Number(fields.readBigUInt64BE(4)) : fields.readUInt32BE(4);
      // All ones means "unknown" (ISO 14496-12 §8.2.2.3).
      movie.duration = duration === 0xffffffff || duration >= Number.MAX_SAFE_INTEGER ? 0 : duration;
      mvhd = true;
    } else if (child.type === 'mvex') {
      movie.fragmented = true;
      for await (const grandchild of children(reader, child)) {
        if (grandchild.type !== 'mehd') continue;
        const v1 = (await readExact(reader, grandchild.body, 1))[0] === 1;
        const field = await readField(reader, grandchild, 4, v1 ? 8 : 4);
        const units = v1 ? Number(field.readBigUInt64BE(0)) : field.readUInt32BE(0);
        movie.fragmentDuration = units < Number.MAX_SAFE_INTEGER ? units : 0;
      }
    }
  }
  if (!mvhd) throw new MalformedMedia('moov without mvhd');
  return movie;
}

/** `length` bytes at `at` inside the body of `box`, or malformed when the box is too short. */
async function readField(reader: ByteReader, box: Box, at: number, length: number): Promise<Buffer> {
  if (box.body + at + length > box.end) throw new MalformedMedia(`${box.type} box too short`);
  return readExact(reader, box.body + at, length);
}

/**
 * The child boxes of `parent`. Stops at padding too short for a box; a child that overruns
 * its parent means the sizes cannot be trusted.
 */
async function* children(reader: ByteReader, parent: Box): AsyncGenerator<Box> {
  let offset = parent.body;
  for (let n = 0; n < MAX_CHILD_BOXES && offset < parent.end; n++) {
    const box = await readBox(reader, offset, parent.end);
    if (!box) return;
    if (box.end > parent.end) throw new MalformedMedia(`a box inside ${parent.type} runs past its end`);
    yield box;
    offset = box.end;
  }
}
