import { statSync, type Stats } from 'node:fs';

/** A command's parsed flags: repeated flags keep every value, in order. */
export type Flags = Map<string, string[]>;

/** Thrown for bad command-line usage; main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

/**
 * Parse `--name value` and `--name=value` flags. Only the names in `known` are accepted;
 * everything else, and any positional argument, is a UsageError.
 */
export function parseFlags(argv: readonly string[], known: readonly string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!known.includes(name)) throw new UsageError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

/** The single value of a flag; `required` makes its absence a UsageError. */
export function single(flags: Flags, name: string, required: true): string;
export function single(flags: Flags, name: string, required?: false): string | undefined;
export function single(flags: Flags, name: string, required = false): string | undefined {
  const v = flags.get(name);
  if (v === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`--${name} given more than once`);
  return v[0];
}
/** Where a command writes: process streams in the bin, buffers in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * A directory a flag names: a UsageError (exit 2) when it does not exist or is not a
 * directory, so a typo is reported as such rather than as a missing file inside it.
 */
export function existingDir(flag: string, dir: string): string {
  let stat: Stats;
  try {
    stat = statSync(dir);
  } catch {
    throw new UsageError(`--${flag} ${dir}: no such directory`);
  }
  if (!stat.isDirectory()) throw new UsageError(`--${flag} ${dir}: not a directory`);
  return dir;
}
