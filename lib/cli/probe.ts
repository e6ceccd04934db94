import { statSync } from 'node:fs';
import path from 'node:path';
import { mediaKind } from '../media/media-kind';
import type { CliIo } from './args';
import { probeFile } from '../media/probe-file';

/** One line of `koa-bandwidth probe` output (docs/spec.md §7). */
export interface ProbeLine {
  file: string;
  container: 'mp4' | 'mp3' | null;
  headerBytes: number;
  /** Encoding rate in 1000 bit/s, or null when unknown. */
  bitrateKbps: number | null;
  durationSeconds: number | null;
}

const USAGE = 'usage: koa-bandwidth probe FILE...\n';

/**
 * `koa-bandwidth probe FILE...`: one JSON object per line for each file, in order (docs/spec.md §7).
 * The container comes from the extension when it names one (as the middleware does), else
 * from the content. A file that cannot be opened gets an error line on stderr and exit code
 * 1; the other files are still printed. A directory is bad usage: exit 2 before any output.
 *
 * @example
 * ```ts
 * const code = await probeCommand(['movie.mp4'], { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
 * // {"file":"movie.mp4","container":"mp4","headerBytes":1941,"bitrateKbps":197.091,"durationSeconds":3}
 * ```
 */
export async function probeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const files = argv[0] === '--' ? argv.slice(1) : argv;
  if (files.length === 0 || files.some((f) => f === '-h' || f === '--help')) {
    io.stderr(USAGE);
    return files.length === 0 ? 2 : 0;
  }
  // Bad usage, not a bad file: a directory has no container to report.
  const dir = files.find(isDirectory);
  if (dir !== undefined) {
    io.stderr(`koa-bandwidth probe: ${dir}: is a directory; give media files (e.g. ${path.join(dir, '*.mp4')})\n${USAGE}`);
    return 2;
  }
  let code = 0;
  for (const file of files) {
    try {
      const media = await probeFile(file, { kind: mediaKind(file), cache: false });
      const line: ProbeLine = {
        file,
        container: media.container,
        headerBytes: media.headerBytes,
        bitrateKbps: media.bitrate === null ? null : round3(media.bitrate / 1000),
        durationSeconds: media.duration === null ? null : round3(media.duration),
      };
      io.stdout(`${JSON.stringify(line)}\n`);
    } catch (err) {
      io.stderr(`koa-bandwidth probe: ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 1;
    }
  }
  return code;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false; // a missing file is reported by the probe, with the others still printed
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
