import { parseMp3Frame } from '../../lib/media/mp3-frame';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('parseMp3Frame', () => {
  // Lengths from the standard formulas: Layer III MPEG-1 144·br/sr + pad; MPEG-2/2.5 72·br/sr + pad;
  // Layer I (12·br/sr + pad)·4; Layer II 144·br/sr + pad.
  it.each([
    ['MPEG-1 L3 128k 44.1k stereo', 'FF FB 90 00', { version: 1, layer: 3, bitrate: 128000, sampleRate: 44100, length: 417, samplesPerFrame: 1152, mono: false }],
    ['MPEG-1 L3 128k 44.1k padded', 'FF FB 92 00', { bitrate: 128000, length: 418 }],
    ['MPEG-1 L3 320k 48k', 'FF FB E4 00', { bitrate: 320000, sampleRate: 48000, length: 960 }],
    ['MPEG-1 L3 32k 32k mono', 'FF FB 18 C0', { bitrate: 32000, sampleRate: 32000, length: 144, mono: true }],
    ['MPEG-2 L3 32k 22.05k mono', 'FF F3 40 C0', { version: 2, layer: 3, bitrate: 32000, sampleRate: 22050, length: 104, samplesPerFrame: 576 }],
    ['MPEG-2 L3 160k 24k', 'FF F3 E4 00', { version: 2, bitrate: 160000, sampleRate: 24000, length: 480 }],
    ['MPEG-2.5 L3 8k 8k', 'FF E3 18 00', { version: 2.5, bitrate: 8000, sampleRate: 8000, length: 72, samplesPerFrame: 576 }],
    ['MPEG-2.5 L3 64k 11.025k', 'FF E3 80 00', { version: 2.5, bitrate: 64000, sampleRate: 11025, length: 417 }],
    ['MPEG-1 L2 192k 48k', 'FF FD A4 00', { layer: 2, bitrate: 192000, sampleRate: 48000, length: 576, samplesPerFrame: 1152 }],
    ['MPEG-2 L2 64k 16k', 'FF F5 88 00', { version: 2, layer: 2, bitrate: 64000, sampleRate: 16000, length: 576, samplesPerFrame: 1152 }],
    ['MPEG-1 L1 448k 32k', 'FF FF E8 00', { layer: 1, bitrate: 448000, sampleRate: 32000, length: 672, samplesPerFrame: 384 }],
    ['CRC-protected', 'FF FA 90 00', { crc: true, length: 417 }],
  ])('decodes %s', (_name, bytes, want) => {
    expect(parseMp3Frame(hex(bytes), 0)).toMatchObject(want);
  });

  it.each([
    ['no sync', 'FF 7B 90 00'],
    ['reserved version', 'FF EB 90 00'],
    ['reserved layer', 'FF F9 90 00'],
    ['free-format bitrate', 'FF FB 00 00'],
    ['bad bitrate', 'FF FB F0 00'],
    ['reserved sample rate', 'FF FB 9C 00'],
    ['reserved emphasis', 'FF FB 90 02'],
    ['too short', 'FF FB 90'],
  ])('rejects %s', (_name, bytes) => {
    expect(parseMp3Frame(hex(bytes), 0)).toBeNull();
  });
});
