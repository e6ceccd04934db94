/**
 * MPEG audio frame headers (ISO 11172-3, ISO 13818-3 and the unofficial MPEG-2.5):
 * the four bytes that start every frame, decoded with the bitrate and sample-rate tables.
 */
export interface Mp3Frame {
  /** 1 = MPEG-1, 2 = MPEG-2, 2.5 = MPEG-2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  /** Bits per second. */
  bitrate: number;
  sampleRate: number;
  /** Bytes in the frame, header included. */
  length: number;
  samplesPerFrame: number;
  mono: boolean;
  /** A 16-bit CRC follows the header. */
  crc: boolean;
}

// kbps by [MPEG-1 ? 0 : 1][layer - 1][index]; index 0 (free format) and 15 are not accepted.
const BITRATES: readonly (readonly (readonly number[])[])[] = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];

const SAMPLE_RATES = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] } as const;

/** The frame header at `buf[at]`, or null when those bytes are not a valid one. */
export function parseMp3Frame(buf: Buffer, at: number): Mp3Frame | null {
  if (at < 0 || at + 4 > buf.length) return null;
  const b1 = buf[at + 1]!;
  const b2 = buf[at + 2]!;
  const b3 = buf[at + 3]!;
  if (buf[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  if ((b3 & 3) === 2) return null; // reserved emphasis
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const kbps = BITRATES[version === 1 ? 0 : 1]![layer - 1]![bitrateIndex]!;
  const bitrate = kbps * 1000;
  const sampleRate = SAMPLE_RATES[version][rateIndex]!;
  const padding = (b2 >> 1) & 1;
  let length: number;
  let samplesPerFrame: number;
  if (layer === 1) {
    samplesPerFrame = 384;
    length = (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  } else {
    samplesPerFrame = layer === 3 && version !== 1 ? 576 : 1152;
    length = Math.floor((samplesPerFrame / 8) * bitrate / sampleRate) + padding;
  }
  return { version, layer, bitrate, sampleRate, length, samplesPerFrame, mono: b3 >> 6 === 3, crc: (b1 & 1) === 0 };
}

/** Whether `next` can follow `first` in one stream: same version, layer and sample rate. */
export function sameStream(first: Mp3Frame, next: Mp3Frame): boolean {
  return first.version === next.version && first.layer === next.layer && first.sampleRate === next.sampleRate;
}
