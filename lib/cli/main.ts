import { UsageError } from './args';
import { checkCommand } from './check';
import { explainCommand } from './explain';
import { probeCommand } from './probe';
import { serveCommand } from './serve';
import { probeFile } from '../media/probe-file';
import { mediaKind } from '../media/media-kind';
import type { CliIo } from './args';
import fs from 'node:fs';
import path from 'node:path';

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

/** One usage line per command, and what it does. */
const USAGES: Record<string, { line: string; about: string }> = {
  check: { line: 'koa-bandwidth check   --conf DIR', about: 'Validate a config directory: exit 0, or 1 after listing every error as file:line:col: message. Warnings are listed too.' },
  explain: { line: "koa-bandwidth explain --conf DIR --url URL [--host HOST] [--ip IP] [--header 'Name: value']... [--method M] [--type MIME] [--file PATH]", about: 'Print, as one JSON object, the plan the middleware would resolve for this request.' },
  probe: { line: 'koa-bandwidth probe   FILE...', about: "Print each media file's container, header bytes, encoding rate and duration, one JSON object per line." },
  serve: { line: 'koa-bandwidth serve   --conf DIR --media DIR [--port 8080] [--host 127.0.0.1] [--redis URL]', about: 'Run the example media server on a config directory and a media directory. Needs koa, @koa/router and koa-send installed.' },
};

const USAGE = `usage:\n${Object.values(USAGES).map((u) => `  ${u.line}\n`).join('')}  koa-bandwidth --version\n  koa-bandwidth COMMAND --help\n`;

/** `koa-bandwidth <name> --help`. */
const commandHelp = (name: string): string => {
  const u = USAGES[name] as { line: string; about: string };
  return `usage: ${u.line}\n\n${u.about}\n`;
};

/** The package's version, from its package.json (beside dist/ when installed, beside lib/ in the sources). */
export function packageVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'koa-bandwidth' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; try the next place
    }
  }
  return 'unknown';
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/**
 * The `koa-bandwidth` bin (docs/spec.md §7). Exit codes: 0 success, 1 an invalid config (check,
 * explain), 2 bad usage.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`koa-bandwidth: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  // Every command answers --help the same way, before its own flags are parsed.
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(commandHelp(name));
    return 0;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`koa-bandwidth ${name}: ${err.message}\n${commandHelp(name).split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
}
