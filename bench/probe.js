'use strict';
/**
 * Probe benchmark (never part of `npm test`): `npm run build && node bench/probe.js`.
 * Measures uncached probes of the committed fixtures and of a sparse 5 GiB MP4 with a
 * 64-bit mdat and moov at the end, counting reads, plus cached hits.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { probeFile, ProbeCache } = require('../dist/lib/internals.js');
const { fileReader } = require('../dist/lib/media/probe-file.js');
const { probeMedia } = require('../dist/lib/media/probe-media.js');

const ITERATIONS = Number(process.env.ITERATIONS ?? 200);

function box(type, ...body) {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

function sparseMp4(dir) {
  const size = 5 * 1024 ** 3;
  const mvhd = Buffer.alloc(112);
  mvhd[0] = 1;
  mvhd.writeUInt32BE(1000, 20);
  mvhd.writeBigUInt64BE(3_600_000n, 24);
  const moov = box('moov', box('mvhd', mvhd), box('trak', box('tkhd', Buffer.alloc(84))));
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1'));
  const mdat = Buffer.alloc(16);
  mdat.writeUInt32BE(1, 0);
  mdat.write('mdat', 4, 'latin1');
  mdat.writeBigUInt64BE(BigInt(size - moov.length - ftyp.length), 8);
  const file = path.join(dir, 'sparse-5g.mp4');
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  fs.writeSync(fd, Buffer.concat([ftyp, mdat]), 0, undefined, 0);
  fs.writeSync(fd, moov, 0, moov.length, size - moov.length);
  fs.closeSync(fd);
  return file;
}

async function time(label, fn) {
  const samples = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const p99 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))];
  console.log(`${label.padEnd(34)} mean ${mean.toFixed(1).padStart(7)} µs   p99 ${p99.toFixed(1).padStart(7)} µs`);
}

async function countReads(file) {
  const handle = await fs.promises.open(file, 'r');
  try {
    const inner = fileReader(handle, (await handle.stat()).size);
    let reads = 0;
    let bytes = 0;
    await probeMedia({ size: inner.size, read: async (o, l) => { reads++; const b = await inner.read(o, l); bytes += b.length; return b; } });
    return { reads, bytes };
  } finally {
    await handle.close();
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-bench-'));
  try {
    const fixtures = path.join(__dirname, '../test/fixtures/media');
    const files = fs.readdirSync(fixtures).filter((n) => /\.(mp4|m4a|mp3)$/.test(n)).map((n) => path.join(fixtures, n));
    files.push(sparseMp4(dir));
    console.log(`probeFile, ${ITERATIONS} iterations each, Node ${process.version}`);
    for (const file of files) {
      const { reads, bytes } = await countReads(file);
      await time(`${path.basename(file)} (${reads} reads, ${bytes} B)`, () => probeFile(file, { cache: false }));
    }
    const cache = new ProbeCache();
    const big = files[files.length - 1];
    await probeFile(big, { cache });
    await time('sparse-5g.mp4 cached hit', () => probeFile(big, { cache }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
