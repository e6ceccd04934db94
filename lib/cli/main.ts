import { UsageError } from './args';
import { checkCommand } from './check';
import { explainCommand } from './explain';
import { probeCommand } from './probe';
import { serveCommand } from './serve';
import { probeFile } from '../media/probe-file';
import { mediaKind } from '../media/media-kind';
import type { CliIo } from './args';

/** A subcommand: parses its own argv, writes to io, returns the exit code. */
type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** Subcommands by name. Adding one (`probe`, `serve`) is one line here. */
const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  // `--file` probes `x` rates from the file, judged by its extension as the middleware does.
  explain: (argv, io) => explainCommand(argv, io, { probe: (file) => probeFile(file, { kind: mediaKind(file) ?? undefined }) }),
  probe: probeCommand,
  serve: serveCommand,
};

const USAGE = `usage:
  koa-bandwidth check   --conf DIR
  koa-bandwidth explain --conf DIR --url URL [--host HOST] [--ip IP] [--header 'Name: value']... [--method M] [--type MIME] [--file PATH]
  koa-bandwidth probe   FILE...
  koa-bandwidth serve   --conf DIR --media DIR [--port 8080] [--host 127.0.0.1] [--redis URL]
`;

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/**
 * The `koa-bandwidth` bin (SPEC §7). Exit codes: 0 success, 1 an invalid config (check,
 * explain), 2 bad usage.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`koa-bandwidth: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`koa-bandwidth ${name}: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
