/**
 * The package's error classes. Each carries a stable `code` that callers may switch on.
 * Bad client input (query values, Host headers) is never an error: it is ignored or
 * clamped, and visible through `NODE_DEBUG=koa-bandwidth`.
 */

/** One problem in a config file or rule line, with where it is. */
export class ConfigError extends Error {
  readonly code = 'ERR_BANDWIDTH_CONFIG';
  /** The file the problem is in; `<options>` for plain options. */
  readonly file: string;
  /** 1-based line, or 0 when only an element path is known. */
  readonly line: number;
  /** 1-based column, or 0 when unknown. */
  readonly column: number;
  /** The element path (`Vhosts/Vhost[www]/Options/TrafficCap`), when known. */
  readonly path: string | undefined;

  constructor(message: string, where: { file: string; line?: number; column?: number; path?: string }) {
    super(message);
    this.name = 'ConfigError';
    this.file = where.file;
    this.line = where.line ?? 0;
    this.column = where.column ?? 0;
    this.path = where.path;
  }

  /** `file:line:col: message`, the form `koa-bandwidth check` prints. */
  format(): string {
    const where = this.path && !this.line ? `${this.file}:0:0: ${this.path}:` : `${this.file}:${this.line}:${this.column}:`;
    return `${where} ${this.message}`;
  }
}

/** Several config problems found in one pass: `check` lists them all. */
export class ConfigErrors extends Error {
  readonly code = 'ERR_BANDWIDTH_CONFIG_INVALID';
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    super(`${errors.length} configuration error${errors.length === 1 ? '' : 's'}:\n${errors.map((e) => `  ${e.format()}`).join('\n')}`);
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

/** A bad option passed to a factory (`bandwidth()`, `route()`, a store). Names the option and its range. */
export class OptionError extends TypeError {
  readonly code = 'ERR_BANDWIDTH_OPTION';
  readonly option: string;

  constructor(option: string, expected: string, got: unknown) {
    super(`koa-bandwidth: option \`${option}\` must be ${expected}, got ${describe(got)}`);
    this.name = 'OptionError';
    this.option = option;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
